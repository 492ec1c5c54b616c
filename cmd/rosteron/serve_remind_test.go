package main

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// serve --remind gives the feed's shifts their reminders, leave none. No
// Chrome is needed: the roster is one saved in the state folder.
func TestServeReminders(t *testing.T) {
	state := t.TempDir()
	snap := &snapshot.Snapshot{Time: time.Now().UTC(), Items: mockserver.DemoRoster(time.Now())}
	fd := feed.New(feed.WithStateDir(state), feed.WithSource(goodURL, "joe"), feed.WithLocation(snapshot.Floating))
	_, err := fd.Update(snap)
	require.NoError(t, err)
	shifts, leave := 0, 0
	for _, ev := range export.Events(snap, snapshot.Floating) {
		if ev.Kind == snapshot.KindLeave {
			leave++
		} else {
			shifts++
		}
	}
	require.NotZero(t, shifts)
	require.NotZero(t, leave, "the demo roster has leave")

	env := map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": goodToken}
	s := startServe(t, env, "--url", goodURL, "--username", "joe", "--state", state, "--browser", "ws://127.0.0.1:1",
		"--refresh", "1h", "--remind", "1h,15m")
	resp, body := httpGet(t, s.ics)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 2*shifts, strings.Count(body, "BEGIN:VALARM\r\n"))
	assert.Equal(t, 2*shifts, strings.Count(body, "X-ROSTERON-ALARM:1\r\n"))
	assert.Equal(t, shifts, strings.Count(body, "TRIGGER:-PT1H\r\n"))
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
}

func TestServeRemindUsageErrors(t *testing.T) {
	base := []string{"serve", "--url", goodURL, "--username", "joe", "--state", t.TempDir()}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--remind", "1d"}, "invalid --remind \"1d\": write days in hours"},
		{[]string{"--remind-leave"}, "--remind-leave goes with --remind"},
	} {
		r := runWith(t, withPassword, "", append(append([]string(nil), base...), tc.args...)...)
		assert.Equal(t, exitUsage, r.code, r.stderr)
		assertOneErrorLine(t, r)
		assert.Contains(t, r.stderr, tc.want)
		assert.Contains(t, r.stderr, "(see 'rosteron serve --help')")
	}
}
