package feed

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/syncbuf"
	"github.com/rosteron/rosteron/snapshot"
)

// delivery is one POST a receiver got.
type delivery struct {
	path, body string
	header     http.Header
	user, pass string
}

// receiver is an HTTP endpoint that records what it gets; it answers
// each request with the next of fail's codes, then 200.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	got   []delivery // answered 200
	tries int
	fail  []int
	each  chan struct{} // a token per request answered
}

func newReceiver(t *testing.T, fail ...int) *receiver {
	t.Helper()
	r := &receiver{fail: fail, each: make(chan struct{}, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		user, pass, _ := req.BasicAuth()
		r.mu.Lock()
		r.tries++
		code := http.StatusOK
		if len(r.fail) > 0 {
			code, r.fail = r.fail[0], r.fail[1:]
		} else {
			r.got = append(r.got, delivery{path: req.URL.RequestURI(), body: string(b), header: req.Header, user: user, pass: pass})
		}
		r.mu.Unlock()
		w.WriteHeader(code)
		r.each <- struct{}{}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// waitDelivered waits until n deliveries have been answered 200.
func (r *receiver) waitDelivered(t *testing.T, n int) {
	t.Helper()
	for len(r.deliveries()) < n {
		r.wait(t, 1)
	}
}

// wait waits for n more requests to be answered.
func (r *receiver) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-r.each:
		case <-time.After(10 * time.Second):
			t.Fatalf("the receiver got no request within 10s; has %d", len(r.deliveries()))
		}
	}
}

func target(t *testing.T, spec string) *Target {
	t.Helper()
	tg, err := ParseTarget(spec)
	require.NoError(t, err)
	return tg
}

// runNotifier runs n until the test ends.
func runNotifier(t *testing.T, n *Notifier) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func moved(s *snapshot.Snapshot, times string) *snapshot.Snapshot {
	items := append([]snapshot.Item(nil), s.Items...)
	items[0].Detail = append([]snapshot.Field(nil), items[0].Detail...)
	items[0].Detail[0] = snapshot.Text(times)
	return &snapshot.Snapshot{Time: s.Time, Items: items}
}

func TestNotifierOneAlertPerChangeAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	text, hook := newReceiver(t), newReceiver(t)
	targets := func() []*Target {
		return []*Target{target(t, text.URL+"/roster-topic"), target(t, "json+"+hook.URL+"/hook")}
	}
	f, c := newTestFeed(t, WithStateDir(dir), WithSource("https://r.example/Mobile", "joe"))
	var log syncbuf.Buffer
	n := NewNotifier(f, targets()...)
	n.Log = &log
	require.NoError(t, n.Load())
	stop := runNotifier(t, n)

	first := snap(c.Now(), "Ward 4B", "Ward 5")
	n.Observe(first)
	n.Observe(snap(c.Now().Add(time.Minute), "Ward 4B", "Ward 5"))
	assert.Contains(t, log.String(), "the first roster, nothing to report")

	second := moved(first, "09:00 - 17:30")
	n.Observe(second)
	n.Observe(second) // the same roster again: no second alert
	text.wait(t, 1)
	hook.wait(t, 1)

	got := text.deliveries()
	require.Len(t, got, 1)
	assert.Equal(t, "/roster-topic", got[0].path)
	assert.Equal(t, "Moved: Sat 4 Apr Day Shift, 07:00–15:30 → 09:00–17:30", got[0].body)
	assert.Equal(t, "Shift moved: Sat 4 Apr", got[0].header.Get("Title"))
	assert.Equal(t, "text/plain; charset=utf-8", got[0].header.Get("Content-Type"))
	id := got[0].header.Get("X-Rosteron-Alert")
	assert.NotEmpty(t, id)

	js := hook.deliveries()
	require.Len(t, js, 1)
	assert.Equal(t, "application/json", js[0].header.Get("Content-Type"))
	var body struct {
		ID, Title, Message string
		Changes            []json.RawMessage
	}
	require.NoError(t, json.Unmarshal([]byte(js[0].body), &body), js[0].body)
	assert.Equal(t, id, body.ID, "one alert, two forms")
	assert.Equal(t, got[0].body, body.Message)
	assert.Len(t, body.Changes, 1)
	assert.Empty(t, js[0].header.Get("Title"), "ntfy's headers go with the text form only")

	// A restart with the same roster: no alert; the state says why.
	stop()
	c.Add(time.Hour)
	n2 := NewNotifier(f, targets()...)
	require.NoError(t, n2.Load())
	runNotifier(t, n2)
	n2.Observe(second)
	// A change after the restart gets its alert: the first the
	// receivers see since, so none came in between.
	third := moved(second, "21:30 - 07:30")
	n2.Observe(third)
	text.wait(t, 1)
	hook.wait(t, 1)
	got = text.deliveries()
	require.Len(t, got, 2)
	assert.Equal(t, "Moved: Sat 4 Apr Day Shift, 09:00–17:30 → 21:30–07:30 (+1)", got[1].body)
	assert.Len(t, hook.deliveries(), 2)

	var st notifyState
	require.Eventually(t, func() bool {
		data, err := os.ReadFile(filepath.Join(dir, NotifyFile))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &st))
		return len(st.Outbox) == 0
	}, 10*time.Second, time.Millisecond, "everything delivered leaves the outbox empty")
	assert.Equal(t, third.Items, st.Baseline.Items)
}

