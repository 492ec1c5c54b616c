package export

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/snapshot"
)

// DefaultWidth is the width the command line uses for the table when it
// cannot ask a terminal.
const DefaultWidth = 80

// The positions of a shift's details as RosterOn lays them out: the times,
// the often empty right-hand cell, the shift's name and the role.
const (
	detailTime = iota
	detailNote
	detailShift
	detailRole
	knownDetails
)

// Column indexes of the flat table, in display order.
const (
	colDate = iota
	colTime
	colShift
	colRole
	colWhere
	numCols
)

var headers = [numCols]string{"DATE", "TIME", "SHIFT", "ROLE", "WHERE"}

const (
	gap = "  " // between columns
	// minText is the narrowest room a shift's name is wrapped into
	// beside its date and times; with less it goes on lines of its own.
	minText = 6
	// groupIndent starts the shift lines under a heading.
	groupIndent = "  "
	// warnPrefix and extraPrefix start the lines under a shift.
	warnPrefix  = "! "
	extraPrefix = "+ "
	// headingJoin separates a heading's title from its role.
	headingJoin = " · "
	// dateLayout is the DATE column's form; the zero-padded day keeps the
	// column aligned.
	dateLayout      = "Mon 02 Jan 2006"
	shortDateLayout = "Mon 02 Jan"
	timeLayout      = "Mon 02 Jan 2006 15:04 MST"
)

