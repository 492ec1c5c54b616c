package session_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// A login page whose form never appears fails once the form wait is over,
// well within the step's time, and says what it waited for.
func TestLoginFormThatNeverAppears(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!DOCTYPE html><html><head><title>Log in</title></head>
<body><div data-role="page" id="account-login"><p>Loading…</p></div></body></html>`)
	}))
	t.Cleanup(ts.Close)
	s := newSession(t, ts.URL, session.WithFormWait(300*time.Millisecond))
	err := s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword)
	var bad *session.BadResponseError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, session.PurposeLogin, bad.Purpose)
	assert.False(t, bad.Timeout(), "the form wait ended it, not the step's timeout: %v", err)
	assert.Contains(t, err.Error(), "no login form appeared within 300ms on a page with id 'account-login'")
}

// A session's tab loads no stylesheets or images unless told to; scripts
// it always loads.
func TestSessionBlocksStylesUnlessAllResources(t *testing.T) {
	for _, all := range []bool{false, true} {
		f := newMock(t)
		// RenderAlways: with RenderAuto the login page runs no script,
		// and so loads none.
		opts := []session.Option{session.WithRender(session.RenderAlways)}
		if all {
			opts = append(opts, session.WithAllResources())
		}
		s := newSession(t, f.url, opts...)
		ctx := ctxT(t)
		require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
		_, err := s.GetRoster(ctx)
		require.NoError(t, err)
		var css, js bool
		for _, q := range f.mock.Requests() {
			css = css || strings.HasSuffix(q.Path, "/Content/site.css")
			js = js || strings.HasSuffix(q.Path, "/Scripts/site.js")
		}
		assert.True(t, js, "scripts load (all=%v)", all)
		assert.Equal(t, all, css, "the stylesheet loads only with all resources")
	}
}
