package snapshot

// Pair is an old shift and the new shift it became, as Match pairs them.
type Pair struct {
	// Old and New index the old and the new snapshot's Items; -1 means
	// none: a new shift (Added) or a removed one.
	Old, New int
	// Same is set when the two shifts are equal: same title, details and
	// warnings.
	Same bool
}

// Match pairs the shifts of two snapshots exactly as Diff does: on each
// date, equal shifts first, then by likeness, then in page order; a nil
// snapshot is an empty roster. Shifts are matched within their date only,
// so a shift moved to another date is one removed and one added.
//
// Every shift of either snapshot is in exactly one pair: first the new
// snapshot's shifts in page order, then the removed ones in the old
// snapshot's page order. Callers that must follow a shift from one roster to the next, such as
// an iCalendar feed keeping each event's UID, use Match; people read Diff.
func Match(before, after *Snapshot) []Pair {
	var oldItems, newItems []Item
	if before != nil {
		oldItems = before.Items
	}
	if after != nil {
		newItems = after.Items
	}
	oldByDate, newByDate := indexByDate(oldItems), indexByDate(newItems)
	pairs := make([]Pair, 0, max(len(oldItems), len(newItems)))
	// The new roster's pairs in its order, then the removed shifts of
	// each date in the old roster's order.
	newPair := make([]Pair, len(newItems))
	removed := make(map[Date][]int)
	for d, news := range newByDate {
		olds := oldByDate[d]
		op, np, equal := pairDate(itemPtrs(oldItems, olds), itemPtrs(newItems, news))
		for j, i := range np {
			p := Pair{Old: -1, New: news[j]}
			if i >= 0 {
				p.Old, p.Same = olds[i], equal[i]
			}
			newPair[news[j]] = p
		}
		for i, j := range op {
			if j < 0 {
				removed[d] = append(removed[d], olds[i])
			}
		}
	}
	for d, olds := range oldByDate {
		if _, ok := newByDate[d]; !ok {
			removed[d] = olds
		}
	}
	pairs = append(pairs, newPair...)
	for i := range oldItems {
		if r := removed[oldItems[i].Date]; len(r) > 0 && r[0] == i {
			removed[oldItems[i].Date] = r[1:]
			pairs = append(pairs, Pair{Old: i, New: -1})
		}
	}
	return pairs
}

// indexByDate groups the indexes of items by date, in page order.
func indexByDate(items []Item) map[Date][]int {
	m := make(map[Date][]int)
	for i := range items {
		m[items[i].Date] = append(m[items[i].Date], i)
	}
	return m
}

func itemPtrs(items []Item, idx []int) []*Item {
	out := make([]*Item, len(idx))
	for k, i := range idx {
		out[k] = &items[i]
	}
	return out
}
