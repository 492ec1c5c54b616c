package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// alertReceiver is a local HTTP endpoint that takes alerts, as ntfy or a
// webhook would; it can be told to fail the next requests.
type alertReceiver struct {
	url  string
	mu   sync.Mutex
	got  []alertPost // answered 200
	fail int         // requests still to answer 500
	errs int         // requests answered 500
	each chan struct{}
}

type alertPost struct {
	body, title, auth, path string
}

func newAlertReceiver(t *testing.T) *alertReceiver {
	t.Helper()
	r := &alertReceiver{each: make(chan struct{}, 100)}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		if r.fail > 0 {
			r.fail--
			r.errs++
			r.mu.Unlock()
			http.Error(w, "try later", http.StatusInternalServerError)
		} else {
			user, pass, _ := req.BasicAuth()
			r.got = append(r.got, alertPost{body: string(b), title: req.Header.Get("Title"), auth: user + ":" + pass, path: req.URL.RequestURI()})
			r.mu.Unlock()
		}
		r.each <- struct{}{}
	}))
	t.Cleanup(ts.Close)
	r.url = ts.URL
	return r
}

func (r *alertReceiver) posts() []alertPost {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alertPost(nil), r.got...)
}

// waitFor waits until n alerts have been delivered.
func (r *alertReceiver) waitFor(t *testing.T, p *feedProc, n int) []alertPost {
	t.Helper()
	deadline := time.After(90 * time.Second)
	for len(r.posts()) < n {
		select {
		case <-r.each:
		case <-p.done:
			t.Fatalf("rosteron serve exited: %s", p.stderr)
		case <-deadline:
			t.Fatalf("alert %d not delivered within 90s; stderr: %s", n, p.stderr)
		}
	}
	return r.posts()
}

// mockControl changes the shared mock, in its own process, through its
// control endpoint.
func mockControl(t *testing.T, method, path string, body any) []snapshot.Item {
	t.Helper()
	u, err := url.Parse(mockURL)
	require.NoError(t, err)
	data, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(method, u.Scheme+"://"+u.Host+mockserver.ControlPath+path, bytes.NewReader(data))
	require.NoError(t, err)
	resp, err := feedClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s: %s", method, path, b)
	var roster struct{ Items []snapshot.Item }
	require.NoError(t, json.Unmarshal(b, &roster))
	return roster.Items
}

var refreshOK = regexp.MustCompile(`(?m)^rosteron serve: \S+ refresh ok in `)

// waitRefreshes waits for n more successful refreshes than seen so far.
func (p *feedProc) waitRefreshes(t *testing.T, n int) {
	t.Helper()
	have := len(refreshOK.FindAllString(p.stderr.String(), -1))
	p.waitFor(t, fmt.Sprintf("%d more refreshes", n), 90*time.Second, func() bool {
		return len(refreshOK.FindAllString(p.stderr.String(), -1)) >= have+n
	})
}

