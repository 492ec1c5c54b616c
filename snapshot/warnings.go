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
