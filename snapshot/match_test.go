package snapshot

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	moved := with(dayShift(tue), func(it *Item) { it.Detail[0] = Text("09:00 - 17:30") })
	before := &Snapshot{Items: []Item{dayShift(tue), lateShift(tue), dayShift(wed)}}
	after := &Snapshot{Items: []Item{lateShift(tue), moved, dayShift(thu)}}
	assert.Equal(t, []Pair{
		{Old: 1, New: 0, Same: true},  // the late shift, moved up the page
		{Old: 0, New: 1, Same: false}, // the day shift, whose times changed
		{Old: -1, New: 2},             // Thursday's day shift is new: dates are not crossed…
		{Old: 2, New: -1},             // …so Wednesday's went
	}, Match(before, after))

	// One shift before and one after on a date always pair, as in Diff.
	assert.Equal(t, []Pair{{Old: 0, New: 0}}, Match(&Snapshot{Items: []Item{dayShift(wed)}}, &Snapshot{Items: []Item{lateShift(wed)}}))

	assert.Empty(t, Match(nil, nil))
	assert.Equal(t, []Pair{{Old: -1, New: 0}}, Match(nil, &Snapshot{Items: []Item{dayShift(tue)}}))
	assert.Equal(t, []Pair{{Old: 0, New: -1}}, Match(&Snapshot{Items: []Item{dayShift(tue)}}, nil))

	// The same shift twice pairs in page order.
	twice := &Snapshot{Items: []Item{dayShift(tue), dayShift(tue)}}
	assert.Equal(t, []Pair{{Old: 0, New: 0, Same: true}, {Old: 1, New: 1, Same: true}}, Match(twice, twice))
}

// Match and Diff agree on random rosters: the pairs that are not the same
// are exactly Diff's changes, and every shift is in one pair.
func TestMatchAgreesWithDiff(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	randomItems := func() []Item { return randomRoster(rng) }
	for range 500 {
		a := &Snapshot{Items: randomItems()}
		b := &Snapshot{Items: randomItems()}
		pairs := Match(a, b)
		seenOld, seenNew := make([]int, len(a.Items)), make([]int, len(b.Items))
		type key struct{ old, new *Item }
		changed := map[key]bool{}
		for k, p := range pairs {
			if p.Old >= 0 {
				seenOld[p.Old]++
			}
			if p.New >= 0 {
				seenNew[p.New]++
				require.Equal(t, k, p.New, "the new roster's order")
			}
			var o, n *Item
			if p.Old >= 0 {
				o = &a.Items[p.Old]
			}
			if p.New >= 0 {
				n = &b.Items[p.New]
			}
			if o != nil && n != nil {
				require.Equal(t, o.Date, n.Date, "pairs never cross dates")
				require.Equal(t, itemKey(o) == itemKey(n), p.Same)
			}
			if !p.Same {
				changed[key{o, n}] = true
			}
		}
		for _, n := range append(seenOld, seenNew...) {
			require.Equal(t, 1, n, "every shift in one pair")
		}
		diff := Diff(a, b)
		require.Len(t, diff.Shifts, len(changed))
		for _, ch := range diff.Shifts {
			assert.True(t, changed[key{ch.Old, ch.New}], "%v is one of Match's pairs", ch)
		}
	}
}
