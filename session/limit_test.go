package session_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// A limiter shared by sessions bounds how many are open at once and spaces
// the pages they ask for.
func TestLimiterBoundsSessionsAndSpacesRequests(t *testing.T) {
	m := mockserver.New(mockserver.WithClock(func() time.Time { return fixedNow }))
	var mu sync.Mutex
	var starts []time.Time
	live, most := 0, 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		// Pages only the session asks for (Chrome follows redirects to
		// the login and home pages on its own, unpaced).
		if r.Method == http.MethodPost || r.URL.Path == m.BasePath()+"/Roster/List" || r.URL.Path == m.BasePath()+"/Account/LogOff" {
			starts = append(starts, time.Now())
		}
		mu.Unlock()
		m.ServeHTTP(w, r)
		mu.Lock()
		live = m.Sessions()
		most = max(most, live)
		mu.Unlock()
	}))
	t.Cleanup(ts.Close)

	const interval = 100 * time.Millisecond
	l := session.NewLimiter(2, interval)
	ctx := ctxT(t)
	began := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		s := newSession(t, ts.URL+m.BasePath(), session.WithLimiter(l))
		wg.Go(func() {
			defer s.Close()
			if !assert.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword)) {
				return
			}
			_, err := s.GetRoster(ctx)
			assert.NoError(t, err)
			assert.NoError(t, s.LogOut(ctx))
		})
	}
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	assert.LessOrEqual(t, most, 2, "at most two sessions logged in at once")
	require.Len(t, starts, 4*3, "login POST, roster and logoff for each session")
	// Sixteen paced requests (login page, login POST, roster and logoff
	// for each session): the run cannot be shorter than 15 intervals. A
	// lower bound only, so slowness can never fail it; the exact spacing
	// is the internal test's business.
	assert.GreaterOrEqual(t, time.Since(began), 15*interval)
}
