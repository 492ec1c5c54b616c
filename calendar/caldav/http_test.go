package caldav

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
)

func newTestClient(origin string, allowHTTP bool) *client {
	u, _ := url.Parse(origin)
	return &client{hc: &http.Client{}, username: "joe", password: "pw-secret", allowHTTP: allowHTTP,
		origin: &url.URL{Scheme: u.Scheme, Host: u.Host}, trusted: map[string]bool{originOf(u): true}}
}

func TestCheckTarget(t *testing.T) {
	t.Parallel()
	parse := func(s string) *url.URL {
		u, err := url.Parse(s)
		require.NoError(t, err)
		return u
	}
	c := newTestClient("https://caldav.icloud.com/", false)
	for target, ok := range map[string]bool{
		"https://caldav.icloud.com/123/principal/":        true,
		"https://caldav.icloud.com:443/x":                 true,
		"https://p42-caldav.icloud.com:443/123/calendars": true,  // the same site, over https
		"http://caldav.icloud.com/":                       false, // from https to http
		"http://p42-caldav.icloud.com/":                   false,
		"https://evil.example.net/":                       false, // another site
		"https://icloud.com.evil.example/":                false,
		"https://user:pw@caldav.icloud.com/":              false,
		"ftp://caldav.icloud.com/":                        false,
	} {
		err := c.checkTarget(parse(target))
		assert.Equal(t, ok, err == nil, "%s: %v", target, err)
	}

	local := newTestClient("http://127.0.0.1:5232/", false)
	assert.NoError(t, local.checkTarget(parse("http://127.0.0.1:5232/alice/")))
	assert.Error(t, local.checkTarget(parse("http://127.0.0.1:5233/")), "another port is another origin")
	assert.Error(t, local.checkTarget(parse("http://dav.example.org/")))

	lan := newTestClient("http://radicale:5232/", true)
	assert.NoError(t, lan.checkTarget(parse("http://radicale:5232/alice/")))
	assert.Error(t, lan.checkTarget(parse("http://other:5232/")), "--allow-http lets no password go to another host")

	assert.Error(t, c.checkTarget(parse("https://p42-caldav.icloud.com:8443/")), "another site's host at another port")

	// Once the calendar is found, only it and what is inside it.
	c.found(parse("https://p42-caldav.icloud.com/123/calendars/roster/"))
	for target, ok := range map[string]bool{
		"https://p42-caldav.icloud.com/123/calendars/roster/":        true,
		"https://p42-caldav.icloud.com:443/123/calendars/roster/x":   true,
		"https://p42-caldav.icloud.com/123/calendars/other/x.ics":    false,
		"https://p42-caldav.icloud.com/123/calendars/roster/../x":    false,
		"https://p42-caldav.icloud.com/123/calendars/roster/%2e%2e/": false,
		"https://caldav.icloud.com/123/calendars/roster/x.ics":       false, // trusted for discovery only
		"https://p43-caldav.icloud.com/123/calendars/roster/x.ics":   false,
	} {
		u := parse(target)
		err := c.checkTarget(u)
		assert.Equal(t, ok, err == nil, "%s: %v", target, err)
	}

	assert.True(t, sameSite("p42-caldav.icloud.com", "caldav.icloud.com"))
	assert.False(t, sameSite("a.github.io", "b.github.io"), "a public suffix is no site")
	assert.False(t, sameSite("127.0.0.1", "127.0.0.1"))
}

// An answer larger than the bound is an error, not a listing cut short.
func TestAnswersAreBounded(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusMultiStatus)
		chunk := strings.Repeat("x", 1<<16)
		for n := 0; n <= maxListing; n += len(chunk) {
			if _, err := w.Write([]byte(chunk)); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/cal/")
	cal := &Calendar{c: newTestClient(srv.URL, false), url: u, name: "Roster", stored: map[string]storedObject{}}
	_, err := cal.List(context.Background(), account)
	require.Error(t, err)
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.Contains(t, err.Error(), "larger than")
	var e *Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "list", e.Step)
}

// An error's text from the server is cleaned and never holds the
// password, should a server echo it.
func TestErrorDetailIsCleaned(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("boom\x1b[31m for pw-secret\n" + strings.Repeat("y", 10000)))
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/cal/")
	cal := &Calendar{c: newTestClient(srv.URL, false), url: u, name: "Roster", stored: map[string]storedObject{}}
	_, err := cal.Tag(context.Background())
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "HTTP 500")
	assert.Contains(t, msg, "CalDAV reading the change tag")
	assert.NotContains(t, msg, "pw-secret")
	assert.NotContains(t, msg, "\x1b")
	assert.Less(t, len(msg), 600)
}
