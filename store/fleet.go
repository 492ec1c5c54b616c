package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// What many processes on one database share: changes, slots, turns and
// rate limits. On SQLite the one writer at a time makes each call atomic;
// on Postgres each is one statement or holds row locks, so that any
// number of replicas may call at once.

// Changes returns the accounts changed since stamp (see Store.Changes).
//
// A change may be reported again by the next call (never missed): on
// Postgres the stamp returned is the xmin of the snapshot read in, below
// which every transaction has ended, so a change committed while an
// older transaction still ran is seen once more. Reloading an account
// twice is harmless; missing a change is not.
func (s *base) Changes(ctx context.Context, since Stamp) ([]Change, Stamp, error) {
	var changes []Change
	var next Stamp
	err := s.inTxOpts(ctx, "reading the changes", s.d.changesTx, func(tx *sql.Tx) error {
		changes = nil
		if err := tx.QueryRowContext(ctx, s.d.nextSQL).Scan(&next); err != nil {
			return err
		}
		if since <= 0 {
			return nil
		}
		rows, err := s.query(ctx, tx, `SELECT id, changed >= ?, state_changed >= ? FROM accounts
			WHERE changed >= ? OR state_changed >= ? ORDER BY id`, since, since, since, since)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Change
			if err := rows.Scan(&c.ID, &c.Account, &c.State); err != nil {
				return err
			}
			changes = append(changes, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, since, err
	}
	return changes, next, nil
}

// SaveBlobsTx writes the account's blobs in tx, the caller's transaction
// of DB(), and marks its state saved for Changes; ErrNotFound when there
// is no such account. The caller commits.
func (s *base) SaveBlobsTx(ctx context.Context, tx *sql.Tx, id ID, blobs map[string][]byte) error {
	if tx == nil {
		return &opError{"saving feed state", errors.New("no transaction given")}
	}
	if err := s.saveBlobs(ctx, tx, id, blobs); err != nil {
		if errors.Is(err, ErrStore) {
			return err
		}
		return &opError{"saving feed state", err}
	}
	return nil
}

// SetHealthTx records the account's health in tx, the caller's
// transaction of DB(); ErrNotFound when there is no such account.
func (s *base) SetHealthTx(ctx context.Context, tx *sql.Tx, id ID, h Health) error {
	if tx == nil {
		return &opError{"saving an account's health", errors.New("no transaction given")}
	}
	err := s.execOne(ctx, tx, `UPDATE accounts SET `+setHealth+` WHERE id = ?`,
		h.State, h.Why, nanos(h.LastGood), nanos(h.NextRefresh), id)
	if err != nil && !errors.Is(err, ErrStore) {
		return &opError{"saving an account's health", err}
	}
	return err
}

// TakeSlot claims a free or expired place among the first limit of name
// (see Store.TakeSlot). A holder that holds one of them already gets it
// again, its lease renewed: a TakeSlot retried after a lost answer takes
// no second place. Places at or above limit (a limit lowered while they
// were held) are neither given nor counted: keep a name's limit fixed.
func (s *base) TakeSlot(ctx context.Context, name string, limit int, holder string, lease time.Duration) (slot int, ok bool, err error) {
	op := "taking a slot of " + name
	switch {
	case name == "" || holder == "":
		return 0, false, &opError{op, errors.New("the name and the holder are required")}
	case limit < 1:
		return 0, false, &opError{op, fmt.Errorf("the limit is %d: it must be at least 1", limit)}
	case lease <= 0:
		return 0, false, &opError{op, fmt.Errorf("the lease is %s: it must be positive", lease)}
	}
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		now, err := s.d.now(ctx, tx)
		if err != nil {
			return err
		}
		expires := now + int64(lease)
		// The places exist as rows, so that they can be locked; made
		// once (an insert, even one that does nothing, waits on a row
		// another transaction is updating).
		var have int
		if err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM slots WHERE name = ? AND slot < ?`, name, limit).Scan(&have); err != nil {
			return err
		}
		if have < limit {
			if _, err := s.exec(ctx, tx, `WITH RECURSIVE n (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
			INSERT INTO slots (name, slot, holder, expires) SELECT ?, i, '', 0 FROM n WHERE true
			ON CONFLICT (name, slot) DO NOTHING`, limit, name); err != nil {
				return err
			}
		}
		err = s.queryRow(ctx, tx, `UPDATE slots SET expires = ? WHERE name = ? AND holder = ? AND slot < ? AND expires > ? RETURNING slot`,
			expires, name, holder, limit, now).Scan(&slot)
		if err == nil {
			ok = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// A place another transaction is taking or freeing is skipped,
		// not waited for: it is not free now.
		err = s.queryRow(ctx, tx, `SELECT slot FROM slots WHERE name = ? AND slot < ? AND (holder = '' OR expires <= ?)
			ORDER BY slot LIMIT 1`+s.d.skipLocked, name, limit, now).Scan(&slot)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		// Free still: the row lock makes it so on Postgres, and the
		// condition says so again.
		res, err := s.exec(ctx, tx, `UPDATE slots SET holder = ?, expires = ? WHERE name = ? AND slot = ? AND (holder = '' OR expires <= ?)`,
			holder, expires, name, slot, now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	if err != nil || !ok {
		return 0, false, err
	}
	return slot, true, nil
}

// ReleaseSlot frees the place, when holder holds it still.
func (s *base) ReleaseSlot(ctx context.Context, name string, slot int, holder string) error {
	_, err := s.exec(ctx, s.db, `UPDATE slots SET holder = '', expires = 0 WHERE name = ? AND slot = ? AND holder = ?`, name, slot, holder)
	if err != nil {
		return &opError{"releasing a slot of " + name, err}
	}
	return nil
}

// NextTurn reserves the next turn of name: the later of its next free
// time and now, the next free time moving gap past it, in one statement
// (an upsert that locks the row, so that concurrent calls queue).
func (s *base) NextTurn(ctx context.Context, name string, gap time.Duration) (time.Time, error) {
	op := "reserving a turn of " + name
	if name == "" {
		return time.Time{}, &opError{op, errors.New("the name is required")}
	}
	if gap < 0 {
		return time.Time{}, &opError{op, fmt.Errorf("the gap is %s: it must not be negative", gap)}
	}
	now, err := s.d.now(ctx, s.db)
	if err != nil {
		return time.Time{}, &opError{op, err}
	}
	var next int64
	err = s.queryRow(ctx, s.db, `INSERT INTO turns (name, next) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET next = `+s.d.greatest+`(turns.next, ?) + ?
		RETURNING next`, name, now+int64(gap), now, int64(gap)).Scan(&next)
	if err != nil {
		return time.Time{}, &opError{op, err}
	}
	return time.Unix(0, next-int64(gap)).UTC(), nil
}

// hitTries bounds Hit's tries when a prune removes the row it is
// counting in between its statements.
const hitTries = 5

// Hit counts an event under key among the window's last (see
// Store.Hit). The key's row is locked while it is counted, so that
// concurrent calls count one after the other; rows whose newest event
// has left the window are pruned after.
func (s *base) Hit(ctx context.Context, key string, limit int, window time.Duration) (ok bool, retry time.Duration, err error) {
	op := "counting a hit"
	switch {
	case key == "":
		return false, 0, &opError{op, errors.New("the key is required")}
	case limit < 1:
		return false, 0, &opError{op, fmt.Errorf("the limit is %d: it must be at least 1", limit)}
	case window <= 0:
		return false, 0, &opError{op, fmt.Errorf("the window is %s: it must be positive", window)}
	}
	var now int64
	for try := 0; ; try++ {
		var gone bool
		err = s.inTx(ctx, op, func(tx *sql.Tx) error {
			gone = false
			if now, err = s.d.now(ctx, tx); err != nil {
				return err
			}
			if _, err := s.exec(ctx, tx, `INSERT INTO hits (key, times, expires) VALUES (?, ?, 0) ON CONFLICT (key) DO NOTHING`, key, []byte{}); err != nil {
				return err
			}
			var raw []byte
			err := s.queryRow(ctx, tx, `SELECT times FROM hits WHERE key = ?`+s.d.forUpdate, key).Scan(&raw)
			if errors.Is(err, sql.ErrNoRows) {
				gone = true // pruned in between: again
				return nil
			}
			if err != nil {
				return err
			}
			times := decodeTimes(raw)
			from := 0
			for from < len(times) && times[from] <= now-int64(window) {
				from++
			}
			times = times[from:]
			if len(times) >= limit {
				ok = false
				retry = time.Duration(times[len(times)-limit] + int64(window) - now)
			} else {
				ok, retry = true, 0
				times = append(times, now)
			}
			expires := now
			if len(times) > 0 {
				expires = times[len(times)-1] + int64(window)
			}
			_, err = s.exec(ctx, tx, `UPDATE hits SET times = ?, expires = ? WHERE key = ?`, encodeTimes(times), expires, key)
			return err
		})
		if err != nil {
			return false, 0, err
		}
		if !gone {
			break
		}
		if try+1 == hitTries {
			return false, 0, &opError{op, errors.New("its count was pruned at each try")}
		}
	}
	// Prune the keys whose events have all left their window; a row
	// another call holds is skipped, not waited for. A failed prune is
	// tried again by the next Hit.
	_, _ = s.exec(ctx, s.db, `DELETE FROM hits WHERE key IN
		(SELECT key FROM hits WHERE expires < ? LIMIT 100`+s.d.skipLocked+`)`, now)
	return ok, retry, nil
}

// Unhit removes the newest event counted under key (see Store.Unhit),
// under the key's row lock, as Hit counts.
func (s *base) Unhit(ctx context.Context, key string) error {
	op := "giving back a hit"
	if key == "" {
		return &opError{op, errors.New("the key is required")}
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		var raw []byte
		err := s.queryRow(ctx, tx, `SELECT times FROM hits WHERE key = ?`+s.d.forUpdate, key).Scan(&raw)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		times := decodeTimes(raw)
		if len(times) == 0 {
			return nil
		}
		// expires stays: the row is pruned a little later at most.
		_, err = s.exec(ctx, tx, `UPDATE hits SET times = ? WHERE key = ?`, encodeTimes(times[:len(times)-1]), key)
		return err
	})
}

// encodeTimes and decodeTimes are a hit row's times: 8-byte big-endian
// unix nanoseconds, oldest first.
func encodeTimes(ts []int64) []byte {
	b := make([]byte, 0, 8*len(ts))
	for _, t := range ts {
		b = binary.BigEndian.AppendUint64(b, uint64(t))
	}
	return b
}

func decodeTimes(b []byte) []int64 {
	ts := make([]int64, 0, len(b)/8)
	for ; len(b) >= 8; b = b[8:] {
		ts = append(ts, int64(binary.BigEndian.Uint64(b)))
	}
	return ts
}
