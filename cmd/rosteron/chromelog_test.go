package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every line goes on but Chrome's "DevTools listening" lines: their
// address takes no token, so they are read for the port and dropped.
func TestChromeLogPassesEveryLineOnAndFindsThePort(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	l := newChromeLog(&out)
	long := strings.Repeat("x", maxChromeLine+10)
	in := "[0101/000000.000:INFO] starting\n" +
		"DevTools listening on ws://127.0.0.1:40123/devtools/browser/ab-cd\n" +
		"DevTools listening on ws://127.0.0.1:40999/devtools/browser/ef\n" +
		long + "\n" +
		"FATAL: the last words"
	// Written in pieces that cut lines, as a pipe hands them over.
	for i := 0; i < len(in); i += 7 {
		n, err := l.Write([]byte(in[i:min(i+7, len(in))]))
		require.NoError(t, err)
		require.Equal(t, min(7, len(in)-i), n)
	}
	assert.NotContains(t, out.String(), "the last words", "a line is passed on whole")
	l.flush()
	want := "[0101/000000.000:INFO] starting\n" +
		long[:maxChromeLine] + "\n" + long[maxChromeLine:] + "\n" +
		"FATAL: the last words\n"
	assert.Equal(t, want, out.String(),
		"a line too long to hold goes on in pieces; the last one gets its line break; no DevTools line")
	assert.NotContains(t, out.String(), "DevTools listening")
	assert.NotContains(t, out.String(), "/devtools/browser/")
	select {
	case port := <-l.port:
		assert.Equal(t, "40123", port, "the first DevTools line's")
	default:
		t.Fatal("no port")
	}
}

// Chrome's last lines, its crash reason, reach the log before `rosteron
// chrome` exits: they are read to their end before Wait returns.
func TestChromeCommandKeepsChromesLastLines(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh for a stand-in Chrome")
	}
	// A stand-in that says where DevTools listens, logs much more than a
	// pipe holds, and dies with a reason.
	fake := filepath.Join(t.TempDir(), "fake-chrome")
	script := "#!/bin/sh\n" +
		"echo 'DevTools listening on ws://127.0.0.1:9/devtools/browser/x' >&2\n" +
		"i=0; while [ $i -lt 3000 ]; do echo \"[0101/000000.000:INFO:fake.cc(1)] line $i of the log\" >&2; i=$((i+1)); done\n" +
		"printf 'FATAL: the reason Chrome died' >&2\n" +
		"exit 3\n"
	require.NoError(t, os.WriteFile(fake, []byte(script), 0o755))
	r := runWith(t, nil, "", "chrome", "--chrome", fake, "--addr", "127.0.0.1:0")
	assert.Equal(t, exitError, r.code, lastLines(r.stderr, 3))
	assert.True(t, strings.Contains(r.stderr, "line 2999 of the log\nFATAL: the reason Chrome died\n"),
		"Chrome's last lines: %s", lastLines(r.stderr, 3))
	assert.Equal(t, 3000+1, strings.Count(r.stderr, "\n")-strings.Count(r.stderr, "rosteron: "),
		"every line of Chrome's but the DevTools one, then rosteron's own: %s", lastLines(r.stderr, 3))
	assert.NotContains(t, r.stderr, "DevTools listening")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return fmt.Sprint(lines[max(0, len(lines)-n):])
}
