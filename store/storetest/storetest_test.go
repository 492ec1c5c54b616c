package storetest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/pgtest"
	"github.com/rosteron/rosteron/store"
)

// An account's state in the store is a feed's state.
var _ feed.State = store.State{}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	s := Open(t)
	a, _, err := s.Create(ctx, store.NewAccount{Username: "alice", Instance: "https://a.example", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := s.Password(ctx, a.ID); err != nil || pw != "pw" {
		t.Fatalf("Password: %v", err)
	}

	path := filepath.Join(t.TempDir(), "s.db")
	key := Key(t)
	s1 := OpenAt(t, path, key)
	if _, _, err := s1.Create(ctx, store.NewAccount{Username: "bob", Instance: "https://a.example", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := OpenAt(t, path, nil)
	b, err := s2.Find(ctx, "https://a.example", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Password(ctx, b.ID); !errors.Is(err, store.ErrNoKey) {
		t.Fatalf("Password without a key: %v", err)
	}
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestKinds(t *testing.T) {
	ctx := context.Background()
	var kinds []store.Kind
	Kinds(t, func(t *testing.T, open func(t *testing.T, key *store.Key) store.Store) {
		s := open(t, Key(t))
		kinds = append(kinds, s.Kind())
		a, _, err := s.Create(ctx, store.NewAccount{Username: "alice", Instance: "https://a.example", Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		if pw, err := s.Password(ctx, a.ID); err != nil || pw != "pw" {
			t.Fatalf("Password: %v", err)
		}
		if all, err := open(t, nil).List(ctx); err != nil || len(all) != 0 {
			t.Fatalf("a second open gave the same database: %d accounts, %v", len(all), err)
		}
	})
	if len(kinds) != 2 || kinds[0] != store.KindSQLite || kinds[1] != store.KindPostgres {
		t.Fatalf("kinds: %v", kinds)
	}
}

func TestPostgresReplicas(t *testing.T) {
	ctx := context.Background()
	key := Key(t)
	db := Fresh(t, store.KindPostgres)
	a, b := db(key), db(key)
	acct, _, err := a.Create(ctx, store.NewAccount{Username: "alice", Instance: "https://a.example", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := b.Password(ctx, acct.ID); err != nil || pw != "pw" {
		t.Fatalf("the second replica: %v", err)
	}
	if s := Postgres(t, nil); s.Kind() != store.KindPostgres {
		t.Fatalf("Postgres gave %s", s.Kind())
	}
}
