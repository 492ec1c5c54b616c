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

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

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
	return &ParseError{Err: ErrNotRoster, Reason: reason, Found: oneline.Truncate(collapse(found), maxFound)}
}

func malformed(reason, found string) error {
	return &ParseError{Err: ErrMalformed, Reason: reason, Found: oneline.Truncate(collapse(found), maxFound)}
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
// Errors from reading r are returned wrapped; every other error is a
// *ParseError, html.Parse's own refusals (such as elements nested more than
// 512 deep) included, as ErrMalformed. Parse never panics. It reads all of
// r, so callers should bound untrusted input.
func Parse(r io.Reader) ([]Item, error) {
	if r == nil {
		return nil, errors.New("snapshot: Parse called with a nil reader")
	}
	// The fast path keeps what it reads, so that the tree parser can read
	// it again when the fast path declines.
	rec := &recorder{r: r}
	if items, ok := parseFast(rec); ok {
		return items, nil
	}
	return parseTree(rec.replay())
}

// recorder keeps the bytes read through it in fixed-size chunks, which,
// unlike one growing slice, are never copied again.
type recorder struct {
	r      io.Reader
	chunks [][]byte
	err    error // the first error from r, io.EOF included
}

const recordChunk = 64 << 10

func (rc *recorder) Read(p []byte) (int, error) {
	if rc.err != nil {
		return 0, rc.err
	}
	n, err := rc.r.Read(p)
	for rest := p[:n]; len(rest) > 0; {
		last := len(rc.chunks) - 1
		if last < 0 || len(rc.chunks[last]) == cap(rc.chunks[last]) {
			rc.chunks = append(rc.chunks, make([]byte, 0, recordChunk))
			last++
		}
		k := min(len(rest), cap(rc.chunks[last])-len(rc.chunks[last]))
		rc.chunks[last] = append(rc.chunks[last], rest[:k]...)
		rest = rest[k:]
	}
	rc.err = err
	return n, err
}

// replay returns a reader giving what was recorded, then what r gives or
// gave: the rest of it, or its error where it met one, so that the tree
// parser meets that error where it would have met it reading r.
func (rc *recorder) replay() io.Reader {
	readers := make([]io.Reader, 0, len(rc.chunks)+1)
	for _, c := range rc.chunks {
		readers = append(readers, bytes.NewReader(c))
	}
	switch rc.err {
	case nil:
		readers = append(readers, rc.r)
	case io.EOF:
	default:
		readers = append(readers, &failingReader{rc.err})
	}
	return io.MultiReader(readers...)
}

// failingReader replays a read error.
type failingReader struct{ err error }

func (f *failingReader) Read([]byte) (int, error) { return 0, f.err }

// parseTree is Parse built on html.Parse: the reference that parseFast must
// agree with, and what Parse falls back to for any page parseFast is not
// sure it reads as html.Parse would.
func parseTree(r io.Reader) ([]Item, error) {
	er := &errRecorder{r: r}
	doc, err := html.Parse(er)
	if err != nil {
		if er.err != nil {
			return nil, fmt.Errorf("snapshot: reading roster page: %w", err)
		}
		// html.Parse refuses some pages by itself, such as ones nested
		// deeper than it allows; no RosterOn page comes close.
		return nil, &ParseError{Err: ErrMalformed, Reason: "cannot build the HTML tree: " + err.Error()}
	}
	list, err := findList(doc)
	if err != nil {
		return nil, err
	}
	return parseList(list)
}

// errRecorder remembers whether r failed, so that Parse can tell a read
// error from html.Parse rejecting the page.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// findList returns the roster's listview <ul>.
func findList(doc *html.Node) (*html.Node, error) {
	var page *html.Node
	pages := 0
	for n := doc; n != nil; n = next(n, doc, true) {
		if isElement(n, atom.Div) && attrIs(n, "data-role", "page") {
			pages++
			if page == nil {
				page = n
			}
		}
	}
	switch {
	case pages == 0:
		return nil, notRoster(`no <div data-role="page">`, pageTitle(doc))
	case pages > 1:
		return nil, notRoster(fmt.Sprintf(`%d <div data-role="page"> elements, want one`, pages), "")
	}
	if id, ok := attr(page, "id"); ok && strings.TrimSpace(id) != rosterPageID {
		return nil, notRoster(`page id is not "`+rosterPageID+`"`, id)
	}
	content := findFirst(page, func(n *html.Node) bool {
		return isElement(n, atom.Div) && attrIs(n, "data-role", "content")
	})
	if content == nil {
		return nil, notRoster(`no <div data-role="content"> in the page`, textContent(page))
	}
	list := findFirst(content, func(n *html.Node) bool {
		return isElement(n, atom.Ul) && attrIs(n, "data-role", "listview")
	})
	if list == nil {
		return nil, notRoster(`no <ul data-role="listview"> in the content`, textContent(content))
	}
	return list, nil
}

func parseList(list *html.Node) ([]Item, error) {
	items := make([]Item, 0, countChildren(list, atom.Li))
	var (
		inDate  bool
		date    Date
		title   string
		pending []string // warnings waiting for their shift
	)
	for c := list.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.ElementNode && c.Namespace == "":
			// Handled below.
		case c.Type == html.ElementNode:
			return nil, malformed("unexpected element in the roster list", describe(c))
		case c.Type == html.TextNode:
			if trimSpace(c.Data) != "" {
				return nil, malformed("unexpected text in the roster list", c.Data)
			}
			continue
		default:
			continue // comments and the like
		}
		switch {
		case c.DataAtom == atom.Li && attrIs(c, "data-role", "list-divider"):
			if len(pending) > 0 {
				return nil, malformed("warning not followed by a shift", pending[0])
			}
			text := textContent(c)
			d, t, err := parseDivider(text)
			if err != nil {
				return nil, malformed(err.Error(), text)
			}
			inDate, date, title = true, d, t
		case c.DataAtom == atom.Li:
			if !inDate {
				return nil, malformed("shift before any date divider", describe(c))
			}
			items = append(items, Item{Date: date, Title: title, Detail: fields(c), Warnings: pending})
			pending = nil
		case c.DataAtom == atom.Table:
			if w := collapse(textContent(c)); w != "" {
				pending = append(pending, w)
			}
		case ignored(c):
		default:
			return nil, malformed("unexpected element in the roster list", describe(c))
		}
	}
	if len(pending) > 0 {
		return nil, malformed("warning not followed by a shift", pending[0])
	}
	return items, nil
}

