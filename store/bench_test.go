package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkRefreshWrites is what one refresh writes: a roster and the
// account's health, each a transaction with synchronous=FULL.
func BenchmarkRefreshWrites(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "store.db"), testKey(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var ids []ID
	for i := range 100 {
		a, _, err := s.Create(ctx, NewAccount{Username: fmt.Sprint("u", i), Instance: "https://a.example", Password: "pw"})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	roster := make([]byte, 20<<10)
	for i := 0; b.Loop(); i++ {
		id := ids[i%len(ids)]
		if err := s.SaveBlob(ctx, id, "roster.json", roster); err != nil {
			b.Fatal(err)
		}
		if err := s.SetHealth(ctx, id, Health{State: "ok"}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Password(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkByToken is a feed request's look-up.
func BenchmarkByToken(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "store.db"), testKey(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var toks []string
	for i := range 1000 {
		_, sec, err := s.Create(ctx, NewAccount{Username: fmt.Sprint("u", i), Instance: "https://a.example"})
		if err != nil {
			b.Fatal(err)
		}
		toks = append(toks, sec.Token)
	}
	for i := 0; b.Loop(); i++ {
		if _, err := s.ByToken(ctx, toks[i%len(toks)]); err != nil {
			b.Fatal(err)
		}
	}
}