func TestNotifierRetriesAndDeliversAfterARestart(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusBadGateway)
	f, c := newTestFeed(t, WithStateDir(dir))
	var log syncbuf.Buffer
	n := NewNotifier(f, target(t, rcv.URL))
	n.Log, n.Backoff = &log, time.Millisecond
	n.rand = func() float64 { return 0.5 }
	require.NoError(t, n.Load())
	stop := runNotifier(t, n)
	s := snap(c.Now(), "Ward 4B")
	n.Observe(s)
	n.Observe(moved(s, "09:00 - 17:30"))
	rcv.wait(t, 2) // two failures
	stop()         // stopped between tries: the alert stays on disk
	assert.Empty(t, rcv.deliveries())
	assert.Regexp(t, `alert to http://127\.0\.0\.1:\d+ failed: answered 500 Internal Server Error; next try in `, log.String())

	n2 := NewNotifier(f, target(t, rcv.URL))
	n2.Log, n2.Backoff = &log, time.Millisecond
	require.NoError(t, n2.Load())
	runNotifier(t, n2)
	rcv.waitDelivered(t, 1)
	got := rcv.deliveries()
	require.Len(t, got, 1, "delivered once")
	assert.Contains(t, got[0].body, "07:00–15:30 → 09:00–17:30")
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "alert delivered to http://127.0.0.1:") },
		10*time.Second, time.Millisecond)
	rcv.mu.Lock()
	assert.Equal(t, 4, rcv.tries, "three failures, one delivery")
	rcv.mu.Unlock()
}

// A notify URL given twice, as in --notify and in --notify-file, is told
// once: never two alerts for one change.
func TestNotifierTellsAURLGivenTwiceOnce(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	rcv := newReceiver(t)
	f, c := newTestFeed(t, WithStateDir(dir))
	n := NewNotifier(f, target(t, rcv.URL+"/topic"), target(t, rcv.URL+"/topic"),
		target(t, " "+rcv.URL+"/topic#again"), target(t, "json+"+rcv.URL+"/topic"))
	require.NoError(t, n.Load())
	s := snap(c.Now(), "Ward 4B")
	n.Observe(s)
	n.Observe(moved(s, "09:00 - 17:30"))

	var st notifyState
	data, err := os.ReadFile(filepath.Join(dir, NotifyFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &st))
	require.Len(t, st.Outbox, 1)
	assert.Len(t, st.Outbox[0].Pending, 2, "the text form once, and the JSON form asked for")

	stop := runNotifier(t, n)
	rcv.waitDelivered(t, 2)
	stop() // every delivery has returned: no more can come
	got := rcv.deliveries()
	require.Len(t, got, 2)
	assert.NotEqual(t, got[0].header.Get("Content-Type"), got[1].header.Get("Content-Type"), "one text, one JSON")
}

func TestNotifierDelay(t *testing.T) {
	t.Parallel()
	n := &Notifier{rand: func() float64 { return 0.5 }}
	assert.Equal(t, DefaultNotifyBackoff, n.delay(1, 0))
	assert.Equal(t, 4*DefaultNotifyBackoff, n.delay(3, 0))
	assert.Equal(t, DefaultNotifyMaxBackoff, n.delay(100, 0))
	assert.Equal(t, time.Minute, n.delay(1, time.Minute), "Retry-After counts")
	assert.Equal(t, DefaultNotifyMaxBackoff, n.delay(1, 24*time.Hour), "up to the most")
	n.rand = func() float64 { return 0 }
	assert.Equal(t, time.Duration(float64(DefaultNotifyBackoff)*0.9), n.delay(1, 0))
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, 7*time.Second, retryAfter("7", now))
	assert.Equal(t, time.Minute, retryAfter(now.Add(time.Minute).Format(http.TimeFormat), now))
	assert.Zero(t, retryAfter("soon", now))
}

