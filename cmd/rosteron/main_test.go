package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/rosteron/rosteron/internal/pgtest"
	"github.com/rosteron/rosteron/internal/syncbuf"
)

func TestMain(m *testing.M) {
	// Whoever runs the tests, rosteron runs them as a user who is not
	// root: the warning that Chrome gets no sandbox as root would end up
	// in every test's standard error. TestRootSandboxWarning sets the
	// uid itself.
	processEUID = func() int { return 1000 }
	// pgtest.Main stops the tests' PostgreSQL, when one was started.
	os.Exit(pgtest.Main(m))
}

// awaitOutput waits until cond holds of what a command running in this
// process has written to buf, and returns it. It fails the test when the
// command ends first (its result arrives on done, a channel of one) or
// when bound passes. A result taken from done while the condition came to
// hold is put back, for the caller that waits on done later.
func awaitOutput[T any](t *testing.T, buf *syncbuf.Buffer, done chan T, bound time.Duration, what string, cond func(string) bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	var (
		result T
		ended  bool
	)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case result = <-done:
			ended = true
			cancel()
		case <-ctx.Done():
		}
	}()
	s, err := buf.Wait(ctx, cond)
	cancel()
	<-watched
	switch {
	case err == nil:
		if ended {
			done <- result
		}
		return s
	case ended:
		t.Fatalf("the command ended (%v) before %s; it wrote: %s", result, what, s)
	default:
		t.Fatalf("no %s within %v; the command wrote: %s", what, bound, s)
	}
	return ""
}
