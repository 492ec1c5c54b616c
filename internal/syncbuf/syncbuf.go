// Package syncbuf is a buffer that one goroutine writes while another
// reads it: a test reading a command's or a refresher's output as it runs.
package syncbuf

import (
	"bytes"
	"context"
	"sync"
)

// Buffer is a bytes.Buffer whose Write, String and Wait may be called from
// several goroutines at once. The zero value is an empty buffer.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	// changed is closed by the next Write; nil until a Wait asks for it.
	changed chan struct{}
}

// Write appends p, and wakes every Wait.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.b.Write(p)
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return n, err
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Wait returns what was written so far once cond holds of it, checking
// again after each Write rather than on a timer. When ctx ends first it
// returns what there is, with ctx's error.
func (b *Buffer) Wait(ctx context.Context, cond func(string) bool) (string, error) {
	for {
		b.mu.Lock()
		s := b.b.String()
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		changed := b.changed
		b.mu.Unlock()
		if cond(s) {
			return s, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return s, ctx.Err()
		}
	}
}
