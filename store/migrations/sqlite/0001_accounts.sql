-- The accounts of a multi-account serve, their feed state and the
-- service-wide secrets. Times are INTEGER unix nanoseconds (0 for none),
-- flags INTEGER 0/1, so that Postgres can follow with BIGINT and the same
-- versions. Sealed values are BLOBs (bytea): see seal.go.
CREATE TABLE accounts (
	id INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
	username TEXT NOT NULL,
	instance TEXT NOT NULL,
	zone TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	paused INTEGER NOT NULL DEFAULT 0,
	pause_reason TEXT NOT NULL DEFAULT '',
	health_state TEXT NOT NULL DEFAULT '',
	health_why TEXT NOT NULL DEFAULT '',
	health_last_good INTEGER NOT NULL DEFAULT 0,
	health_next_refresh INTEGER NOT NULL DEFAULT 0,
	token_hash BLOB NOT NULL UNIQUE,
	token_sealed BLOB,
	manage_hash BLOB UNIQUE,
	password_sealed BLOB,
	settings_sealed BLOB,
	-- settings_plain holds settings without a secret in a store without
	-- a key (JSON); NULL whenever settings_sealed is set.
	settings_plain TEXT,
	UNIQUE (instance, username)
);

CREATE TABLE blobs (
	account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	data BLOB NOT NULL,
	updated INTEGER NOT NULL,
	PRIMARY KEY (account_id, name)
);

CREATE TABLE secrets (
	name TEXT PRIMARY KEY,
	sealed BLOB NOT NULL
);
