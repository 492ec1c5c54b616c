package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// The whole CLI against pages that load what real instances load, with a
// roster of real size: every shift, and the usual six log files.
func TestCLIRosterOnRealisticPages(t *testing.T) {
	needChrome(t)
	stack, err := mockserver.LoadScriptStack("")
	if errors.Is(err, mockserver.ErrNoScriptStack) && !chrometest.InCI() {
		t.Skipf("set CI=true to make this a failure: %v", err)
	}
	require.NoError(t, err)
	now := time.Date(2026, time.April, 1, 8, 3, 12, 0, time.UTC)
	_, url := newMock(t, mockserver.WithScriptStack(stack), mockserver.WithDemoShifts(124),
		mockserver.WithClock(func() time.Time { return now }))
	logs := filepath.Join(t.TempDir(), "logs")
	r := cli(t, []string{"ROSTERON_URL=" + url, "ROSTERON_USERNAME=" + mockserver.DemoUsername, "ROSTERON_PASSWORD=" + mockserver.DemoPassword},
		"", "roster", "--format", "json", "--save-logs", logs)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	var snap snapshot.Snapshot
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &snap))
	assert.Equal(t, mockserver.DemoRosterOf(now, 124), snap.Items)

	entries, err := os.ReadDir(logs)
	require.NoError(t, err)
	var kinds []string
	for _, e := range entries {
		n := e.Name()
		kinds = append(kinds, n[strings.Index(n, "Z-")+2:len(n)-len(".txt")])
	}
	sort.Strings(kinds)
	assert.Equal(t, []string{"home-0", "home-1", "login-0", "logout-0", "logout-1", "roster-0"}, kinds)
}
