package session_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// A script of the login page that sends the typed password to the site
// itself, in the path and query of a request of its own (the site may
// have it: it is where it was given for), is recorded, as the page's own
// requests are, but the saved logs hold no password: it is scrubbed from
// the URL and from the answer, which here echoes it.
func TestPageRequestsCarryingThePasswordAreScrubbedFromTheLogs(t *testing.T) {
	m := mockserver.New(mockserver.WithClock(func() time.Time { return fixedNow }))
	t.Cleanup(m.Close)
	inner := injecting(t, m, "/Account/Login", attack(`pw => { const x = new XMLHttpRequest(); x.open('GET', '/echo/' + pw + '?p=' + encodeURIComponent(pw), false); x.send(); }`))
	echoed := make(chan string, 4)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/echo/") {
			select {
			case echoed <- r.URL.String():
			default:
			}
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("you sent " + r.URL.Query().Get("p")))
			return
		}
		// The rest is the mock, with the script on its login page.
		r.URL.Scheme, r.URL.Host = "http", strings.TrimPrefix(inner.URL, "http://")
		req, err := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			w.Write(buf[:n])
			if err != nil {
				break
			}
		}
	}))
	t.Cleanup(ts.Close)

	s := newSession(t, ts.URL+m.BasePath(), session.WithRender(session.RenderAlways))
	require.NoError(t, s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword))
	select {
	case u := <-echoed:
		assert.Contains(t, u, mockserver.DemoPassword, "the script did send it to the site")
	default:
		t.Fatal("the login page's script sent nothing: the test tests nothing")
	}
	_, err := s.GetRoster(ctxT(t))
	require.NoError(t, err)
	require.NoError(t, s.Close())

	dir := t.TempDir()
	require.NoError(t, s.SaveLogs(dir))
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	scrubbed := 0
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		require.NoError(t, err)
		assert.NotContains(t, string(b), mockserver.DemoPassword, f.Name())
		if strings.Contains(string(b), "/echo/[PASSWORD]?p=[PASSWORD]") {
			scrubbed++
		}
	}
	// Once for the click, once for the submit (a body, when Chrome
	// still had it, is scrubbed too: TestScrubSecret).
	assert.GreaterOrEqual(t, scrubbed, 1, "the script's requests are in the logs, scrubbed")
}
