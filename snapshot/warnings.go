package snapshot

// Warnings returns the warnings the change brought and those it took
// away, counting repeats: all of an added shift's warnings are added, all
// of a removed one's removed, and a changed shift's are compared. An alert
// says "new warning" for the first and "warning cleared" for the second.
func (c Change) Warnings() (added, removed []string) {
	var before, after []string
	if c.Old != nil {
		before = c.Old.Warnings
	}
	if c.New != nil {
		after = c.New.Warnings
	}
	removed, added = warningsDiff(before, after)
	return added, removed
}

// warningsDiff returns the warnings only in old and those only in new,
// counting repeats.
func warningsDiff(before, after []string) (gone, came []string) {
	return missingFrom(before, after), missingFrom(after, before)
}

// missingFrom returns the strings of a that b lacks, counting repeats.
func missingFrom(a, b []string) []string {
	have := make(map[string]int, len(b))
	for _, s := range b {
		have[s]++
	}
	var out []string
	for _, s := range a {
		if have[s] > 0 {
			have[s]--
		} else {
			out = append(out, s)
		}
	}
	return out
}
