package session_test

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// The saved logs of a whole flow are compared, file by file and line by
// line, with testdata/full-flow.golden: the files, their order, purposes,
// request lines, statuses and headers, and a digest of each body. Only
// what must vary between runs is normalised: the times and the test
// server's address. The mock's clock is fixed, so its Date headers and the
// roster do not vary, and tokens and cookies are redacted in the logs
// already (the golden file shows that they are).
func TestSavedLogsOfAFullFlowMatchTheGoldenFile(t *testing.T) {
	f := newMock(t)
	s := newSession(t, f.url)
	ctx := ctxT(t)
	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	_, err := s.GetRoster(ctx)
	require.NoError(t, err)
	require.NoError(t, s.LogOut(ctx))

	dir := t.TempDir()
	require.NoError(t, s.SaveLogs(dir))
	got := normaliseLogs(t, dir, s.LogNames(), strings.TrimPrefix(f.ts.URL, "http://"))

	golden := filepath.Join("testdata", "full-flow.golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./session -run Golden -update to write it")
	assert.Equal(t, string(want), got)
}

var (
	logName   = regexp.MustCompile(`^\d{8}T\d{6}\.\d{6}Z-([a-z]+-\d+)\.txt$`)
	logTime   = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$`)
	lineStart = regexp.MustCompile(`(?m)^`)
)

// normaliseLogs reads the saved files in the order LogNames gives and
// writes each as its purpose and number, its request and status lines and
// headers with the server's address replaced by HOST, and its body's size
// and SHA-256 digest.
func normaliseLogs(t *testing.T, dir string, names []string, host string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, len(names), "one file per exchange, no other")
	var b strings.Builder
	for _, name := range names {
		m := logName.FindStringSubmatch(name)
		require.NotNil(t, m, name)
		data, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		head, body, ok := strings.Cut(string(data), "\n\n")
		require.True(t, ok, "%s: no blank line after the status", name)
		headers, body, ok := strings.Cut(body, "\n\n")
		require.True(t, ok, "%s: no blank line after the headers", name)
		lines := strings.Split(head, "\n")
		require.Len(t, lines, 3, "%s: time, request and status lines", name)
		require.Regexp(t, logTime, lines[0], name)
		fmt.Fprintf(&b, "== %s\n", m[1])
		fmt.Fprintf(&b, "%s\n%s\n", strings.ReplaceAll(lines[1], host, "HOST"), lines[2])
		b.WriteString(lineStart.ReplaceAllString(strings.ReplaceAll(headers, host, "HOST"), "  "))
		fmt.Fprintf(&b, "\nbody: %d bytes, sha256 %x\n", len(body), sha256.Sum256([]byte(body)))
	}
	return b.String()
}
