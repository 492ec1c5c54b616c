package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/store"
)

// acctState is an account's feed state (feed.State) in the store, as its
// runtime sees it.
//
// During a refresh job it buffers: Save keeps the blob in memory, and
// Load reads the buffer first, then the store. The job commits the buffer
// in one transaction with the account's health, the outbox and the job's
// completion (commit in worker.go), so that a job whose process dies
// before that commit leaves the store as it was: the job is rescued and
// run again, from the state of the last committed one. Outside a job
// (the alerts sent, a health check) a Save goes to the store at once.
//
// It remembers a digest of each blob it last read or wrote, so that a
// change in the store (store.Changes) can be told apart from its own
// saves: differs reads them again and compares.
type acctState struct {
	st store.Store
	id store.ID

	mu   sync.Mutex
	buf  map[string][]byte // non-nil while a job buffers
	seen map[string]digest // by name; absent: never read nor written
}

// digest is a blob's SHA-256; the zero digest with ok false is "none".
type digest struct {
	sum [sha256.Size]byte
	ok  bool
}

func newAcctState(st store.Store, id store.ID) *acctState {
	return &acctState{st: st, id: id, seen: map[string]digest{}}
}

// stateTimeout bounds one read or write of a blob outside a job.
const stateTimeout = 30 * time.Second

func (a *acctState) Load(name string) ([]byte, error) {
	a.mu.Lock()
	if b, ok := a.buf[name]; ok {
		a.mu.Unlock()
		return bytes.Clone(b), nil
	}
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	b, err := a.st.LoadBlob(ctx, a.id, name)
	switch {
	case err == nil:
		a.note(name, b, true)
	case errors.Is(err, store.ErrNotFound):
		a.note(name, nil, false)
	}
	return b, err
}

func (a *acctState) Save(name string, data []byte) error {
	a.mu.Lock()
	if a.buf != nil {
		a.buf[name] = bytes.Clone(data)
		a.mu.Unlock()
		return nil
	}
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	if err := a.st.SaveBlob(ctx, a.id, name, data); err != nil {
		return err
	}
	a.note(name, data, true)
	return nil
}

// note remembers what the store holds under name, unless a buffered
// save of it is pending.
func (a *acctState) note(name string, b []byte, ok bool) {
	if name == feed.NotifySentFile {
		// The notify jobs' record of their deliveries: no news for a
		// runtime, whose next save of the alerts reads it (outbox.go).
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, pending := a.buf[name]; pending {
		return
	}
	if ok {
		a.seen[name] = digest{sha256.Sum256(b), true}
	} else {
		a.seen[name] = digest{}
	}
}

// buffer starts buffering the saves, for a job.
func (a *acctState) buffer() {
	a.mu.Lock()
	a.buf = map[string][]byte{}
	a.mu.Unlock()
}

// take ends the buffering and returns what was saved meanwhile, to be
// committed; committed records it once it is.
func (a *acctState) take() map[string][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.buf
	a.buf = nil
	if b == nil {
		b = map[string][]byte{}
	}
	return b
}

func (a *acctState) committed(blobs map[string][]byte) {
	for name, b := range blobs {
		a.note(name, b, true)
	}
}

// differs reports whether a blob the runtime read or wrote is not what
// the store holds now: another process saved it.
func (a *acctState) differs(ctx context.Context) (bool, error) {
	a.mu.Lock()
	seen := make(map[string]digest, len(a.seen))
	for n, d := range a.seen {
		seen[n] = d
	}
	a.mu.Unlock()
	for name, d := range seen {
		b, err := a.st.LoadBlob(ctx, a.id, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if d.ok {
				return true, nil
			}
		case err != nil:
			return false, err
		case !d.ok || sha256.Sum256(b) != d.sum:
			return true, nil
		}
	}
	return false, nil
}

// refreshBlob is the name of the record each refresh job commits with its
// result: which job, and when the account's next refresh is due. Every
// job's commit saves it, so that every commit is a change (store.Changes)
// that the other replicas see, the leader's dispatcher included, which
// learns from it the account's next due time.
const refreshBlob = "refresh.json"

type refreshRecord struct {
	Job  int64     `json:"job"`
	Next time.Time `json:"next"`
}

// lastRefresh reads the account's refresh record; ok false when there is
// none or it does not read.
func (a *acctState) lastRefresh(ctx context.Context) (rec refreshRecord, ok bool) {
	b, err := a.st.LoadBlob(ctx, a.id, refreshBlob)
	if err != nil {
		return rec, false
	}
	return rec, json.Unmarshal(b, &rec) == nil
}