// A roster that changes while serve runs, on the mock in its own process
// (changed through its control endpoint): exactly one alert per change to
// each receiver, as text and as JSON; none at start, none after a restart
// with the same roster; a receiver that fails gets the alert once it
// recovers; the notify URLs' credentials stay out of the logs.
func TestServeAlerts(t *testing.T) {
	needChrome(t)
	requireReachable(t)
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	user := "alerts.e2e." + hex.EncodeToString(rnd[:]) // the shared mock's other users stay as they are
	today := time.Now()
	roster := mockserver.DemoRoster(today)
	mockControl(t, "PUT", "users/"+user, map[string]any{"password": feedPassword, "name": "NURSE, NINA", "roster": roster})
	env := []string{"ROSTERON_URL=" + mockURL, "ROSTERON_USERNAME=" + user, "ROSTERON_PASSWORD=" + feedPassword}

	text, hook := newAlertReceiver(t), newAlertReceiver(t)
	const nUser, nPass, nToken, topic = "ntfy-user", "ntfy-Pa55word", "tk_a1b2c3d4e5f6", "nina-roster-7f3a"
	host := strings.TrimPrefix(text.url, "http://")
	notifyFile := filepath.Join(t.TempDir(), "notify")
	require.NoError(t, os.WriteFile(notifyFile, []byte("# ntfy, with credentials\n"+
		"http://"+nUser+":"+nPass+"@"+host+"/"+topic+"?auth="+nToken+"\n"), 0o600))
	state := t.TempDir()
	args := []string{"--refresh", "2s", "--state", state, "--tz", "UTC",
		"--notify-file", notifyFile, "--notify", "json+" + hook.url + "/hook"}

	p := startFeed(t, env, args...)
	p.waitRefreshes(t, 2)
	assert.Contains(t, p.stderr.String(), "alerts: the first roster, nothing to report")

	// Dates a few days on, so that no zone makes them the past, with one
	// day or late shift each, so that their times read as written.
	perDay := map[snapshot.Date]int{}
	for _, it := range roster {
		perDay[it.Date]++
	}
	var later []snapshot.Date
	for _, it := range roster {
		plain := it.Detail[0].Value == "07:00 - 15:30" || it.Detail[0].Value == "13:00 - 21:30"
		if it.Date.After(snapshot.DateOf(today).AddDays(3)) && perDay[it.Date] == 1 && plain && len(it.Warnings) == 0 {
			later = append(later, it.Date)
		}
	}
	require.GreaterOrEqual(t, len(later), 6)
	// As alerts write a date: with its year when that is not this one
	// (in December, a shift weeks on is in January).
	day := func(d snapshot.Date) string {
		if d.Year != snapshot.DateOf(today).Year {
			return d.Time(time.UTC).Format("Mon 2 Jan 2006")
		}
		return d.Time(time.UTC).Format("Mon 2 Jan")
	}
	shiftTimes := func(d snapshot.Date) string {
		for _, it := range roster {
			if it.Date == d {
				return it.Detail[0].Value
			}
		}
		t.Fatalf("no shift on %s", d)
		return ""
	}
	dash := strings.NewReplacer(" - ", "–")
	expect := func(n int, title string, lines ...string) {
		t.Helper()
		posts := text.waitFor(t, p, n)
		hooks := hook.waitFor(t, p, n)
		got := posts[n-1]
		assert.Equal(t, title, got.title, "alert %d", n)
		for _, l := range lines {
			assert.Contains(t, got.body, l, "alert %d", n)
		}
		assert.Equal(t, nUser+":"+nPass, got.auth, "the URL's credentials are sent")
		assert.Equal(t, "/"+topic+"?auth="+nToken, got.path)
		var js struct {
			Title, Message string
			Changes        []struct {
				Change string `json:"change"`
				Date   snapshot.Date
			}
		}
		require.NoError(t, json.Unmarshal([]byte(hooks[n-1].body), &js), hooks[n-1].body)
		assert.Equal(t, title, js.Title)
		assert.Equal(t, got.body, js.Message, "one alert, two forms")
		assert.Len(t, js.Changes, 1)
	}

	// 1. A shift moved: its date, old and new times.
	d := later[0]
	mockControl(t, "POST", "users/"+user+"/changes", mockserver.RosterChange{Op: mockserver.OpMove, Date: d, Times: "10:00 - 18:30"})
	expect(1, "Shift moved: "+day(d), day(d), dash.Replace(shiftTimes(d))+" → 10:00–18:30")

	// 2. A warning added, while the text receiver fails twice first.
	text.mu.Lock()
	text.fail = 2
	text.mu.Unlock()
	d = later[1]
	const warning = "NURSE, NINA: Allocation for overtime"
	mockControl(t, "POST", "users/"+user+"/changes", mockserver.RosterChange{Op: mockserver.OpWarn, Date: d, Warning: warning})
	expect(2, "New warning: "+day(d), "New warning: "+day(d), warning)
	text.mu.Lock()
	assert.Equal(t, 2, text.errs, "two failed tries before the delivery")
	text.mu.Unlock()
	assert.Regexp(t, `alert to http://127\.0\.0\.1:\d+/…\?… failed: answered 500 Internal Server Error; next try in `, p.stderr.String())

	// 3. A shift added; 4. one removed.
	added := snapshot.Item{Date: later[2], Title: "Theatre - Royal Melbourne", Detail: []snapshot.Field{
		snapshot.Text("18:00 - 22:00"), snapshot.Empty, snapshot.Text("Recovery Extra"), snapshot.Text("RN")}}
	mockControl(t, "POST", "users/"+user+"/changes", mockserver.RosterChange{Op: mockserver.OpAdd, Item: &added})
	expect(3, "Shift added: "+day(later[2]), "Added: "+day(later[2])+" 18:00–22:00 Recovery Extra, Theatre - Royal Melbourne")
	d = later[3]
	mockControl(t, "POST", "users/"+user+"/changes", mockserver.RosterChange{Op: mockserver.OpRemove, Date: d})
	expect(4, "Shift removed: "+day(d), "Removed: "+day(d)+" "+dash.Replace(shiftTimes(d)))

	// A restart with the same roster: no alert. The next change's alert
	// is the fifth each receiver gets, so none came in between.
	assert.Equal(t, 0, p.stop(t), "stderr: %s", p.stderr)
	first := p.stderr.String()
	p = startFeed(t, env, args...)
	p.waitRefreshes(t, 2)
	d = later[4]
	mockControl(t, "POST", "users/"+user+"/changes", mockserver.RosterChange{Op: mockserver.OpMove, Date: d, Times: "06:00 - 14:30"})
	expect(5, "Shift moved: "+day(d), dash.Replace(shiftTimes(d))+" → 06:00–14:30")
	p.waitRefreshes(t, 2)
	assert.Equal(t, 0, p.stop(t), "stderr: %s", p.stderr)

	assert.Len(t, text.posts(), 5, "exactly one alert per change")
	assert.Len(t, hook.posts(), 5, "exactly one alert per change")
	logs := first + p.stderr.String()
	for _, secret := range []string{nUser, nPass, nToken, topic, feedPassword, p.token} {
		assert.NotContains(t, logs, secret)
		for _, a := range append(text.posts(), hook.posts()...) {
			assert.NotContains(t, a.body, secret)
		}
	}
	assert.Contains(t, logs, "alert delivered to http://127.0.0.1:")
}