// A receiver that turns the alert down for good (a 404, a redirect) is
// not asked again; one that never answers holds up neither the refreshes
// nor the other targets.
func TestNotifierGivesUpAndNeverHoldsUpTheFeed(t *testing.T) {
	t.Parallel()
	gone := newReceiver(t, http.StatusNotFound)
	moving := newReceiver(t, http.StatusMovedPermanently)
	good := newReceiver(t)
	hang := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hung.Close)
	t.Cleanup(func() { close(hang) })

	f, c := newTestFeed(t, WithStateDir(stateDir(t)))
	var log syncbuf.Buffer
	n := NewNotifier(f, target(t, hung.URL), target(t, gone.URL+"/x"), target(t, moving.URL+"/y"), target(t, good.URL))
	n.Log, n.Backoff = &log, time.Millisecond
	require.NoError(t, n.Load())
	runNotifier(t, n)

	fake := &fetcher{}
	first := snap(c.Now(), "Ward 4B")
	fake.set(first, nil)
	r := &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Millisecond, Jitter: -1, Log: &log, Notify: n}
	start(t, r)
	require.Eventually(t, func() bool { return fake.calls.Load() >= 2 }, 10*time.Second, time.Millisecond)
	fake.set(moved(first, "09:00 - 17:30"), nil)
	good.wait(t, 1)
	gone.wait(t, 1)
	moving.wait(t, 1)
	calls := fake.calls.Load()
	require.Eventually(t, func() bool { return fake.calls.Load() >= calls+5 }, 10*time.Second, time.Millisecond,
		"refreshes go on while a receiver hangs")

	assert.Len(t, good.deliveries(), 1)
	out := log.String()
	assert.Contains(t, out, "answered 404 Not Found; fix the notify URL and restart")
	assert.Contains(t, out, "answered 301 Moved Permanently, a redirect: give the address it redirects to")
	gone.mu.Lock()
	assert.Equal(t, 1, gone.tries, "a 404 is not retried")
	gone.mu.Unlock()
}

// Credentials in a notify URL are sent, and never logged, whatever goes
// wrong.
func TestNotifierKeepsCredentialsOutOfLogs(t *testing.T) {
	t.Parallel()
	const user, pass, token, topic = "alerts-user", "n0tify-Pa55", "tk_9f8e7d6c5b4a", "my-secret-topic-4711"
	rcv := newReceiver(t, http.StatusInternalServerError)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now
	specs := []string{
		"http://" + user + ":" + pass + "@" + strings.TrimPrefix(rcv.URL, "http://") + "/" + topic + "?auth=" + token,
		"json+http://" + user + ":" + pass + "@" + closed + "/" + topic + "?auth=" + token,
	}
	f, c := newTestFeed(t, WithStateDir(stateDir(t)))
	var log syncbuf.Buffer
	n := NewNotifier(f, target(t, specs[0]), target(t, specs[1]))
	n.Log, n.Backoff = &log, time.Millisecond
	require.NoError(t, n.Load())
	runNotifier(t, n)
	s := snap(c.Now(), "Ward 4B")
	n.Observe(s)
	n.Observe(moved(s, "09:00 - 17:30"))
	rcv.wait(t, 2)
	require.Eventually(t, func() bool { return strings.Count(log.String(), "connect: connection refused") >= 2 },
		10*time.Second, time.Millisecond)

	got := rcv.deliveries()
	require.Len(t, got, 1)
	assert.Equal(t, user, got[0].user)
	assert.Equal(t, pass, got[0].pass)
	assert.Equal(t, "/"+topic+"?auth="+token, got[0].path)
	out := log.String()
	for _, secret := range []string{user, pass, token, topic} {
		assert.NotContains(t, out, secret)
		assert.NotContains(t, got[0].body, secret)
	}
	assert.Contains(t, out, "alert to http://"+closed+"/…?… failed: ")

	for _, bad := range []string{"ftp://" + user + ":" + pass + "@x/", "https://", "json+mailto:" + pass, "http://[::1"} {
		_, err := ParseTarget(bad)
		require.ErrorIs(t, err, ErrBadTarget, bad)
		assert.NotContains(t, err.Error(), pass)
	}
}

// The feed's secrets and the targets' are redacted together, so that one
// holding another goes whole, whichever it is.
func TestNotifierScrubsSecretsHoldingOthers(t *testing.T) {
	t.Parallel()
	f, _ := newTestFeed(t) // its secret is testPassword
	n := NewNotifier(f, target(t, "https://ntfy.example/topic-"+testPassword+"-x"))
	assert.Equal(t, "to [REDACTED] now", n.scrub("to topic-"+testPassword+"-x now"))
	n = NewNotifier(f, target(t, "https://ntfy.example/"+testPassword[3:9])) // a topic inside the password
	assert.Equal(t, "pw [REDACTED]", n.scrub("pw "+testPassword))
}