// WriteTable writes s as a table for people, one line per shift, in
// roster order, its times read as a person reads them: "07:00–15:30",
// "20:30–08:30 on call", "all day" for leave, and times the roster writes
// in a way that cannot be read ("TBA") as it writes them. SHIFT is the
// shift's name followed by the right-hand cell in parentheses when that is
// not empty.
//
// When every column fits in width, the table is flat, the date left blank
// when it is the same as the row above's, and the year left out when that
// is what makes it fit (the heading has it):
//
//	Roster as of Mon 10 Jun 2019 08:03 UTC: 2 shifts
//
//	DATE             TIME         SHIFT  ROLE       WHERE
//	Tue 11 Jun 2019  10:30–18:06  XYZ    Assistant  ABCDE - Melbourne Office
//	                 19:00–23:00  Day    Assistant  ABCDE - Melbourne Office
//	                 ! BLOGGS, JOE: Minimum 10 hours between Allocations
//
// Otherwise, as at 80 columns for most real rosters, the title and role,
// which change far less often than the dates, become headings: a heading
// names them each time they change, and the shifts under it have a line
// each with the date, the times and the shift:
//
//	ABCDE - Melbourne Office · Assistant
//	  Tue 11 Jun  10:30–18:06          XYZ
//	              19:00–23:00          Day
//	              ! BLOGGS, JOE: Minimum 10 hours between Allocations
//
//	FGHIJ - Geelong · Supervisor
//	  Wed 12 Jun  20:30–08:30 on call  On Call
//
// Nothing is cut short there: a name or heading too long for the line is
// wrapped. Details after the fourth go on lines of their own starting
// "+ ", and warnings on lines starting "! ", wrapped to fit, so no text of
// the roster is lost. An empty roster is the heading alone, saying "no
// shifts".
//
// No line is longer than width runes (runes, not terminal cells: East
// Asian wide characters take two cells and may push a row out of line);
// only a width too narrow for a date and its times cuts anything, with
// "…". A width of zero or less means no limit, and a flat table.
//
// Line breaks, tabs and control characters in the roster's text are shown
// as spaces or U+FFFD, so a page can neither break the layout nor send
// escape sequences to the terminal.
func WriteTable(w io.Writer, s *snapshot.Snapshot, width int) error {
	if s == nil {
		return errNilSnapshot
	}
	if width <= 0 {
		width = 0
	}
	bw := bufio.NewWriter(w)
	lw := &lineWriter{w: bw, width: width}

	lw.wrapped(0, "", heading(s))
	if len(s.Items) > 0 {
		lw.line("")
		rows := makeRows(s.Items)
		switch {
		case width == 0 || flatWidth(rows, dateLayout) <= width:
			writeFlat(lw, rows, dateLayout)
		case flatWidth(rows, shortDateLayout) <= width:
			writeFlat(lw, rows, shortDateLayout)
		default:
			writeGrouped(lw, rows)
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return lw.err
}

func heading(s *snapshot.Snapshot) string {
	var count string
	switch n := len(s.Items); n {
	case 0:
		count = "no shifts"
	case 1:
		count = "1 shift"
	default:
		count = fmt.Sprintf("%d shifts", n)
	}
	if s.Time.IsZero() {
		return "Roster: " + count
	}
	return "Roster as of " + s.Time.Format(timeLayout) + ": " + count
}

// row is one shift made into cells, plus the lines that follow it.
type row struct {
	date   snapshot.Date
	cells  [numCols]string // the date's is left to the layout
	extras []string
	warns  []string
}

func makeRows(items []snapshot.Item) []row {
	rows := make([]row, len(items))
	for i, it := range items {
		rows[i] = makeRow(it)
	}
	return rows
}

func makeRow(it snapshot.Item) row {
	r := row{date: it.Date}
	detail := func(i int) string {
		if i < len(it.Detail) && it.Detail[i].Valid {
			return oneline.Text(it.Detail[i].Value)
		}
		return ""
	}
	// Kinds do not depend on the zone; the clock times shown are the
	// roster's own.
	r.cells[colTime] = Times(it.Shift(nil), "")
	shift := detail(detailShift)
	if note := detail(detailNote); note != "" {
		if shift != "" {
			shift += " (" + note + ")"
		} else {
			shift = "(" + note + ")"
		}
	}
	r.cells[colShift] = shift
	r.cells[colRole] = detail(detailRole)
	r.cells[colWhere] = oneline.Text(it.Title)
	for i := knownDetails; i < len(it.Detail); i++ {
		if v := detail(i); v != "" {
			r.extras = append(r.extras, v)
		}
	}
	for _, wn := range it.Warnings {
		if v := oneline.Text(wn); v != "" {
			r.warns = append(r.warns, v)
		}
	}
	return r
}

func formatDate(d snapshot.Date, layout string) string {
	if !d.Valid() {
		return "?"
	}
	return d.Time(nil).Format(layout)
}

// flatColumns returns the flat table's column widths with dates in
// layout: each its widest cell's.
func flatColumns(rows []row, layout string) (widths [numCols]int) {
	for c := range numCols {
		widths[c] = runes(headers[c])
	}
	for _, r := range rows {
		widths[colDate] = max(widths[colDate], runes(formatDate(r.date, layout)))
		for c := colTime; c < numCols; c++ {
			widths[c] = max(widths[c], runes(r.cells[c]))
		}
	}
	return widths
}

// flatWidth is the width of the flat table's longest row.
func flatWidth(rows []row, layout string) int {
	total := len(gap) * (numCols - 1)
	for _, w := range flatColumns(rows, layout) {
		total += w
	}
	return total
}

func writeFlat(lw *lineWriter, rows []row, layout string) {
	widths := flatColumns(rows, layout)
	lw.line(formatCells(headers, widths))
	// Lines under a shift start below its TIME cell, so the date column
	// stays clear and the eye finds the next date.
	indent := widths[colDate] + len(gap)
	for i, r := range rows {
		if i == 0 || r.date != rows[i-1].date {
			r.cells[colDate] = formatDate(r.date, layout)
		}
		lw.line(formatCells(r.cells, widths))
		writeUnder(lw, indent, r)
	}
}

// writeUnder writes the lines that follow a shift's: its extra details,
// then its warnings, indent runes in, or a little when that leaves too
// little room.
func writeUnder(lw *lineWriter, indent int, r row) {
	indent = lw.indentUnder(indent)
	for _, e := range r.extras {
		lw.wrapped(indent, extraPrefix, e)
	}
	for _, wn := range r.warns {
		lw.wrapped(indent, warnPrefix, wn)
	}
}

// groupHeading is the heading a shift goes under in the grouped table.
func groupHeading(r row) string {
	title, role := r.cells[colWhere], r.cells[colRole]
	switch {
	case title != "" && role != "":
		return title + headingJoin + role
	case title != "":
		return title
	case role != "":
		return role
	}
	return "(no title or role)"
}

// onCallTimes is the longest usual TIME cell: wider cells, rare, are
// written whole and push their line's shift along rather than widen the
// column for every line.
const onCallTimes = "20:30–08:30 on call"

func writeGrouped(lw *lineWriter, rows []row) {
	dateW := runes(shortDateLayout)
	timeW := 0
	for _, r := range rows {
		timeW = max(timeW, min(runes(r.cells[colTime]), runes(onCallTimes)))
	}
	under := len(groupIndent) + dateW + len(gap)
	current := ""
	for i, r := range rows {
		h := groupHeading(r)
		newGroup := i == 0 || h != current
		if newGroup {
			if i > 0 {
				lw.line("")
			}
			lw.wrapped(0, "", h)
			current = h
		}
		date := ""
		if newGroup || r.date != rows[i-1].date {
			date = formatDate(r.date, shortDateLayout)
		}
		lead := groupIndent + pad(date, dateW) + gap
		prefix := lead + pad(r.cells[colTime], timeW) + gap
		if !lw.fits(prefix) {
			// Out of line with the rows above rather than squeezed.
			prefix = lead + r.cells[colTime] + gap
		}
		if lw.fits(prefix) || r.cells[colShift] == "" {
			lw.wrapped(0, prefix, r.cells[colShift])
		} else {
			// Too narrow for the name beside the times: below them.
			lw.line(prefix)
			lw.wrapped(lw.indentUnder(under), "", r.cells[colShift])
		}
		writeUnder(lw, under, r)
	}
}

// fits reports whether a line starting with prefix leaves room for a
// shift's name.
func (lw *lineWriter) fits(prefix string) bool {
	return lw.width <= 0 || lw.width-runes(prefix) >= minText
}

// indentUnder is indent for lines under a shift, or a little when that
// leaves too little room.
func (lw *lineWriter) indentUnder(indent int) int {
	if lw.width > 0 && lw.width-indent < 2*minText {
		return min(2, lw.width/4)
	}
	return indent
}

// pad pads s with spaces to n runes.
func pad(s string, n int) string {
	return s + strings.Repeat(" ", max(n-runes(s), 0))
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// formatCells pads cells to widths; the last column is not padded, so
// lines carry no trailing spaces.
func formatCells(cells [numCols]string, widths [numCols]int) string {
	var b strings.Builder
	for c, cell := range cells {
		if c > 0 {
			b.WriteString(gap)
		}
		b.WriteString(pad(cell, widths[c]))
	}
	return b.String()
}

// lineWriter writes lines no longer than width runes (any length when
// width is 0) and keeps the first error.
type lineWriter struct {
	w     *bufio.Writer
	width int
	err   error
}

func (lw *lineWriter) line(s string) {
	if lw.err != nil {
		return
	}
	s = strings.TrimRight(s, " ")
	if lw.width > 0 {
		s = oneline.Truncate(s, lw.width)
	}
	_, lw.err = lw.w.WriteString(s + "\n")
}

// wrapped writes text after indent spaces and prefix, wrapped at spaces to
// fit the width, continuation lines aligned after the prefix. A word too
// long for a line is split: a warning must be read whole, not cut.
func (lw *lineWriter) wrapped(indent int, prefix, text string) {
	lead := strings.Repeat(" ", indent)
	first := lead + prefix
	cont := lead + strings.Repeat(" ", utf8.RuneCountInString(prefix))
	room := lw.width - utf8.RuneCountInString(first)
	if lw.width <= 0 || room < 1 {
		// Too narrow to wrap usefully (or no limit): one line, which
		// line truncates when it must.
		lw.line(first + text)
		return
	}
	lines := wrap(text, room)
	for i, l := range lines {
		if i == 0 {
			lw.line(first + l)
		} else {
			lw.line(cont + l)
		}
	}
}

// wrap breaks text into lines of at most n runes, at spaces where it can.
func wrap(text string, n int) []string {
	var lines []string
	var cur []rune
	for _, word := range strings.Fields(text) {
		wr := []rune(word)
		switch {
		case len(cur) == 0:
		case len(cur)+1+len(wr) <= n:
			cur = append(cur, ' ')
		default:
			lines = append(lines, string(cur))
			cur = cur[:0]
		}
		for len(cur)+len(wr) > n {
			k := n - len(cur)
			cur = append(cur, wr[:k]...)
			lines = append(lines, string(cur))
			cur, wr = cur[:0], wr[k:]
		}
		cur = append(cur, wr...)
	}
	if len(cur) > 0 || len(lines) == 0 {
		lines = append(lines, string(cur))
	}
	return lines
}
