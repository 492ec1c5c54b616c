-- The accounts of a multi-account serve, their feed state and the
-- service-wide secrets: migrations/sqlite/0001 in Postgres's words.
-- Times are BIGINT unix nanoseconds (0 for none), flags BIGINT 0/1, so
-- that one Go code path reads both; sealed values are bytea (seal.go).
CREATE TABLE accounts (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- never reused
	username TEXT NOT NULL,
	instance TEXT NOT NULL,
	zone TEXT NOT NULL DEFAULT '',
	created BIGINT NOT NULL,
	paused BIGINT NOT NULL DEFAULT 0,
	pause_reason TEXT NOT NULL DEFAULT '',
	health_state TEXT NOT NULL DEFAULT '',
	health_why TEXT NOT NULL DEFAULT '',
	health_last_good BIGINT NOT NULL DEFAULT 0,
	health_next_refresh BIGINT NOT NULL DEFAULT 0,
	token_hash BYTEA NOT NULL UNIQUE,
	token_sealed BYTEA,
	manage_hash BYTEA UNIQUE,
	password_sealed BYTEA,
	settings_sealed BYTEA,
	-- settings_plain holds settings without a secret in a store without
	-- a key (JSON); NULL whenever settings_sealed is set.
	settings_plain TEXT,
	UNIQUE (instance, username)
);

CREATE TABLE blobs (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	data BYTEA NOT NULL,
	updated BIGINT NOT NULL,
	PRIMARY KEY (account_id, name)
);

CREATE TABLE secrets (
	name TEXT PRIMARY KEY,
	sealed BYTEA NOT NULL
);
