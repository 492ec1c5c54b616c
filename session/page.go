package session

import (
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/snapshot"
)

// pageInfo is what the session needs to know of a RosterOn page, read in
// one pass by snapshot.ReadPage: the id of its jQuery Mobile page div, its
// validation messages, its title, and for a roster page the roster itself.
type pageInfo struct {
	ID         string
	Validation []string
	Title      string
	// List reports a <ul data-role="listview"> in the page's content,
	// which a roster page has unless a script builds it.
	List bool
	// Shifts reports an item in that list other than a divider: a
	// roster with shifts.
	Shifts bool
	// Items and Err are the roster as snapshot.Parse reads the page:
	// the items, or why the page is not a roster that can be read.
	Items []snapshot.Item
	Err   error
}

// inspect reads a page's id, validation messages and roster. Every
// RosterOn page has exactly one <div data-role="page" id="…">; a page
// without one (a proxy's error page, say) has ID "".
func inspect(page string) pageInfo {
	p := snapshot.ReadPageBytes([]byte(page))
	return pageInfo{
		ID:         p.ID,
		Validation: p.Validation,
		Title:      p.Title,
		List:       p.List,
		Shifts:     p.Shifts,
		Items:      p.Items,
		Err:        p.Err,
	}
}

// describe says in a few words what a page is, for error messages.
func (p pageInfo) describe() string {
	switch {
	case p.ID != "":
		return "a page with id " + pyQuote(p.ID)
	case p.Title != "":
		return "a page that is not RosterOn's, titled " + pyQuote(oneline.Truncate(p.Title, 80))
	default:
		return "a page that is not RosterOn's"
	}
}
