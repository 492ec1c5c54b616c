package syncbuf

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Concurrent writes each land whole, and reading while they do is safe
// (the suite runs with -race).
func TestBufferConcurrent(t *testing.T) {
	t.Parallel()
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				_, _ = b.Write([]byte("line\n"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, strings.Repeat("line\n", 800), b.String())
}

// Wait returns once a Write makes its condition hold, and gives up, with
// what there is, when its context ends.
func TestBufferWait(t *testing.T) {
	t.Parallel()
	var b Buffer
	go func() {
		for _, s := range []string{"one\n", "two\n", "ready\n", "after\n"} {
			_, _ = b.Write([]byte(s))
		}
	}()
	got, err := b.Wait(context.Background(), func(s string) bool { return strings.Contains(s, "ready\n") })
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(got, "one\ntwo\nready\n"), got)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err = b.Wait(ctx, func(s string) bool { return strings.Contains(s, "never") })
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, got, "ready\n")
}
