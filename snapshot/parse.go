package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rosteron/rosteron/internal/oneline"
)

// Sentinel errors that every *ParseError wraps, for errors.Is.
var (
	// ErrNotRoster means the page is not a roster page at all: another
	// RosterOn page (login, home), a proxy's error page, anything without
	// the roster's jQuery Mobile structure. To a session it usually means
	// "not logged in", not a problem with the roster.
	ErrNotRoster = errors.New("snapshot: not a roster page")
	// ErrMalformed means the page is a roster page but part of it cannot be
	// read with certainty (an unreadable date, a shift before any date, ...).
	// Parse fails rather than return a roster that may be wrong.
	ErrMalformed = errors.New("snapshot: malformed roster page")
)

// rosterPageID is the id RosterOn gives the roster's jQuery Mobile page.
const rosterPageID = "roster-list"

// maxFound bounds ParseError.Found so that an error quoting a whole page
// stays readable in a log line.
const maxFound = 80

// ParseError says why Parse rejected a page and quotes what it found there.
// It wraps ErrNotRoster or ErrMalformed.
type ParseError struct {
	// Err is ErrNotRoster or ErrMalformed.
	Err error
	// Reason says what was expected, e.g. "unreadable date in list divider".
	Reason string
	// Found is the text or element found instead, whitespace collapsed and
	// cut to about 80 characters; it may be empty.
	Found string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("snapshot: cannot parse page")
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Found != "" {
		b.WriteString(": found ")
		b.WriteString(strconv.Quote(e.Found))
	}
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

func notRoster(reason, found string) error {
	return &ParseError{Err: ErrNotRoster, Reason: reason, Found: quote(found)}
}

func malformed(reason, found string) error {
	return &ParseError{Err: ErrMalformed, Reason: reason, Found: quote(found)}
}

// quote is found as ParseError.Found holds it: valid UTF-8, white space
// collapsed, cut to about maxFound characters.
func quote(found string) string {
	return oneline.Truncate(collapse(strings.ToValidUTF8(found, "\uFFFD")), maxFound)
}

// Parse reads a RosterOn Mobile roster page and returns its shifts in page
// order. An empty list is a valid, empty roster: Parse then returns an empty,
// non-nil slice.
//
// The page must hold exactly one <div data-role="page">; if that page has an
// id it must be "roster-list" (other RosterOn pages, such as the login page,
// share the structure). The roster is the first <ul data-role="listview">
// inside the page's <div data-role="content">; anything short of that is an
// error wrapping ErrNotRoster.
//
// The list's direct children are read in order:
//
//   - <li data-role="list-divider"> starts a date, "Tue 11/06/2019 - Title".
//     The weekday must match the date; the title may be absent. A divider
//     that cannot be read exactly is an error: a roster with a wrong date is
//     worse than none.
//   - Any other <li> is a shift under the latest divider; one before any
//     divider is an error. Its Detail has one Field per <p> inside it, in
//     document order, each the <p>'s text (a <br> counts as a newline) with
//     surrounding white space, including no-break spaces, trimmed. A <p>
//     holding only white space gives an empty Field, like the original
//     library's None. A shift without any <p> is still returned, with an
//     empty, non-nil Detail, so no shift is ever dropped.
//   - A <table> (invalid there, but real) is a warning for the next shift:
//     its text, white space collapsed, goes to that shift's Warnings. A
//     table without text is ignored. A warning followed by a divider or by
//     the end of the list is an error, since there is no shift it can
//     belong to and it must not be silently lost.
//   - <script>, <style>, <template> and <noscript> elements, comments and
//     white space are ignored. Any other element, or text, is an error
//     naming it, since it might hold shifts Parse would otherwise miss.
//
// How tags nest is read as ReadPage describes. Errors from reading r are
// returned wrapped; every other error is a *ParseError, a page nested too
// deep to read included, as ErrMalformed. Parse never panics. It reads all
// of r, so callers should bound untrusted input.
func Parse(r io.Reader) ([]Item, error) {
	p, err := ReadPage(r)
	if err != nil {
		return nil, err
	}
	if p.Err != nil {
		return nil, p.Err
	}
	return p.Items, nil
}

// Page is what ReadPage finds in a RosterOn page: what a session needs to
// tell one page from another, and the roster, if the page is one.
type Page struct {
	// ID is the id of the page's first <div data-role="page">, as written;
	// "" when it has none, or there is no such div (a proxy's error page,
	// say). Every RosterOn page has one: "account-login", "home-index",
	// "roster-list".
	ID string
	// Title is the text of the page's <title>, white space collapsed.
	Title string
	// Validation holds the messages of every <div class="validation-summary-errors">,
	// one per <li> (a nested one too), white space collapsed, in the
	// order they are written: why a login was refused.
	Validation []string
	// List reports the roster's <ul data-role="listview"> in the page's
	// content, which a roster page has unless a script builds it.
	List bool
	// Shifts reports an item in that list other than a divider: a roster
	// with shifts, whether or not it can be read.
	Shifts bool
	// Items is the roster, as Parse returns it, when Err is nil.
	Items []Item
	// Err is the *ParseError Parse would return for the page: why it is
	// not a roster, or one that cannot be read with certainty.
	Err error
}

// ReadPage reads a RosterOn page in one pass: its id, title and validation
// messages, and its roster as Parse reads it. The error is r's, or a nil
// r; a page that is not a roster is no error here but Page.Err.
//
// Pages are read the way the HTML standard builds their tree for the
// elements pages are made of: character references, raw text in <script>
// and <style>, void elements, and the end tags HTML implies (an <li>
// closes the open <li>, a <div>, <table>, <hr> or <p> closes an open <p>,
// a <td> or <tr> the open cell or row and whatever is open inside the
// table above it, </p> with no <p> open makes an empty one); an end tag
// that matches no open element is ignored, and one for an inline element
// such as </b> does not close an open <p>, <li>, <td> or other block
// around it. Two rules of HTML's are not followed, since
// they move content about rather than drop it: text or elements inside a
// <table> but outside its cells are read where they are written (a
// browser moves them to before the table), and misnested inline elements
// (<b><i></b></i>) are not repaired. So text is read in the order it is
// written, as the original Python library (BeautifulSoup) reads it.
// Where an element left open would swallow the shifts that follow (a
// divider, warning or <template> around later list items, a <table> left
// open in a shift around the next divider or shift, a list closed before
// its last divider or shift), the roster is an error, not a shorter one
// or one with a shift under the wrong date: so is a list divider anywhere
// in a shift, and a shift's <li> with no list of its own around it.
// Character references with no digits ("&#x;") are text as written; NUL
// is dropped from text, after references are decoded, and is U+FFFD in
// attribute values and raw text.
// Elements nested more than 512 deep make the page unreadable (Page.Err).
func ReadPage(r io.Reader) (*Page, error) {
	if r == nil {
		return nil, errors.New("snapshot: Parse called with a nil reader")
	}
	src, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("snapshot: reading roster page: %w", err)
	}
	return ReadPageBytes(src), nil
}

