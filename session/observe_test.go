package session_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// observed collects what a session tells its observer.
type observed struct {
	mu     sync.Mutex
	events []session.Event
}

func (o *observed) add(ev session.Event) {
	o.mu.Lock()
	o.events = append(o.events, ev)
	o.mu.Unlock()
}

// lines is each event in short: "start login", "GET /path 200 OK", "end
// login ok".
func (o *observed) lines(base string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, ev := range o.events {
		switch ev.Kind {
		case session.StepStarted:
			out = append(out, "start "+ev.Step)
		case session.RequestDone:
			r := ev.Request
			out = append(out, fmt.Sprintf("%s %s %s %d %s", ev.Step, r.Method, strings.TrimPrefix(r.URL, base), r.Status, r.StatusText))
		case session.StepFinished:
			res := "ok"
			if ev.Err != nil {
				res = "failed"
			}
			out = append(out, "end "+ev.Step+" "+res)
		}
	}
	return out
}

// The observer hears each step as it starts and ends, with its requests,
// in real Chrome against the mock, and never a secret.
func TestObserverSeesEachStep(t *testing.T) {
	chrometest.Need(t)
	f := newMock(t)
	var o observed
	// The session opens its own browser, the one the tests use.
	s, err := session.New(f.url, session.WithObserver(o.add), session.WithBrowserOptions(chrometest.Options()...))
	require.NoError(t, err)
	defer s.Close()
	ctx := ctxT(t)
	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	_, err = s.GetRoster(ctx)
	require.NoError(t, err)
	require.NoError(t, s.LogOut(ctx))

	assert.Equal(t, []string{
		"start browser", "end browser ok",
		"start login", "login GET /Account/Login 200 OK", "end login ok",
		"start home", "home POST /Account/Login 302 Found", "home GET / 200 OK", "end home ok",
		"start roster", "roster GET /Roster/List?pageNo=1&row=1 200 OK", "end roster ok",
		"start logout", "logout GET /Account/LogOff 302 Found", "logout GET /Account/Login 200 OK", "end logout ok",
	}, o.lines(f.url))
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ev := range o.events {
		switch ev.Kind {
		case session.RequestDone:
			assert.Positive(t, ev.Request.Took, "%+v", ev)
		case session.StepFinished:
			assert.Positive(t, ev.Took, "%+v", ev)
		}
		all := fmt.Sprintf("%+v", ev)
		assert.NotContains(t, all, mockserver.DemoPassword)
		assert.NotContains(t, all, session.AuthCookie)
	}
}

// A failed step ends with its error, and a session on a shared browser
// starts none.
func TestObserverSeesFailure(t *testing.T) {
	f := newMock(t)
	var o observed
	s := newSession(t, f.url, session.WithObserver(o.add))
	err := s.LogIn(ctxT(t), mockserver.DemoUsername, "not-the-Pa55word")
	var bad *session.BadCredentialsError
	require.ErrorAs(t, err, &bad)
	// A refusal of a login posted without the page's scripts is tried
	// once more with them: two attempts, both observed.
	assert.Equal(t, []string{
		"start login", "login GET /Account/Login 200 OK", "end login ok",
		"start home", "home POST /Account/Login 200 OK", "end home failed",
		"start login", "login GET /Account/Login 200 OK", "end login ok",
		"start home", "home POST /Account/Login 200 OK", "end home failed",
	}, o.lines(f.url))
	o.mu.Lock()
	last := o.events[len(o.events)-1]
	o.mu.Unlock()
	assert.ErrorIs(t, last.Err, err)
	assert.NotContains(t, fmt.Sprintf("%+v", o.events), "not-the-Pa55word")
}

func TestObservedURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"https://h.example/RosterOnProd/Mobile/Roster/List?pageNo=1&row=1", "https://h.example/RosterOnProd/Mobile/Roster/List?pageNo=1&row=1"},
		{"https://h.example/Account/Login?ReturnUrl=%2FRosterOnProd%2FMobile%2F", "https://h.example/Account/Login?ReturnUrl=%2FRosterOnProd%2FMobile%2F"},
		{"https://h.example/sso/callback?code=s3cret&state=xyz&pageNo=2", "https://h.example/sso/callback?code=[REDACTED]&state=[REDACTED]&pageNo=2"},
		{"https://joe:hunter2@h.example/x?token=abc#frag", "https://h.example/x?token=[REDACTED]"},
		{"https://h.example/x?flag&a=", "https://h.example/x?flag&a=[REDACTED]"},
		{"https://h.example/x?%zz=1", "https://h.example/x?%zz=[REDACTED]"},
		{"http://[::1]:namedport/x?code=1", "[REDACTED]"},
	} {
		assert.Equal(t, tc.want, session.ObservedURL(tc.in), tc.in)
	}
}