// fields returns one Field per <p> under li, in document order.
func fields(li *html.Node) []Field {
	detail := make([]Field, 0, 4)
	for n := li.FirstChild; n != nil; n = next(n, li, true) {
		if isElement(n, atom.P) {
			if v := trimSpace(textContent(n)); v != "" {
				detail = append(detail, Text(v))
			} else {
				detail = append(detail, Field{})
			}
		}
	}
	return detail
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

// next returns the node after n in a pre-order walk of root's subtree, or
// nil at the end; descend false skips n's children. It needs no stack, so
// deeply nested pages cannot exhaust one.
func next(n, root *html.Node, descend bool) *html.Node {
	if descend && n.FirstChild != nil {
		return n.FirstChild
	}
	for ; n != root; n = n.Parent {
		if n.NextSibling != nil {
			return n.NextSibling
		}
	}
	return nil
}

func findFirst(root *html.Node, match func(*html.Node) bool) *html.Node {
	for n := root.FirstChild; n != nil; n = next(n, root, true) {
		if match(n) {
			return n
		}
	}
	return nil
}

func countChildren(n *html.Node, a atom.Atom) int {
	count := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == a {
			count++
		}
	}
	return count
}

// isElement reports whether n is the HTML element a; an SVG or MathML
// element of the same name (e.g. SVG's <title>) is not.
func isElement(n *html.Node, a atom.Atom) bool {
	return n.Type == html.ElementNode && n.DataAtom == a && n.Namespace == ""
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// attrIs compares like jQuery Mobile's selectors in practice: case and
// surrounding spaces in the value do not matter.
func attrIs(n *html.Node, key, want string) bool {
	v, ok := attr(n, key)
	return ok && strings.EqualFold(strings.TrimSpace(v), want)
}

// ignored reports the elements that hold no roster content.
func ignored(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Template, atom.Noscript:
		return true
	}
	return false
}

// textContent returns the text under n, as a browser's textContent would,
// except that a <br> gives a newline and ignored elements give nothing.
// Invalid UTF-8 becomes U+FFFD, as a browser shows it, so that what Parse
// returns survives a round trip through JSON unchanged.
func textContent(n *html.Node) string {
	// Most <p> and divider <li> hold a single text node: no copy needed.
	if c := n.FirstChild; c != nil && c.NextSibling == nil && c.Type == html.TextNode {
		return strings.ToValidUTF8(c.Data, "\uFFFD")
	}
	var b strings.Builder
	for d := n.FirstChild; d != nil; {
		descend := true
		switch d.Type {
		case html.TextNode:
			b.WriteString(d.Data)
		case html.ElementNode:
			if d.DataAtom == atom.Br {
				b.WriteByte('\n')
			}
			descend = !ignored(d)
		}
		d = next(d, n, descend)
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}

func pageTitle(doc *html.Node) string {
	if t := findFirst(doc, func(n *html.Node) bool { return isElement(n, atom.Title) }); t != nil {
		if s := trimSpace(textContent(t)); s != "" {
			return s
		}
	}
	return textContent(doc)
}

// describe names an element for an error: its start tag and its text.
func describe(n *html.Node) string {
	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(n.Data)
	for _, a := range n.Attr {
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteString(`="`)
		b.WriteString(a.Val)
		b.WriteByte('"')
		if b.Len() > 2*maxFound {
			break
		}
	}
	b.WriteByte('>')
	if b.Len() < 2*maxFound {
		if t := collapse(textContent(n)); t != "" {
			b.WriteByte(' ')
			b.WriteString(t)
		}
	}
	return b.String()
}

// trimSpace trims Unicode white space, no-break spaces included, like
// strings.TrimSpace, whose ASCII fast path matters on indented pages.
func trimSpace(s string) string { return strings.TrimSpace(s) }

func trimLeftSpace(s string) string { return strings.TrimLeftFunc(s, unicode.IsSpace) }

// collapse trims s and turns each run of white space into one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
