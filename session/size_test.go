package session_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

const testCap = 1 << 20 // 1 MiB, so that the tests stay light

// padded serves the mock, with the pages whose path ends in path grown to
// size bytes by a comment after the page, sent with a Content-Length or
// streamed in chunks without one.
func padded(t *testing.T, path string, size int, declared bool) (*mockserver.Server, string) {
	m := mockserver.New(mockserver.WithClock(func() time.Time { return fixedNow }))
	t.Cleanup(m.Close)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, path) {
			m.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		pad := size - len(body) - len("<!--") - len("-->")
		require.Positive(t, pad)
		body = append(body, "<!--"+strings.Repeat("x", pad)+"-->"...)
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		if declared {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(rec.Code)
		for len(body) > 0 {
			n := min(len(body), 64<<10)
			_, _ = w.Write(body[:n])
			body = body[n:]
			if !declared {
				w.(http.Flusher).Flush()
			}
		}
	}))
	t.Cleanup(ts.Close)
	return m, ts.URL + m.BasePath()
}

func TestPagesLargerThanTheCapAreRefused(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		declared bool
		always   bool
		purpose  string
	}{
		{"login page, streamed", "/Account/Login", false, false, session.PurposeLogin},
		{"login page, declared", "/Account/Login", true, false, session.PurposeLogin},
		{"roster fetched, declared", "/Roster/List", true, false, session.PurposeRoster},
		{"roster fetched, streamed", "/Roster/List", false, false, session.PurposeRoster},
		{"roster navigated, declared", "/Roster/List", true, true, session.PurposeRoster},
		{"roster navigated, streamed", "/Roster/List", false, true, session.PurposeRoster},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, url := padded(t, tt.path, testCap+1, tt.declared)
			opts := []session.Option{session.WithMaxPageSize(testCap)}
			if tt.always {
				opts = append(opts, session.WithRender(session.RenderAlways))
			}
			s := newSession(t, url, opts...)
			ctx := ctxT(t)
			err := s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword)
			if tt.purpose == session.PurposeRoster {
				require.NoError(t, err)
				_, err = s.GetRoster(ctx)
			}
			var bad *session.BadResponseError
			require.ErrorAs(t, err, &bad)
			assert.Equal(t, tt.purpose, bad.Purpose)
			assert.ErrorIs(t, err, browser.ErrPageTooLarge)
			assert.False(t, bad.Timeout(), "stopped at once, not by the deadline: %v", err)
			assert.False(t, session.Outage(err), "a page too large is an answer")
			assert.Contains(t, err.Error(), "larger than the 1 MiB cap")
			require.NoError(t, s.Close())
			assert.Equal(t, 0, m.Sessions(), "logged out all the same")
		})
	}
}

func TestPagesUnderTheCapAreRead(t *testing.T) {
	for _, always := range []bool{false, true} {
		t.Run("always="+strconv.FormatBool(always), func(t *testing.T) {
			_, url := padded(t, "/Roster/List", testCap-1, false)
			opts := []session.Option{session.WithMaxPageSize(testCap)}
			if always {
				opts = append(opts, session.WithRender(session.RenderAlways))
			}
			s := newSession(t, url, opts...)
			ctx := ctxT(t)
			require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
			snap, err := s.GetRoster(ctx)
			require.NoError(t, err)
			assert.Equal(t, demoRoster(), snap.Items)
		})
	}
}