// ReadPageBytes is ReadPage of a page in memory, which it does not keep or
// change.
func ReadPageBytes(src []byte) *Page {
	rd := newReader(src)
	rd.run()
	if rd.fatal != nil {
		rd.page.Items, rd.page.Err = nil, rd.fatal
	}
	return &rd.page
}

// readAll reads r to its end. A page already in memory is copied once at
// most: a bytes.Buffer's not at all, and a bytes.Reader's, or one behind a
// bufio.Reader (as LoadReader gives), in one write.
func readAll(r io.Reader) ([]byte, error) {
	switch v := r.(type) {
	case *bytes.Buffer:
		return v.Next(v.Len()), nil
	case *bytes.Reader:
		b := make([]byte, v.Len())
		_, err := io.ReadFull(v, b)
		return b, err
	case io.WriterTo:
		var buf bytes.Buffer
		_, err := v.WriteTo(&buf)
		return buf.Bytes(), err
	}
	return io.ReadAll(r)
}

// parseDivider reads "Www dd/mm/yyyy[ - title]". The error's text is a reason
// for a ParseError; the caller adds the divider's text.
func parseDivider(text string) (Date, string, error) {
	const want = `unreadable date in list divider, want e.g. "Tue 11/06/2019 - Title"`
	s := trimSpace(text)
	if s == "" {
		return Date{}, "", errors.New("empty list divider")
	}
	if len(s) < 3 {
		return Date{}, "", errors.New(want)
	}
	weekday, ok := parseWeekday(s[:3])
	if !ok {
		return Date{}, "", errors.New(want)
	}
	rest := trimLeftSpace(s[3:])
	if len(rest) == len(s)-3 { // no space after the weekday, e.g. "Monday"
		return Date{}, "", errors.New(want)
	}
	day, rest, ok1 := readNumber(rest, 1, 2)
	rest, ok2 := strings.CutPrefix(rest, "/")
	month, rest, ok3 := readNumber(rest, 1, 2)
	rest, ok4 := strings.CutPrefix(rest, "/")
	year, rest, ok5 := readNumber(rest, 4, 4)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return Date{}, "", errors.New(want)
	}
	d := Date{Year: year, Month: time.Month(month), Day: day}
	if !d.Valid() {
		return Date{}, "", errors.New("no such date in list divider")
	}
	// time.Parse would ignore the weekday; a mismatch means the page is not
	// what we think it is, so refuse rather than pick one of the two.
	if got := d.Weekday(); got != weekday {
		return Date{}, "", fmt.Errorf("list divider says %s but %02d/%02d/%04d is a %s", weekday, day, month, year, got)
	}
	// The title follows " - "; it may be missing altogether.
	after := trimLeftSpace(rest)
	if after == "" {
		return d, "", nil
	}
	if t, ok := strings.CutPrefix(after, "-"); ok {
		return d, trimSpace(t), nil
	}
	return Date{}, "", errors.New(want)
}

// parseWeekday reads an English three-letter weekday, in any case.
func parseWeekday(s string) (time.Weekday, bool) {
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if strings.EqualFold(s, wd.String()[:3]) {
			return wd, true
		}
	}
	return 0, false
}

// readNumber reads from lo to hi ASCII digits from the start of s; more
// digits than hi is a failure, not a shorter number.
func readNumber(s string, lo, hi int) (int, string, bool) {
	n, i := 0, 0
	for i < len(s) && i < hi && isDigit(s[i]) {
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i < lo || (i < len(s) && isDigit(s[i])) {
		return 0, s, false
	}
	return n, s[i:], true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// trimSpace trims Unicode white space, no-break spaces included, like
// strings.TrimSpace, whose ASCII fast path matters on indented pages.
func trimSpace(s string) string { return strings.TrimSpace(s) }

func trimLeftSpace(s string) string { return strings.TrimLeftFunc(s, unicode.IsSpace) }

// collapse trims s and turns each run of white space into one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
