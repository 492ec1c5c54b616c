package storetest

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/rosteron/rosteron/feed"
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
