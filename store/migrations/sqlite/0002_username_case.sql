-- RosterOn usernames are case-insensitive: Jane.Doe and jane.doe are one
-- login, and so one account. SQLite's lower() folds ASCII letters only
-- (no ICU), which is what Find and Create compare with. The store's
-- migrate refuses, before this runs, a store that holds two accounts of
-- one instance whose usernames differ only in case, naming them.
CREATE UNIQUE INDEX accounts_instance_username_nocase ON accounts (instance, lower(username));
