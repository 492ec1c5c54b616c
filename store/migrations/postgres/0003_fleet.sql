-- What many replicas on one database share: see migrations/sqlite/0003.
--
-- changed and state_changed hold the id (xid8, as bigint) of the
-- transaction that last changed the account's row or saved its feed
-- state. A sequence would not do: a transaction that drew a lower number
-- may commit after one that drew a higher, and a reader that moved past
-- the higher would miss it. Changes asks instead from the xmin of its
-- snapshot, below which every transaction has ended (store/fleet.go).
ALTER TABLE accounts ADD COLUMN changed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN state_changed BIGINT NOT NULL DEFAULT 0;
CREATE INDEX accounts_changed ON accounts (changed);
CREATE INDEX accounts_state_changed ON accounts (state_changed);

CREATE TABLE slots (
	name TEXT NOT NULL,
	slot BIGINT NOT NULL,
	holder TEXT NOT NULL DEFAULT '',
	expires BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (name, slot)
);

CREATE TABLE turns (
	name TEXT PRIMARY KEY,
	next BIGINT NOT NULL
);

CREATE TABLE hits (
	key TEXT PRIMARY KEY,
	times BYTEA NOT NULL,
	expires BIGINT NOT NULL
);
CREATE INDEX hits_expires ON hits (expires);
