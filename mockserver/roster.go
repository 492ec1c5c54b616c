package mockserver

import (
	"io"
	"strings"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

// dividerDate is the layout of the date in a roster list divider.
const dividerDate = "Mon 02/01/2006"

type rosterGroup struct {
	Heading string
	Shifts  []rosterShift
}

type rosterShift struct {
	Warnings []string
	HasLeft  bool
	Left     string
	HasRight bool
	Right    string
	Rest     []string
}

// RenderRoster writes the roster-list page for items, as a server with the
// default base path serves it, so that tests and benchmarks can make pages
// of any size. Items sharing a date and title share a divider.
//
// Parsing the page gives back items exactly when their text is what a
// parser keeps: titles, values and warnings trimmed and not empty, every
// empty value an invalid Field, and dates real days.
func RenderRoster(w io.Writer, items []snapshot.Item) error {
	return renderRosterPage(w, layoutView{Base: DefaultBasePath}, items, scriptNone)
}

// rosterScript says what a script does to the roster page's list.
type rosterScript int

const (
	scriptNone     rosterScript = iota // the page holds its list
	scriptBuild                        // a script builds the list (FaultScriptRoster)
	scriptFill                         // a script fills the empty list (FaultScriptFillsRoster)
	scriptPage                         // a script gets the page element (FaultScriptRosterPage)
	scriptPagePart                     // the page element alone, which scriptPage's request gets
)

func rosterScripting(f Fault) rosterScript {
	switch {
	case f.Has(FaultScriptRoster):
		return scriptBuild
	case f.Has(FaultScriptFillsRoster):
		return scriptFill
	case f.Has(FaultScriptRosterPage):
		return scriptPage
	}
	return scriptNone
}

// renderRosterPage writes the roster page in layout, with its list built
// or filled by an inline script after load as script says.
func renderRosterPage(w io.Writer, layout layoutView, items []snapshot.Item, script rosterScript) error {
	layout.Title = "RosterOn - Roster"
	view := rosterView{layoutView: layout, Groups: groupItems(items)}
	var part strings.Builder
	switch script {
	case scriptBuild:
		if err := executePart(&part, "roster", "rosterlist", view); err != nil {
			return err
		}
		view.ListHTML = part.String()
	case scriptFill:
		if err := executePart(&part, "roster", "rosteritems", view); err != nil {
			return err
		}
		view.ItemsHTML, view.Fill = part.String(), true
	case scriptPage:
		view.PageScript = true
	case scriptPagePart:
		return executePart(w, "roster", "rosterpage", view)
	}
	return execute(w, "roster", view)
}

func groupItems(items []snapshot.Item) []rosterGroup {
	var groups []rosterGroup
	for i, it := range items {
		if i == 0 || it.Date != items[i-1].Date || it.Title != items[i-1].Title {
			groups = append(groups, rosterGroup{Heading: formatDate(it.Date) + " - " + it.Title})
		}
		g := &groups[len(groups)-1]
		g.Shifts = append(g.Shifts, makeShift(it))
	}
	return groups
}

func makeShift(it snapshot.Item) rosterShift {
	sh := rosterShift{Warnings: it.Warnings}
	cells := make([]string, len(it.Detail))
	for i, f := range it.Detail {
		if f.Valid {
			cells[i] = f.Value
		}
	}
	if len(cells) > 0 {
		sh.HasLeft, sh.Left = true, cells[0]
	}
	if len(cells) > 1 {
		sh.HasRight, sh.Right = true, cells[1]
	}
	if len(cells) > 2 {
		sh.Rest = cells[2:]
	}
	return sh
}

// formatDate goes through noon UTC so that no zone or DST shift can move
// the day.
func formatDate(d snapshot.Date) string {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Format(dividerDate)
}
