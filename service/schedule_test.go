package service

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/store"
)

// Consecutive IDs get phases spread evenly over the interval: no two
// closer than a fraction of an even share, no gap wider than a few.
func TestPhasesSpreadEvenly(t *testing.T) {
	const n = 1000
	s := &Service{cfg: Config{Interval: 30 * time.Minute}}
	var ph []time.Duration
	for id := store.ID(1); id <= n; id++ {
		p := s.phase(id)
		require.GreaterOrEqual(t, p, time.Duration(0))
		require.Less(t, p, s.cfg.Interval)
		ph = append(ph, p)
	}
	slices.Sort(ph)
	share := s.cfg.Interval / n
	maxGap := ph[0] + s.cfg.Interval - ph[n-1]
	minGap := maxGap
	for i := 1; i < n; i++ {
		g := ph[i] - ph[i-1]
		maxGap, minGap = max(maxGap, g), min(minGap, g)
	}
	require.Greater(t, minGap, share/4, "two accounts' phases nearly the same")
	require.Less(t, maxGap, 3*share, "a gap in the spread")
}

// aligned is the first instant of the account's phase at or after the
// earliest, with at most 2% of the interval of jitter.
func TestAligned(t *testing.T) {
	iv := 30 * time.Minute
	s := &Service{cfg: Config{Interval: iv}}
	base := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for id := store.ID(1); id < 50; id++ {
		r := &account{id: id, phase: s.phase(id)}
		for _, earliest := range []time.Time{base, base.Add(7 * time.Minute), base.Add(iv / 2), base.Add(r.phase)} {
			got := s.aligned(r, earliest)
			require.False(t, got.Before(earliest))
			off := time.Duration(got.UnixNano() % int64(iv))
			d := (off - r.phase + iv) % iv
			require.Less(t, d, time.Duration(float64(iv)*jitterShare)+1, "id %d at %v: off its phase by %v", id, earliest, d)
			require.Less(t, got.Sub(earliest), iv+time.Duration(float64(iv)*jitterShare))
		}
	}
}

// At the start, an account refreshed recently keeps its phase, no sooner
// than half an interval after its last good roster; the others are due
// at once.
func TestStartDue(t *testing.T) {
	iv := 30 * time.Minute
	s := &Service{cfg: Config{Interval: iv}}
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	r := &account{id: 7, phase: s.phase(7), row: &store.Account{}}
	require.Equal(t, now, s.startDue(r, now), "never refreshed")

	r.row.Health.LastGood = now.Add(-2 * iv)
	require.Equal(t, now, s.startDue(r, now), "refreshed long ago")

	r.row.Health.LastGood = now.Add(-5 * time.Minute)
	due := s.startDue(r, now)
	require.False(t, due.Before(r.row.Health.LastGood.Add(iv/2)))
	require.Less(t, due.Sub(now), iv+iv/2)
}
