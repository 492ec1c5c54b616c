package export

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

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

// Column indexes, in display order.
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
	// comfortText is the width a text column keeps, when it can, before
	// TIME gives way; minText is the narrowest one is made before the
	// date does, below which a cell says little but "…".
	comfortText = 16
	minText     = 6
	// warnPrefix and extraPrefix start the lines under a shift.
	warnPrefix  = "! "
	extraPrefix = "+ "
	// dateLayout is the DATE column's form; the zero-padded day keeps the
	// column aligned.
	dateLayout      = "Mon 02 Jan 2006"
	shortDateLayout = "Mon 02 Jan"
	timeLayout      = "Mon 02 Jan 2006 15:04 MST"
)

// WriteTable writes s as a table for people:
//
//	Roster as of Mon 10 Jun 2019 08:03 UTC: 2 shifts
//
//	DATE             TIME           SHIFT  ROLE       WHERE
//	Tue 11 Jun 2019  10:30 - 18:06  XYZ    Assistant  ABCDE - Melbourne Office
//	                 07:00 - 15:30  Day    Assistant  ABCDE - Melbourne Office
//	                 ! BLOGGS, JOE: Minimum 10 hours between Allocations
//
// One row per shift, in roster order; the date is left blank when it is
// the same as the row above's. SHIFT is the shift's name followed by the
// right-hand cell in parentheses when that is not empty. Details after the
// fourth go on lines of their own starting "+ ", and warnings on lines
// starting "! ", wrapped to fit, so no text of the roster is lost except
// where a cell is visibly cut short with "…". An empty roster is the
// heading alone, saying "no shifts".
//
// No line is longer than width runes (runes, not terminal cells: East
// Asian wide characters take two cells and may push a row out of line).
// When the natural table is wider, dates first drop the year, which the
// heading has; then the widest text column (SHIFT, ROLE, WHERE) narrows,
// step by step, down to 16 runes; then TIME joins in down to the width of
// "07:00 - 15:30", and so on. A width of zero or less means no limit.
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
		writeRows(lw, s.Items, width)
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
	cells  [numCols]string
	extras []string
	warns  []string
}

func writeRows(lw *lineWriter, items []snapshot.Item, width int) {
	rows := make([]row, len(items))
	for i, it := range items {
		rows[i] = makeRow(it)
		if i > 0 && it.Date == items[i-1].Date {
			rows[i].cells[colDate] = ""
		}
	}
	widths, short := columnWidths(rows, width)
	if short {
		for i := range rows {
			if rows[i].cells[colDate] != "" {
				rows[i].cells[colDate] = formatDate(rows[i].date, shortDateLayout)
			}
		}
	}

	lw.line(formatCells(headers, widths))
	// Lines under a shift start below its TIME cell, so the date column
	// stays clear and the eye finds the next date; a table too narrow
	// for that indents them a little only.
	indent := widths[colDate] + len(gap)
	if width > 0 && width-indent < 2*minText {
		indent = min(2, width/4)
	}
	for _, r := range rows {
		lw.line(formatCells(r.cells, widths))
		for _, e := range r.extras {
			lw.wrapped(indent, extraPrefix, e)
		}
		for _, wn := range r.warns {
			lw.wrapped(indent, warnPrefix, wn)
		}
	}
}

func formatDate(d snapshot.Date, layout string) string {
	if !d.Valid() {
		return "?"
	}
	return d.Time(nil).Format(layout)
}

func makeRow(it snapshot.Item) row {
	r := row{date: it.Date}
	r.cells[colDate] = formatDate(it.Date, dateLayout)
	detail := func(i int) string {
		if i < len(it.Detail) && it.Detail[i].Valid {
			return clean(it.Detail[i].Value)
		}
		return ""
	}
	r.cells[colTime] = detail(detailTime)
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
	r.cells[colWhere] = clean(it.Title)
	for i := knownDetails; i < len(it.Detail); i++ {
		if v := detail(i); v != "" {
			r.extras = append(r.extras, v)
		}
	}
	for _, wn := range it.Warnings {
		if v := clean(wn); v != "" {
			r.warns = append(r.warns, v)
		}
	}
	return r
}

// clean makes s safe and single-line for a terminal: runs of white space
// (line breaks from <br> included) become one space and other control
// characters, which could move the cursor or recolour the screen, become
// U+FFFD, as does invalid UTF-8.
func clean(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r):
			r = utf8.RuneError
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// columnWidths returns each column's width, its widest cell's, or less
// when the table would not fit in width, and whether dates should leave
// out the year.
func columnWidths(rows []row, width int) (widths [numCols]int, short bool) {
	for c := range numCols {
		widths[c] = utf8.RuneCountInString(headers[c])
	}
	for _, r := range rows {
		for c, cell := range r.cells {
			widths[c] = max(widths[c], utf8.RuneCountInString(cell))
		}
	}
	if width <= 0 {
		return widths, false
	}
	excess := len(gap)*(numCols-1) - width
	for _, w := range widths {
		excess += w
	}
	if excess <= 0 {
		return widths, false
	}
	// A roster spans weeks and the heading has the year, so the year is
	// the cheapest thing to give up: five runes of every row without
	// cutting a word.
	if widths[colDate] == len(dateLayout) {
		widths[colDate] = len(shortDateLayout)
		excess -= len(dateLayout) - len(shortDateLayout)
		short = true
	}
	// Then the columns give way in tiers, each step narrowing the widest
	// column of the tier by one, so that what is cut is spread evenly
	// rather than one column being minced. Ties go to the column further
	// right, the less important. TIME, which people read the roster for,
	// holds out longest: the text columns narrow first to a width that
	// still reads well; then TIME joins them, down to the width of a plain
	// "07:00 - 15:30"; then everything narrows to a few runes; and to one
	// rune when the width is absurd.
	date := widths[colDate]
	timeFloor := min(widths[colTime], len("07:00 - 15:30"))
	tiers := [][numCols]int{
		{colDate: date, colTime: widths[colTime], colShift: comfortText, colRole: comfortText, colWhere: comfortText},
		{colDate: date, colTime: timeFloor, colShift: minText, colRole: minText, colWhere: minText},
		{colDate: date, colTime: minText, colShift: 3, colRole: 3, colWhere: 3},
		{colDate: 3, colTime: 3, colShift: 3, colRole: 3, colWhere: 3},
		{colDate: 1, colTime: 1, colShift: 1, colRole: 1, colWhere: 1},
	}
	for _, tier := range tiers {
		for excess > 0 {
			best := -1
			for c := range numCols {
				if widths[c] > tier[c] && (best < 0 || widths[c] >= widths[best]) {
					best = c
				}
			}
			if best < 0 {
				break
			}
			widths[best]--
			excess--
		}
	}
	return widths, short
}

// formatCells pads and truncates cells to widths; the last column is not
// padded, so lines carry no trailing spaces.
func formatCells(cells [numCols]string, widths [numCols]int) string {
	var b strings.Builder
	for c, cell := range cells {
		if c > 0 {
			b.WriteString(gap)
		}
		cell = truncate(cell, widths[c])
		b.WriteString(cell)
		if c < numCols-1 {
			b.WriteString(strings.Repeat(" ", widths[c]-utf8.RuneCountInString(cell)))
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// truncate cuts s to at most n runes, ending it with "…" when it was cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	i, count := 0, 0
	for i = range s {
		if count == n-1 {
			break
		}
		count++
	}
	return s[:i] + "…"
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
	if lw.width > 0 {
		s = truncate(s, lw.width)
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
