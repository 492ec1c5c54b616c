package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// A calendar history that cannot be used is set aside with a warning; the
// saved roster is served all the same. No Chrome is needed.
func TestServeSetsAsideABadHistory(t *testing.T) {
	state := t.TempDir()
	items := mockserver.DemoRoster(time.Now())
	fd := feed.New(feed.WithStateDir(state), feed.WithSource(goodURL, "joe"))
	_, err := fd.Update(&snapshot.Snapshot{Time: time.Now().UTC(), Items: items})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(state, feed.CalendarFile), []byte("{not json"), 0o600))

	env := map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": goodToken}
	s := startServe(t, env, "--url", goodURL, "--username", "joe", "--state", state, "--browser", "ws://127.0.0.1:1", "--refresh", "1h")
	resp, body := httpGet(t, s.ics)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, len(items), strings.Count(body, "BEGIN:VEVENT"))
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	// The file was moved into the store as it was: the feed's load reads
	// it there, and names it.
	assert.Regexp(t, `(?m)^rosteron serve: moved roster\.json, calendar\.json into \S+rosteron\.db$`, s.stderr.String())
	assert.Regexp(t, `(?m)^rosteron: warning: the calendar's event history was set aside: reading calendar\.json: `, s.stderr.String())
	assert.Contains(t, s.stderr.String(), "serving the roster saved in")
	assert.NoFileExists(t, filepath.Join(state, feed.CalendarFile))
}
