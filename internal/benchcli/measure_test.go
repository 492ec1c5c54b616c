package main

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A run that never ends fails make bench, saying so, instead of stalling
// it: stopped with SIGTERM when over its limit, and killed when it
// ignores that.
func TestARunThatHangsIsStopped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		script string
	}{
		{"ends on SIGTERM", "exec sleep 600"},
		{"ignores SIGTERM", `trap "" TERM; exec sleep 600`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := command{
				name: "hang",
				make: func(ctx context.Context, tmp string) *exec.Cmd {
					return exec.CommandContext(ctx, "sh", "-c", tc.script)
				},
				check: func([]byte) error { return nil },
			}
			_, err := runOnce(c, 200*time.Millisecond, 200*time.Millisecond)
			assert.ErrorContains(t, err, "hang: still running after 200ms, stopped")
		})
	}
}
