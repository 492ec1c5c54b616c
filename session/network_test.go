package session_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
)

// Every network fault on every step gives *BadResponseError with that
// step's purpose, promptly: never a hang, never another kind of error.
func TestNetworkFaultsNameTheStep(t *testing.T) {
	steps := []struct {
		step    mockserver.Step
		purpose string
	}{
		{mockserver.StepLogin, session.PurposeLogin},
		{mockserver.StepHome, session.PurposeHome},
		{mockserver.StepRoster, session.PurposeRoster},
		{mockserver.StepLogout, session.PurposeLogout},
	}
	faults := []mockserver.Fault{
		mockserver.FaultReset,
		mockserver.FaultRedirectLoop,
		mockserver.FaultTruncated,
		mockserver.FaultServerError,
		mockserver.FaultUnavailable,
		mockserver.FaultProxy403,
	}
	for _, st := range steps {
		for _, fault := range faults {
			t.Run(fmt.Sprintf("%s on %s", fault, st.purpose), func(t *testing.T) {
				f := newMock(t, mockserver.WithStepFault(st.step, fault))
				s := newSession(t, f.url)
				ctx := ctxT(t)
				err := s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword)
				if err == nil {
					_, err = s.GetRoster(ctx)
				}
				if err == nil {
					err = s.LogOut(ctx)
				}
				if fault == mockserver.FaultTruncated && st.step == mockserver.StepLogout {
					// LogOff answers with a redirect: Chrome follows its
					// complete headers and never reads the cut body,
					// and the logout did happen.
					require.NoError(t, err)
					assert.Equal(t, 0, f.mock.Sessions())
					return
				}
				var bad *session.BadResponseError
				require.ErrorAs(t, err, &bad)
				assert.Equal(t, st.purpose, bad.Purpose, err.Error())
				assert.False(t, bad.Timeout(), "a fault is reported as itself, not as a timeout: %v", err)
				assert.ErrorIs(t, err, session.ErrRosterOn)
				assert.NotContains(t, err.Error(), mockserver.DemoPassword)
			})
		}
	}
}

func TestServerThatNeverAnswersTimesOutNamingTheStep(t *testing.T) {
	f := newMock(t, mockserver.WithStepFault(mockserver.StepRoster, mockserver.FaultHang))
	// The session's own limit stays long, so that logging in on a busy
	// machine never times out; only the roster step's context is short.
	s := newSession(t, f.url)
	ctx := ctxT(t)
	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := s.GetRoster(rctx)
	var bad *session.BadResponseError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, session.PurposeRoster, bad.Purpose)
	assert.True(t, bad.Timeout())
	assert.Contains(t, err.Error(), "timed out waiting for 'roster'")
	assert.True(t, session.Outage(err), "a timeout is an outage")

	// Close still logs out: the logout step answers.
	require.NoError(t, s.Close())
	assert.Equal(t, 0, f.mock.Sessions())
}

func TestSessionExpiredBetweenLoginAndRoster(t *testing.T) {
	f := newMock(t, mockserver.WithSessionExpiry(1))
	s := newSession(t, f.url)
	ctx := ctxT(t)
	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	_, err := s.GetRoster(ctx)
	var nl *session.NotLoggedInError
	require.ErrorAs(t, err, &nl)
	assert.ErrorIs(t, err, session.ErrNotLoggedIn)
	assert.Contains(t, err.Error(), "ended the session")
}

func TestChromeCrashMidSessionIsAClearError(t *testing.T) {
	path := chrometest.NeedLocal(t)
	f := newMock(t, mockserver.WithStepFault(mockserver.StepRoster, mockserver.FaultHang))
	s, err := session.New(f.url, session.WithTimeout(30*time.Second), session.WithBrowserOptions(browser.WithExecPath(path)))
	require.NoError(t, err)
	ctx := ctxT(t)
	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	b := session.BrowserOf(s)
	pid := b.PID()
	require.NotZero(t, pid)
	tree := chrometest.Tree(pid)

	go func() {
		// Kill Chrome once the roster request is under way.
		for f.mock.Hanging() == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}()
	_, err = s.GetRoster(ctx)
	// The browser's failure, not RosterOn's.
	var failed *session.BrowserError
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, session.PurposeRoster, failed.Purpose)
	assert.False(t, failed.Timeout(), "a crash is reported as itself, not as a timeout: %v", err)
	assert.Contains(t, err.Error(), "Chrome")
	assert.True(t, strings.HasPrefix(err.Error(), "the browser failed while reading the roster: "), err.Error())
	assert.ErrorIs(t, err, browser.ErrTabGone)
	assert.ErrorIs(t, err, session.ErrBrowser)
	assert.NotErrorIs(t, err, session.ErrRosterOn)
	assert.NotContains(t, err.Error(), "RosterOn")
	var bad *session.BadResponseError
	assert.False(t, errors.As(err, &bad), "not a *BadResponseError: %v", err)
	assert.True(t, session.Outage(err), "a crash is an outage: %v", err)

	// The next step knows at once.
	_, err = s.GetRoster(ctx)
	require.ErrorAs(t, err, &failed)
	assert.ErrorIs(t, err, browser.ErrTabGone)
	assert.NotErrorIs(t, err, session.ErrRosterOn)
	assert.Equal(t, "the browser failed while reading the roster: the browser tab is gone (did Chrome exit?)", err.Error())
	assert.True(t, session.Outage(err))

	_ = s.Close()
	assert.Eventually(t, func() bool { return len(chrometest.Alive(tree)) == 0 }, 5*time.Second, 20*time.Millisecond)
}

// Eight users at once on one browser (the suite runs with -race): each
// sees only their own roster.
func TestEightUsersAtOnceSeeOnlyTheirOwnRosters(t *testing.T) {
	var users []mockserver.User
	for i := range 8 {
		day := snapshot.Date{Year: 2019, Month: time.June, Day: 10 + i}
		users = append(users, mockserver.User{
			Username: fmt.Sprintf("user%d", i),
			Password: fmt.Sprintf("pw-%d", i),
			Roster: []snapshot.Item{{
				Date:   day,
				Title:  fmt.Sprintf("Ward %d", i),
				Detail: []snapshot.Field{snapshot.Text("07:00 - 15:30"), snapshot.Empty, snapshot.Text(fmt.Sprintf("Shift of user%d", i)), snapshot.Text("Nurse")},
			}},
		})
	}
	f := newMock(t, mockserver.WithUsers(users...))
	ctx := ctxT(t)
	var wg sync.WaitGroup
	for _, u := range users {
		s := newSession(t, f.url)
		wg.Go(func() {
			if !assert.NoError(t, s.LogIn(ctx, u.Username, u.Password)) {
				return
			}
			snap, err := s.GetRoster(ctx)
			if assert.NoError(t, err) {
				assert.Equal(t, u.Roster, snap.Items, u.Username)
			}
			assert.NoError(t, s.LogOut(ctx))
		})
	}
	wg.Wait()
	assert.Equal(t, 8, f.mock.Logins())
	assert.Equal(t, 0, f.mock.Sessions())
}
