package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// The library against the shared mock (a separate process, or compose's
// mock service): the default users at once on one browser, each seeing
// only their own roster.
func TestLibraryUsersAtOnceOnOneBrowser(t *testing.T) {
	b := chrome.Get(t)
	requireReachable(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	today := time.Now()
	users := mockserver.DefaultUsers(today)
	require.GreaterOrEqual(t, len(users), 3)
	opts := []session.Option{session.WithBrowser(b)}
	if chrometest.AllowHTTP() {
		// Compose's mock, by name over plain http on its private network.
		opts = append(opts, session.WithAllowHTTP())
	}
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			s, err := session.New(mockURL, opts...)
			if !assert.NoError(t, err) {
				return
			}
			defer s.Close()
			if !assert.NoError(t, s.LogIn(ctx, u.Username, u.Password), u.Username) {
				return
			}
			snap, err := s.GetRoster(ctx)
			if !assert.NoError(t, err, u.Username) {
				return
			}
			want := u.Roster
			if !assert.ObjectsAreEqual(want, snap.Items) {
				// The mock's rosters follow its clock across midnight.
				for _, v := range mockserver.DefaultUsers(time.Now()) {
					if v.Username == u.Username {
						want = v.Roster
					}
				}
			}
			assert.Equal(t, want, snap.Items, u.Username)
			assert.NoError(t, s.LogOut(ctx), u.Username)
		})
	}
	wg.Wait()
}
