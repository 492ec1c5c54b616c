package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newDB makes a fresh, empty database and returns a function that opens
// it with a key (nil for none). The function may be called again after
// the store it gave is closed, to reopen the same database. Stores it
// gives are closed at the test's end.
type newDB func(t *testing.T) func(key *Key) Store

// testStore is the behaviour every Store has, whatever keeps it: TestSQLite
// runs it on SQLite, and a Postgres store will run it too.
func testStore(t *testing.T, fresh newDB) {
	// open gives a store on a fresh database with a fresh key.
	open := func(t *testing.T) Store {
		return fresh(t)(testKey(t))
	}
	ctx := context.Background()

	t.Run("CreateGetListFind", func(t *testing.T) {
		s := open(t)
		a, sec, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://ro.example/RosterOnProd/Mobile", Password: "pw-alice", Zone: "Australia/Sydney"})
		require.NoError(t, err)
		assert.NotZero(t, a.ID)
		assert.Equal(t, "alice", a.Username)
		assert.Equal(t, "https://ro.example/RosterOnProd/Mobile", a.Instance)
		assert.Equal(t, "Australia/Sydney", a.Zone)
		assert.False(t, a.Created.IsZero())
		assert.Len(t, sec.Token, 32)
		assert.Len(t, sec.Manage, 32)
		assert.NotEqual(t, sec.Token, sec.Manage)

		b, _, err := s.Create(ctx, NewAccount{Username: "bob", Instance: "https://ro.example/RosterOnProd/Mobile"})
		require.NoError(t, err)
		assert.Greater(t, b.ID, a.ID)

		got, err := s.Get(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, a, got)
		got, err = s.Find(ctx, a.Instance, "alice")
		require.NoError(t, err)
		assert.Equal(t, a, got)
		all, err := s.List(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, a, all[0])
		assert.Equal(t, b, all[1])

		pw, err := s.Password(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, "pw-alice", pw)
		pw, err = s.Password(ctx, b.ID)
		require.NoError(t, err)
		assert.Equal(t, "", pw, "no password kept")
		tok, err := s.Token(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, sec.Token, tok)
		st, err := s.Settings(ctx, b.ID)
		require.NoError(t, err)
		assert.Equal(t, &Settings{}, st)
	})

	t.Run("Exists", func(t *testing.T) {
		s := open(t)
		_, _, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example"})
		require.NoError(t, err)
		_, _, err = s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example", Password: "other"})
		assert.ErrorIs(t, err, ErrExists)
		assert.ErrorIs(t, err, ErrStore)
		_, _, err = s.Create(ctx, NewAccount{Username: "alice", Instance: "https://b.example"})
		assert.NoError(t, err, "the same username on another instance is another account")
		all, err := s.List(ctx)
		require.NoError(t, err)
		assert.Len(t, all, 2)
	})

	t.Run("UsernameInAnyCase", func(t *testing.T) {
		s := open(t)
		a, _, err := s.Create(ctx, NewAccount{Username: "Jane.Doe", Instance: "https://a.example"})
		require.NoError(t, err)
		_, _, err = s.Create(ctx, NewAccount{Username: "jane.doe", Instance: "https://a.example"})
		assert.ErrorIs(t, err, ErrExists, "RosterOn usernames are case-insensitive: one login, one account")
		_, _, err = s.Create(ctx, NewAccount{Username: "JANE.DOE", Instance: "https://a.example", Password: "pw"})
		assert.ErrorIs(t, err, ErrExists)
		for _, u := range []string{"Jane.Doe", "jane.doe", "JANE.DOE", "jAnE.dOe"} {
			got, err := s.Find(ctx, "https://a.example", u)
			require.NoError(t, err, u)
			assert.Equal(t, a, got, u)
			assert.Equal(t, "Jane.Doe", got.Username, "the username is kept as it was given")
		}
		_, err = s.Find(ctx, "https://a.example", "jane.doe2")
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = s.Find(ctx, "https://b.example", "jane.doe")
		assert.ErrorIs(t, err, ErrNotFound)
		_, _, err = s.Create(ctx, NewAccount{Username: "JANE.doe", Instance: "https://b.example"})
		assert.NoError(t, err, "another instance is another account")
		all, err := s.List(ctx)
		require.NoError(t, err)
		assert.Len(t, all, 2)
	})

	t.Run("CreateRequiresUsernameAndInstance", func(t *testing.T) {
		s := open(t)
		_, _, err := s.Create(ctx, NewAccount{Instance: "https://a.example"})
		assert.ErrorIs(t, err, ErrStore)
		_, _, err = s.Create(ctx, NewAccount{Username: "a"})
		assert.ErrorIs(t, err, ErrStore)
	})

	t.Run("GivenToken", func(t *testing.T) {
		s := open(t)
		const given = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		a, sec, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example", Token: given})
		require.NoError(t, err)
		assert.Equal(t, given, sec.Token)
		got, err := s.ByToken(ctx, given)
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
		_, _, err = s.Create(ctx, NewAccount{Username: "bob", Instance: "https://a.example", Token: given})
		assert.ErrorIs(t, err, ErrStore, "a token already in use")
		assert.NotErrorIs(t, err, ErrExists)
		_, err = s.Find(ctx, "https://a.example", "bob")
		assert.ErrorIs(t, err, ErrNotFound, "nothing of a failed Create is kept")
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		a, _, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example"})
		require.NoError(t, err)
		missing := a.ID + 1000
		_, err = s.Get(ctx, missing)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorIs(t, err, ErrStore)
		_, err = s.Find(ctx, "https://a.example", "nobody")
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = s.Find(ctx, "https://b.example", "alice")
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = s.LoadBlob(ctx, a.ID, "roster.json")
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorIs(t, err, fs.ErrNotExist)
		_, err = s.LoadBlob(ctx, missing, "roster.json")
		assert.ErrorIs(t, err, fs.ErrNotExist)
		assert.ErrorIs(t, s.SaveBlob(ctx, missing, "roster.json", []byte("x")), ErrNotFound)
		_, err = s.Password(ctx, missing)
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = s.Token(ctx, missing)
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = s.Settings(ctx, missing)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorIs(t, s.SetPassword(ctx, missing, "x"), ErrNotFound)
		assert.ErrorIs(t, s.SetSettings(ctx, missing, &Settings{}), ErrNotFound)
		assert.ErrorIs(t, s.SetZone(ctx, missing, "UTC"), ErrNotFound)
		assert.ErrorIs(t, s.SetPaused(ctx, missing, true, "x"), ErrNotFound)
		assert.ErrorIs(t, s.SetHealth(ctx, missing, Health{State: "ok"}), ErrNotFound)
		_, err = s.NewToken(ctx, missing)
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = s.NewManage(ctx, missing)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorIs(t, s.Delete(ctx, missing), ErrNotFound)
		all, err := s.List(ctx)
		require.NoError(t, err)
		assert.Len(t, all, 1)
	})

	t.Run("ByTokenByManage", func(t *testing.T) {
		s := open(t)
		a, sa, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example"})
		require.NoError(t, err)
		b, sb, err := s.Create(ctx, NewAccount{Username: "bob", Instance: "https://a.example"})
		require.NoError(t, err)
		for _, c := range []struct {
			secrets Secrets
			id      ID
		}{{sa, a.ID}, {sb, b.ID}} {
			got, err := s.ByToken(ctx, c.secrets.Token)
			require.NoError(t, err)
			assert.Equal(t, c.id, got.ID)
			got, err = s.ByManage(ctx, c.secrets.Manage)
			require.NoError(t, err)
			assert.Equal(t, c.id, got.ID)
			_, err = s.ByToken(ctx, c.secrets.Manage)
			assert.ErrorIs(t, err, ErrNotFound, "a manage secret is no token")
			_, err = s.ByManage(ctx, c.secrets.Token)
			assert.ErrorIs(t, err, ErrNotFound, "a token is no manage secret")
		}
		for _, wrong := range []string{"", "x", sa.Token[:31], sa.Token + "x", sa.Token[1:] + "A"} {
			_, err = s.ByToken(ctx, wrong)
			assert.ErrorIs(t, err, ErrNotFound)
			_, err = s.ByManage(ctx, wrong)
			assert.ErrorIs(t, err, ErrNotFound)
		}
	})

	t.Run("NewTokenNewManage", func(t *testing.T) {
		s := open(t)
		a, sec, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example"})
		require.NoError(t, err)
		tok, err := s.NewToken(ctx, a.ID)
		require.NoError(t, err)
		assert.Len(t, tok, 32)
		assert.NotEqual(t, sec.Token, tok)
		_, err = s.ByToken(ctx, sec.Token)
		assert.ErrorIs(t, err, ErrNotFound, "the old token stops working at once")
		got, err := s.ByToken(ctx, tok)
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
		opened, err := s.Token(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, tok, opened)
		got, err = s.ByManage(ctx, sec.Manage)
		require.NoError(t, err, "a new token leaves the manage secret")
		assert.Equal(t, a.ID, got.ID)

		m, err := s.NewManage(ctx, a.ID)
		require.NoError(t, err)
		assert.Len(t, m, 32)
		_, err = s.ByManage(ctx, sec.Manage)
		assert.ErrorIs(t, err, ErrNotFound)
		got, err = s.ByManage(ctx, m)
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
		got, err = s.ByToken(ctx, tok)
		require.NoError(t, err, "a new manage secret leaves the token")
		assert.Equal(t, a.ID, got.ID)
	})

	t.Run("Setters", func(t *testing.T) {
		s := open(t)
		a, _, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example", Password: "first"})
		require.NoError(t, err)
		b, _, err := s.Create(ctx, NewAccount{Username: "bob", Instance: "https://a.example", Password: "bobs"})
		require.NoError(t, err)

		require.NoError(t, s.SetPaused(ctx, a.ID, true, "RosterOn rejected the password"))
		got, err := s.Get(ctx, a.ID)
		require.NoError(t, err)
		assert.True(t, got.Paused)
		assert.Equal(t, "RosterOn rejected the password", got.PauseReason)
		require.NoError(t, s.SetPaused(ctx, a.ID, false, "ignored"))
		got, err = s.Get(ctx, a.ID)
		require.NoError(t, err)
		assert.False(t, got.Paused)
		assert.Equal(t, "", got.PauseReason)

		h := Health{State: "stale", Why: "RosterOn did not answer", LastGood: time.Date(2026, 12, 5, 10, 11, 12, 13, time.UTC), NextRefresh: time.Date(2026, 12, 5, 10, 41, 0, 0, time.UTC)}
		require.NoError(t, s.SetHealth(ctx, a.ID, h))
		got, err = s.Get(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, h.State, got.Health.State)
		assert.Equal(t, h.Why, got.Health.Why)
		assert.True(t, h.LastGood.Equal(got.Health.LastGood), "%v != %v", h.LastGood, got.Health.LastGood)
		assert.True(t, h.NextRefresh.Equal(got.Health.NextRefresh))
		require.NoError(t, s.SetHealth(ctx, a.ID, Health{State: "starting"}))
		got, err = s.Get(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, Health{State: "starting"}, got.Health, "zero times stay zero")

		require.NoError(t, s.SetZone(ctx, a.ID, "Europe/London"))
		got, err = s.Get(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, "Europe/London", got.Zone)

		st := &Settings{
			Notify:       []string{"https://ntfy.example/alice-topic", "json+https://user:pass@hook.example/x", "mailto:alice@example.com"},
			CalendarName: "Work",
			Remind:       []time.Duration{time.Hour, 15 * time.Minute},
			RemindLeave:  true,
			CalDAV:       &CalDAV{URL: "https://dav.example/alice/", Username: "alice", Password: "dav-pw", Calendar: "roster"},
		}
		require.NoError(t, s.SetSettings(ctx, a.ID, st))
		gotSt, err := s.Settings(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, st, gotSt)
		require.NoError(t, s.SetSettings(ctx, a.ID, nil))
		gotSt, err = s.Settings(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, &Settings{}, gotSt)

		require.NoError(t, s.SetPassword(ctx, a.ID, "second"))
		pw, err := s.Password(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, "second", pw)
		require.NoError(t, s.SetPassword(ctx, a.ID, ""))
		pw, err = s.Password(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, "", pw)

		// The other account is untouched.
		got, err = s.Get(ctx, b.ID)
		require.NoError(t, err)
		assert.Equal(t, b, got)
		pw, err = s.Password(ctx, b.ID)
		require.NoError(t, err)
		assert.Equal(t, "bobs", pw)
	})

	t.Run("Blobs", func(t *testing.T) {
		s := open(t)
		a, _, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example"})
		require.NoError(t, err)
		b, _, err := s.Create(ctx, NewAccount{Username: "bob", Instance: "https://a.example"})
		require.NoError(t, err)
		require.NoError(t, s.SaveBlob(ctx, a.ID, "roster.json", []byte(`{"a":1}`)))
		require.NoError(t, s.SaveBlob(ctx, b.ID, "roster.json", []byte(`{"b":2}`)))
		got, err := s.LoadBlob(ctx, a.ID, "roster.json")
		require.NoError(t, err)
		assert.Equal(t, `{"a":1}`, string(got))
		require.NoError(t, s.SaveBlob(ctx, a.ID, "roster.json", []byte(`{"a":3}`)))
		got, err = s.LoadBlob(ctx, a.ID, "roster.json")
		require.NoError(t, err)
		assert.Equal(t, `{"a":3}`, string(got))
		got, err = s.LoadBlob(ctx, b.ID, "roster.json")
		require.NoError(t, err)
		assert.Equal(t, `{"b":2}`, string(got))

		require.NoError(t, s.SaveBlob(ctx, a.ID, "empty", nil))
		got, err = s.LoadBlob(ctx, a.ID, "empty")
		require.NoError(t, err)
		assert.NotNil(t, got)
		assert.Empty(t, got)
		assert.ErrorIs(t, s.SaveBlob(ctx, a.ID, "", []byte("x")), ErrStore)

		big := make([]byte, 1<<20)
		for i := range big {
			big[i] = byte(i * 7)
		}
		require.NoError(t, s.SaveBlob(ctx, a.ID, "calendar.json", big))
		got, err = s.LoadBlob(ctx, a.ID, "calendar.json")
		require.NoError(t, err)
		assert.Equal(t, big, got)

		st := State{Store: s, ID: b.ID}
		require.NoError(t, st.Save("notify.json", []byte("n")))
		got, err = st.Load("notify.json")
		require.NoError(t, err)
		assert.Equal(t, "n", string(got))
		_, err = st.Load("login-guard.json")
		assert.ErrorIs(t, err, fs.ErrNotExist)
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		a, sa, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example", Password: "pw"})
		require.NoError(t, err)
		b, sb, err := s.Create(ctx, NewAccount{Username: "bob", Instance: "https://a.example", Password: "pw"})
		require.NoError(t, err)
		require.NoError(t, s.SaveBlob(ctx, a.ID, "roster.json", []byte("a")))
		require.NoError(t, s.SaveBlob(ctx, b.ID, "roster.json", []byte("b")))
		require.NoError(t, s.Delete(ctx, a.ID))
		_, err = s.Get(ctx, a.ID)
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = s.LoadBlob(ctx, a.ID, "roster.json")
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = s.ByToken(ctx, sa.Token)
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = s.ByManage(ctx, sa.Manage)
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = s.Password(ctx, a.ID)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorIs(t, s.Delete(ctx, a.ID), ErrNotFound)

		got, err := s.ByToken(ctx, sb.Token)
		require.NoError(t, err)
		assert.Equal(t, b.ID, got.ID)
		data, err := s.LoadBlob(ctx, b.ID, "roster.json")
		require.NoError(t, err)
		assert.Equal(t, "b", string(data))

		// An ID is never reused, and the name is free again.
		c, _, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example"})
		require.NoError(t, err)
		assert.Greater(t, c.ID, b.ID)
		_, err = s.LoadBlob(ctx, c.ID, "roster.json")
		assert.ErrorIs(t, err, ErrNotFound, "a new account inherits nothing")
	})

	t.Run("Secret", func(t *testing.T) {
		s := open(t)
		calls := 0
		mk := func() ([]byte, error) { calls++; return []byte("csrf-key-0123456789"), nil }
		v, err := s.Secret(ctx, "csrf", mk)
		require.NoError(t, err)
		assert.Equal(t, "csrf-key-0123456789", string(v))
		v, err = s.Secret(ctx, "csrf", func() ([]byte, error) { t.Error("made twice"); return nil, nil })
		require.NoError(t, err)
		assert.Equal(t, "csrf-key-0123456789", string(v))
		assert.Equal(t, 1, calls)
		boom := errors.New("no randomness")
		_, err = s.Secret(ctx, "other", func() ([]byte, error) { return nil, boom })
		assert.ErrorIs(t, err, boom)
		assert.ErrorIs(t, err, ErrStore)
		_, err = s.Secret(ctx, "empty", func() ([]byte, error) { return nil, nil })
		assert.ErrorIs(t, err, ErrStore)
		v, err = s.Secret(ctx, "other", func() ([]byte, error) { return []byte("second"), nil })
		require.NoError(t, err, "a failed make keeps nothing")
		assert.Equal(t, "second", string(v))
	})

	t.Run("Reopen", func(t *testing.T) {
		db := fresh(t)
		key := testKey(t)
		s := db(key)
		a, sec, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example", Password: "pw", Zone: "UTC",
			Settings: Settings{Notify: []string{"ntfy-topic"}}})
		require.NoError(t, err)
		require.NoError(t, s.SaveBlob(ctx, a.ID, "roster.json", []byte("r")))
		require.NoError(t, s.SetPaused(ctx, a.ID, true, "owner"))
		_, err = s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("k"), nil })
		require.NoError(t, err)
		require.NoError(t, s.Close())

		s = db(key)
		got, err := s.Get(ctx, a.ID)
		require.NoError(t, err)
		a.Paused, a.PauseReason = true, "owner"
		assert.Equal(t, a, got)
		pw, err := s.Password(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, "pw", pw)
		tok, err := s.Token(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, sec.Token, tok)
		st, err := s.Settings(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"ntfy-topic"}, st.Notify)
		data, err := s.LoadBlob(ctx, a.ID, "roster.json")
		require.NoError(t, err)
		assert.Equal(t, "r", string(data))
		v, err := s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("new"), nil })
		require.NoError(t, err)
		assert.Equal(t, "k", string(v))
	})

	t.Run("WrongKey", func(t *testing.T) {
		db := fresh(t)
		s := db(testKey(t))
		a, sec, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example", Password: "pw",
			Settings: Settings{CalDAV: &CalDAV{URL: "https://dav.example", Username: "u", Password: "p"}}})
		require.NoError(t, err)
		_, err = s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("k"), nil })
		require.NoError(t, err)
		require.NoError(t, s.Close())

		s = db(testKey(t))
		_, err = s.Password(ctx, a.ID)
		assert.ErrorIs(t, err, ErrWrongKey)
		assert.ErrorIs(t, err, ErrStore)
		_, err = s.Token(ctx, a.ID)
		assert.ErrorIs(t, err, ErrWrongKey)
		_, err = s.Settings(ctx, a.ID)
		assert.ErrorIs(t, err, ErrWrongKey)
		_, err = s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("new"), nil })
		assert.ErrorIs(t, err, ErrWrongKey)
		assert.ErrorIs(t, s.RotateKey(ctx, testKey(t)), ErrWrongKey, "nothing is sealed again with a wrong key")
		// What needs no key still works.
		got, err := s.ByToken(ctx, sec.Token)
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
	})

	t.Run("NoKey", func(t *testing.T) {
		db := fresh(t)
		s := db(nil)
		_, _, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example", Password: "pw"})
		assert.ErrorIs(t, err, ErrNoKey)
		assert.ErrorIs(t, err, ErrStore)
		_, _, err = s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example", Settings: Settings{Notify: []string{"t"}}})
		assert.ErrorIs(t, err, ErrNoKey)
		_, _, err = s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example", Settings: Settings{CalDAV: &CalDAV{}}})
		assert.ErrorIs(t, err, ErrNoKey)
		_, err = s.Find(ctx, "https://a.example", "alice")
		assert.ErrorIs(t, err, ErrNotFound, "a refused Create keeps nothing")

		a, sec, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example", Settings: Settings{CalendarName: "Work", Remind: []time.Duration{time.Hour}}})
		require.NoError(t, err)
		got, err := s.ByToken(ctx, sec.Token)
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
		got, err = s.ByManage(ctx, sec.Manage)
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
		_, err = s.Token(ctx, a.ID)
		assert.ErrorIs(t, err, ErrNoKey)
		_, err = s.Password(ctx, a.ID)
		assert.ErrorIs(t, err, ErrNoKey)
		assert.ErrorIs(t, s.SetPassword(ctx, a.ID, "pw"), ErrNoKey)
		require.NoError(t, s.SetPassword(ctx, a.ID, ""), "keeping no password needs no key")
		_, err = s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("k"), nil })
		assert.ErrorIs(t, err, ErrNoKey)
		st, err := s.Settings(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, &Settings{CalendarName: "Work", Remind: []time.Duration{time.Hour}}, st)
		assert.ErrorIs(t, s.SetSettings(ctx, a.ID, &Settings{Notify: []string{"t"}}), ErrNoKey)
		st, err = s.Settings(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, "Work", st.CalendarName, "a refused SetSettings keeps the old settings")
		require.NoError(t, s.SaveBlob(ctx, a.ID, "roster.json", []byte("r")))
		data, err := s.LoadBlob(ctx, a.ID, "roster.json")
		require.NoError(t, err)
		assert.Equal(t, "r", string(data))
		tok, err := s.NewToken(ctx, a.ID)
		require.NoError(t, err)
		_, err = s.ByToken(ctx, tok)
		require.NoError(t, err)
		require.NoError(t, s.SetHealth(ctx, a.ID, Health{State: "ok"}))
		require.NoError(t, s.Close())

		// A key given later: the keyless account's token cannot be
		// opened (only its hash is kept), its settings still read, and
		// RotateKey seals them.
		key := testKey(t)
		s = db(key)
		_, err = s.Token(ctx, a.ID)
		assert.ErrorIs(t, err, ErrStore)
		assert.NotErrorIs(t, err, ErrWrongKey)
		st, err = s.Settings(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, "Work", st.CalendarName)
		next := testKey(t)
		require.NoError(t, s.RotateKey(ctx, next))
		st, err = s.Settings(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, "Work", st.CalendarName)
		require.NoError(t, s.Close())
		s = db(nil)
		_, err = s.Settings(ctx, a.ID)
		assert.ErrorIs(t, err, ErrNoKey, "the settings are sealed now")
	})

	t.Run("SwappedSealedValues", func(t *testing.T) {
		s := open(t)
		db := s.DB()
		if db == nil {
			t.Fatal("DB() is nil")
		}
		a, _, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example", Password: "alice-secret-pw",
			Settings: Settings{Notify: []string{"https://ntfy.example/alice"}}})
		require.NoError(t, err)
		b, _, err := s.Create(ctx, NewAccount{Username: "bob", Instance: "https://a.example", Password: "bob-pw",
			Settings: Settings{Notify: []string{"https://ntfy.example/bob"}}})
		require.NoError(t, err)
		_, err = s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("csrf-value"), nil })
		require.NoError(t, err)

		copyColumn := func(from, to string, fromID, toID ID) {
			t.Helper()
			_, err := db.ExecContext(ctx, fmt.Sprintf(`UPDATE accounts SET %s = (SELECT %s FROM accounts WHERE id = %d) WHERE id = %d`, to, from, fromID, toID))
			require.NoError(t, err)
		}
		// A's password into B's row: B's Password fails, never A's.
		copyColumn("password_sealed", "password_sealed", a.ID, b.ID)
		pw, err := s.Password(ctx, b.ID)
		assert.ErrorIs(t, err, ErrWrongKey)
		assert.Empty(t, pw)
		assert.NotContains(t, err.Error(), "alice-secret-pw")
		// A's own is fine still.
		pw, err = s.Password(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, "alice-secret-pw", pw)
		// A's password into A's token or settings column.
		copyColumn("password_sealed", "token_sealed", a.ID, a.ID)
		tok, err := s.Token(ctx, a.ID)
		assert.ErrorIs(t, err, ErrWrongKey)
		assert.Empty(t, tok)
		copyColumn("password_sealed", "settings_sealed", a.ID, a.ID)
		_, err = s.Settings(ctx, a.ID)
		assert.ErrorIs(t, err, ErrWrongKey)
		// B's settings into A's.
		copyColumn("settings_sealed", "settings_sealed", b.ID, a.ID)
		_, err = s.Settings(ctx, a.ID)
		assert.ErrorIs(t, err, ErrWrongKey)
		// A sealed password as a service-wide secret.
		_, err = db.ExecContext(ctx, fmt.Sprintf(`UPDATE secrets SET sealed = (SELECT password_sealed FROM accounts WHERE id = %d) WHERE name = 'csrf'`, a.ID))
		require.NoError(t, err)
		_, err = s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("new"), nil })
		assert.ErrorIs(t, err, ErrWrongKey)
	})

	t.Run("RotateKey", func(t *testing.T) {
		db := fresh(t)
		old := testKey(t)
		s := db(old)
		st := &Settings{Notify: []string{"json+https://u:p@hook.example"}, CalDAV: &CalDAV{URL: "https://dav.example", Username: "u", Password: "dav"}}
		var ids []ID
		var toks []string
		for i := range 5 {
			a, sec, err := s.Create(ctx, NewAccount{Username: fmt.Sprint("user", i), Instance: "https://a.example", Password: fmt.Sprint("pw", i), Settings: *st})
			require.NoError(t, err)
			ids = append(ids, a.ID)
			toks = append(toks, sec.Token)
		}
		_, _, err := s.Create(ctx, NewAccount{Username: "nopw", Instance: "https://a.example"})
		require.NoError(t, err)
		_, err = s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("csrf"), nil })
		require.NoError(t, err)
		assert.ErrorIs(t, s.RotateKey(ctx, nil), ErrStore)

		next := testKey(t)
		require.NoError(t, s.RotateKey(ctx, next))
		check := func(s Store) {
			t.Helper()
			for i, id := range ids {
				pw, err := s.Password(ctx, id)
				require.NoError(t, err)
				assert.Equal(t, fmt.Sprint("pw", i), pw)
				tok, err := s.Token(ctx, id)
				require.NoError(t, err)
				assert.Equal(t, toks[i], tok)
				got, err := s.Settings(ctx, id)
				require.NoError(t, err)
				assert.Equal(t, st, got)
			}
			v, err := s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("new"), nil })
			require.NoError(t, err)
			assert.Equal(t, "csrf", string(v))
		}
		check(s)
		// New values are sealed under the new key.
		require.NoError(t, s.SetPassword(ctx, ids[0], "pw0"))
		require.NoError(t, s.Close())

		s = db(next)
		check(s)
		require.NoError(t, s.Close())

		s = db(old)
		for _, id := range ids {
			_, err := s.Password(ctx, id)
			assert.ErrorIs(t, err, ErrWrongKey)
			_, err = s.Token(ctx, id)
			assert.ErrorIs(t, err, ErrWrongKey)
			_, err = s.Settings(ctx, id)
			assert.ErrorIs(t, err, ErrWrongKey)
		}
		_, err = s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("new"), nil })
		assert.ErrorIs(t, err, ErrWrongKey)
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		const workers, each = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*each*8)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					name := fmt.Sprintf("w%d-u%d", w, i)
					a, sec, err := s.Create(ctx, NewAccount{Username: name, Instance: "https://a.example", Password: "pw-" + name})
					if err != nil {
						errs <- err
						continue
					}
					if err := s.SaveBlob(ctx, a.ID, "roster.json", []byte(name)); err != nil {
						errs <- err
					}
					if err := s.SetHealth(ctx, a.ID, Health{State: "ok", LastGood: time.Now()}); err != nil {
						errs <- err
					}
					got, err := s.ByToken(ctx, sec.Token)
					if err != nil || got.ID != a.ID {
						errs <- fmt.Errorf("ByToken %s: %v", name, err)
					}
					data, err := s.LoadBlob(ctx, a.ID, "roster.json")
					if err != nil || string(data) != name {
						errs <- fmt.Errorf("LoadBlob %s: %q %v", name, data, err)
					}
					pw, err := s.Password(ctx, a.ID)
					if err != nil || pw != "pw-"+name {
						errs <- fmt.Errorf("Password %s: %v", name, err)
					}
					if _, err := s.List(ctx); err != nil {
						errs <- err
					}
					// Everyone races for the same name: one wins.
					if _, _, err := s.Create(ctx, NewAccount{Username: fmt.Sprint("shared", i), Instance: "https://a.example"}); err != nil && !errors.Is(err, ErrExists) {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		all, err := s.List(ctx)
		require.NoError(t, err)
		assert.Len(t, all, workers*each+each)
		ids := make([]ID, len(all))
		for i, a := range all {
			ids[i] = a.ID
		}
		assert.True(t, slices.IsSorted(ids))
	})

	testFleet(t, fresh)
}

func testKey(t testing.TB) *Key {
	t.Helper()
	k, err := NewKey()
	require.NoError(t, err)
	return k
}
