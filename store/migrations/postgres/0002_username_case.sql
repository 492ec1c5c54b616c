-- RosterOn usernames are case-insensitive: one login, one account. The
-- SQLite store compares with SQLite's lower(), which folds ASCII letters
-- only; Postgres's lower() folds every letter its locale knows, so the
-- two would disagree on a name like ÉMILE and émile. translate() of the
-- 26 ASCII capitals is the same fold as SQLite's, and immutable, so it
-- can be indexed: one username is one account on both databases. Find
-- and Create compare with this very expression (dialect.fold).
CREATE UNIQUE INDEX accounts_instance_username_nocase ON accounts
	(instance, translate(username, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'));
