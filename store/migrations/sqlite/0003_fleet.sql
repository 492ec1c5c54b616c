-- What many processes on one database share (issue 19): a change stamp
-- per account, so that a process sees the others' changes (Changes); the
-- places of a limited resource (TakeSlot); a resource's next turn
-- (NextTurn); and rate limits' recent events (Hit).
--
-- changed is the stamp of the account row's last change (not its
-- health), state_changed that of its feed state's last save. SQLite's
-- stamps come from store_changes, a counter bumped in the changing
-- transaction: SQLite's writers are serialised, so stamps commit in
-- order.
ALTER TABLE accounts ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN state_changed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX accounts_changed ON accounts (changed);
CREATE INDEX accounts_state_changed ON accounts (state_changed);

CREATE TABLE store_changes (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	stamp INTEGER NOT NULL
);
INSERT INTO store_changes (one, stamp) VALUES (1, 0);

-- A slot is one place of a named resource; holder '' when free. expires
-- is unix nanoseconds.
CREATE TABLE slots (
	name TEXT NOT NULL,
	slot INTEGER NOT NULL,
	holder TEXT NOT NULL DEFAULT '',
	expires INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (name, slot)
);

-- next is the earliest time (unix nanoseconds) of the resource's next
-- turn.
CREATE TABLE turns (
	name TEXT PRIMARY KEY,
	next INTEGER NOT NULL
);

-- times are the key's events in the window, 8-byte big-endian unix
-- nanoseconds, oldest first; expires is when the newest leaves the
-- window, after which the row is pruned.
CREATE TABLE hits (
	key TEXT PRIMARY KEY,
	times BLOB NOT NULL,
	expires INTEGER NOT NULL
);
CREATE INDEX hits_expires ON hits (expires);
