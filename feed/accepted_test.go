package feed

import (
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/rosteron/rosteron/snapshot"
)

// Accepted hears of each roster the feed took, and of an empty one only
// once a second read confirmed it: a calendar sync follows the feed this
// way.
func TestAcceptedFollowsTheFeed(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := New(WithRefreshInterval(time.Hour))
		today := snapshot.DateOf(time.Now())
		full := &snapshot.Snapshot{Time: time.Now(), Items: datedRoster(today, today.AddDays(1))}
		past := &snapshot.Snapshot{Time: time.Now(), Items: datedRoster(today.AddDays(-1))}
		fake := (&script{}).then(full, nil).then(nil, errors.New("RosterOn is down")).then(full, nil).
			then(past, nil).then(past, nil)
		type call struct {
			snap      *snapshot.Snapshot
			confirmed bool
		}
		var mu sync.Mutex
		var calls []call
		start(t, &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Hour, Jitter: -1, Backoff: time.Minute,
			ConfirmEmpty: time.Minute, Accepted: func(s *snapshot.Snapshot, confirmed bool) {
				mu.Lock()
				calls = append(calls, call{s, confirmed})
				mu.Unlock()
			}})
		synctest.Wait()
		after(time.Hour)   // failed: nothing passed on
		after(time.Minute) // full again
		after(time.Hour)   // past: held
		mu.Lock()
		assert.Equal(t, []call{{full, false}, {full, false}}, calls)
		mu.Unlock()
		after(time.Minute) // past again: confirmed
		mu.Lock()
		assert.Equal(t, []call{{full, false}, {full, false}, {past, true}}, calls)
		mu.Unlock()
		assert.EqualValues(t, 5, fake.calls.Load())
	})
}
