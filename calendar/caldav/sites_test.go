package caldav_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/caldav"
)

// fakeSite answers the few discovery requests of a service that keeps
// each person's calendars on a host of its own, as iCloud does:
// caldav.example.com names the principal, whose calendar home is on
// homeHost. It records which hosts were sent the credentials.
type fakeSite struct {
	homeHost string

	mu     sync.Mutex
	authed map[string]int // host → requests with credentials
	asked  map[string]int // host → requests
	paths  map[string]int // path → requests
}

func (f *fakeSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.Host)
	if host == "" {
		host = r.Host
	}
	f.mu.Lock()
	f.asked[host]++
	f.paths[r.URL.Path]++
	if r.Header.Get("Authorization") != "" {
		f.authed[host]++
	}
	f.mu.Unlock()
	multistatus := func(body string) {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		fmt.Fprint(w, `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">`+body+`</d:multistatus>`)
	}
	switch {
	case r.Method != "PROPFIND":
		http.Error(w, "no", http.StatusMethodNotAllowed)
	case host == "caldav.example.com" && r.URL.Path == "/.well-known/caldav":
		http.Redirect(w, r, "/", http.StatusMovedPermanently)
	case host == "caldav.example.com" && r.URL.Path == "/":
		multistatus(`<d:response><d:href>/</d:href><d:propstat><d:prop><d:current-user-principal><d:href>/123/principal/</d:href></d:current-user-principal></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`)
	case host == "caldav.example.com" && r.URL.Path == "/123/principal/":
		multistatus(`<d:response><d:href>/123/principal/</d:href><d:propstat><d:prop><c:calendar-home-set><d:href>https://` + f.homeHost + `:443/123/calendars/</d:href></c:calendar-home-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`)
	case host == f.homeHost && r.URL.Path == "/123/calendars/":
		multistatus(`<d:response><d:href>/123/calendars/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>` +
			// A collection without a resourcetype, which go-webdav will not read.
			`<d:response><d:href>/123/calendars/notification/</d:href><d:propstat><d:prop><d:displayname>Notifications</d:displayname></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>` +
			`<d:response><d:href>/123/calendars/home/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Home</d:displayname></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>` +
			`<d:response><d:href>/123/calendars/tasks/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Roster</d:displayname><c:supported-calendar-component-set><c:comp name="VTODO"/></c:supported-calendar-component-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>` +
			`<d:response><d:href>/123/calendars/A1B2/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Roster</d:displayname><c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`)
	default:
		http.NotFound(w, r)
	}
}

// startSite serves f over TLS and returns a client whose every
// connection, whatever the host, goes to it.
func startSite(t *testing.T, f *fakeSite) *http.Client {
	srv := httptest.NewTLSServer(f)
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		// The test server's certificate names no example.com host.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // a loopback test server
	}}
}

func TestDiscoveryFollowsTheHomeToAHostOfTheSameSite(t *testing.T) {
	f := &fakeSite{homeHost: "p42-caldav.example.com", authed: map[string]int{}, asked: map[string]int{}, paths: map[string]int{}}
	client := startSite(t, f)
	cal, err := caldav.Open(context.Background(), caldav.Config{URL: "https://caldav.example.com", Username: alice,
		Password: password, Calendar: "Roster", Client: client})
	require.NoError(t, err)
	assert.Equal(t, "https://p42-caldav.example.com:443/123/calendars/A1B2/", cal.URL(), "the calendar of events, not the task list")
	assert.Equal(t, "Roster", cal.Name())
	assert.NotZero(t, f.authed["p42-caldav.example.com"])
	assert.Equal(t, 2, f.paths["/123/calendars/"], "go-webdav could not read the home's listing, so it was read again here")
}

func TestDiscoveryKeepsThePasswordFromAnotherSite(t *testing.T) {
	f := &fakeSite{homeHost: "calendars.example.net", authed: map[string]int{}, asked: map[string]int{}, paths: map[string]int{}}
	client := startSite(t, f)
	_, err := caldav.Open(context.Background(), caldav.Config{URL: "https://caldav.example.com/", Username: alice,
		Password: password, Calendar: "Roster", Client: client})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another site")
	assert.Zero(t, f.asked["calendars.example.net"], "another site was asked at all")
	assert.False(t, strings.Contains(err.Error(), password))
}

// A web server that is no CalDAV server, and keeps PROPFIND out of
// /.well-known with a 403, is said to be so: not a refused password.
func TestOpenOnAWebServerThatIsNoCalDAV(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/") {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}))
	t.Cleanup(srv.Close)
	_, err := caldav.Open(context.Background(), caldav.Config{URL: srv.URL, Username: alice, Password: password, Calendar: "Roster"})
	require.Error(t, err)
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.NotErrorIs(t, err, calendar.ErrAuth)
	assert.Contains(t, err.Error(), "HTTP 405")
	assert.Contains(t, err.Error(), "no CalDAV here")
}
