package safedial_test

// These tests check the two hooks the multi-account serve uses: a
// feed.Notifier and a CalDAV calendar given a guarded client send nothing
// to a forbidden address, and work through it to an allowed one.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/caldav"
	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/safedial"
	"github.com/rosteron/rosteron/internal/syncbuf"
	"github.com/rosteron/rosteron/snapshot"
)

var allowTwo = safedial.Allow(netip.MustParsePrefix("127.0.0.2/32"))

// server is an httptest server on listenOn that counts its requests and
// sends each one's body down got.
func server(t *testing.T, listenOn string, h http.HandlerFunc) (*httptest.Server, *atomic.Int64, chan string) {
	t.Helper()
	var hits atomic.Int64
	got := make(chan string, 10)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		select {
		case got <- string(b):
		default:
		}
		h(w, r)
	}))
	l, err := net.Listen("tcp", listenOn)
	require.NoError(t, err, "listening on %s (Linux routes all of 127/8 to loopback)", listenOn)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &hits, got
}

// alertClient is how the multi-account serve should make a Notifier's
// client: guarded, and following no redirect, as the Notifier's own
// default does (a POST redirected would become a GET).
func alertClient(opts ...safedial.Option) *http.Client {
	c := safedial.Client(feed.DefaultNotifyTimeout, opts...)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func roster(title string) *snapshot.Snapshot {
	return &snapshot.Snapshot{
		Time: time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC),
		Items: []snapshot.Item{{
			Date:   snapshot.Date{Year: 2026, Month: time.April, Day: 4},
			Title:  title,
			Detail: []snapshot.Field{snapshot.Text("07:00 - 15:30"), snapshot.Empty, snapshot.Text("Day Shift"), snapshot.Text("RN")},
		}},
	}
}

// notify runs a Notifier with client and one target, and has it queue
// one alert of a change.
func notify(t *testing.T, client *http.Client, targetURL string) *syncbuf.Buffer {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC) }
	f := feed.New(feed.WithClock(now))
	tg, err := feed.ParseTarget(targetURL)
	require.NoError(t, err)
	n := feed.NewNotifier(f, tg)
	n.Client = client
	n.Backoff, n.MaxBackoff = time.Hour, time.Hour // one try is enough here
	var log syncbuf.Buffer
	n.Log = &log
	require.NoError(t, n.Load())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	n.Observe(roster("Ward 4B"))
	n.Observe(roster("Ward 5"))
	return &log
}

func TestNotifierThroughGuard(t *testing.T) {
	t.Parallel()
	ok := func(w http.ResponseWriter, _ *http.Request) {}

	// A target on loopback, the topic its only secret: refused, unsent.
	inside, insideHits, _ := server(t, "127.0.0.1:0", ok)
	log := notify(t, alertClient(), inside.URL+"/secret-topic-123")
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "alert to ") },
		10*time.Second, 5*time.Millisecond)
	assert.Contains(t, log.String(), "refused to connect: 127.0.0.1 is a loopback (this machine) address")
	assert.NotContains(t, log.String(), "secret-topic-123")
	assert.EqualValues(t, 0, insideHits.Load())
	// Refused for good: given up at once, not retried for a day.
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "given up") },
		10*time.Second, 5*time.Millisecond)

	// The same alert to an allowed server is delivered.
	outside, outsideHits, got := server(t, "127.0.0.2:0", ok)
	log = notify(t, alertClient(allowTwo), outside.URL+"/topic")
	select {
	case body := <-got:
		assert.Contains(t, body, "Ward 5")
	case <-time.After(10 * time.Second):
		t.Fatalf("the allowed receiver got no alert; log: %s", log.String())
	}
	assert.EqualValues(t, 1, outsideHits.Load())

	// A receiver that redirects to loopback: the redirect is not
	// followed (a Notifier gives it up), and loopback is never reached.
	redirecting, _, _ := server(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inside.URL+"/x", http.StatusTemporaryRedirect)
	})
	log = notify(t, alertClient(allowTwo), redirecting.URL+"/topic")
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "given up") },
		10*time.Second, 5*time.Millisecond)
	assert.EqualValues(t, 0, insideHits.Load())
}

func TestCalDAVThroughGuard(t *testing.T) {
	t.Parallel()
	const password = "caldav-pw-9f8e7d"
	unauthorized := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.WriteHeader(http.StatusUnauthorized)
	}
	ctx := context.Background()

	// On loopback, which caldav lets through over plain http: refused by
	// the guard before anything is sent.
	inside, insideHits, _ := server(t, "127.0.0.1:0", unauthorized)
	_, err := caldav.Open(ctx, caldav.Config{
		URL: inside.URL + "/dav/", Username: "joe", Password: password, Calendar: "Roster",
		Client: safedial.Client(2 * time.Minute),
	})
	require.ErrorIs(t, err, safedial.ErrForbiddenAddress)
	require.ErrorIs(t, err, calendar.ErrCalendar)
	assert.NotContains(t, err.Error(), password)
	assert.EqualValues(t, 0, insideHits.Load())

	// On an allowed address, the requests get there through the guard:
	// the server's refusal of the password is what comes back.
	outside, outsideHits, _ := server(t, "127.0.0.2:0", unauthorized)
	_, err = caldav.Open(ctx, caldav.Config{
		URL: outside.URL + "/dav/", Username: "joe", Password: password, Calendar: "Roster",
		AllowHTTP: true, Client: safedial.Client(2*time.Minute, allowTwo),
	})
	var auth *calendar.AuthError
	require.True(t, errors.As(err, &auth), "want the server's 401, got %v", err)
	assert.False(t, errors.Is(err, safedial.ErrForbiddenAddress))
	assert.Positive(t, outsideHits.Load())
}
