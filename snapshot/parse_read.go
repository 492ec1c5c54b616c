package snapshot

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/atom"
)

// maxDepth bounds the open elements, as html.Parse bounds them: no real
// page comes near it, and a page that does is refused rather than read.
const maxDepth = 512

// elem is an open element: its atom, or for a name that has none, the name.
type elem struct {
	a    atom.Atom
	name string
}

// capture collects the text of an element, as a browser's textContent
// gives it except that a <br> is a newline and <script>, <style>,
// <template> and <noscript> give nothing. A bounded capture keeps only
// enough to quote in an error.
type capture struct {
	at      int // the element's index on the stack; -1 when not capturing
	buf     []byte
	bounded bool
	full    bool // a bounded capture that holds enough
}

func (c *capture) open(at int, bounded bool) {
	c.at, c.buf, c.bounded, c.full = at, c.buf[:0], bounded, false
}

// boundedText is what a bounded capture keeps: far more than an error
// quotes (maxFound runes after white space is collapsed) unless the text
// is mostly white space, which collapses as it goes.
const boundedText = 64 * maxFound

func (c *capture) add(b []byte) {
	if c.full {
		return
	}
	c.buf = append(c.buf, b...)
	if c.bounded && len(c.buf) >= boundedText {
		// Collapse what is there, keeping an edge of white space so
		// that words on either side stay apart. Truncate keeps a
		// prefix, so once that is longer than an error quotes, the rest
		// changes nothing.
		s := collapseEdges(c.buf)
		c.buf = append(c.buf[:0], s...)
		c.full = utf8.RuneCountInString(strings.TrimSpace(s)) > maxFound+1
	}
}

// collapseEdges collapses white space in b as collapse does, but keeps one
// space at either end where b has white space there.
func collapseEdges(b []byte) string {
	s := string(b)
	out := collapse(s)
	if r, _ := utf8.DecodeRuneInString(s); len(s) > 0 && isSpaceRune(r) {
		out = " " + out
	}
	if r, _ := utf8.DecodeLastRuneInString(s); len(s) > 0 && isSpaceRune(r) && out != " " {
		out += " "
	}
	return out
}

func isSpaceRune(r rune) bool { return strings.TrimSpace(string(r)) == "" }

// openP is an open <p> of a shift, and the index of its Field.
type openP struct {
	capture
	index int
}

// childKind says what a direct child of the roster list is.
type childKind uint8

const (
	noChild childKind = iota
	dividerChild
	shiftChild
	warningChild
	ignoredChild
	badChild // an error that quotes the child, once its text is read
)

// reader reads a page in one pass over its tokens, keeping the open
// elements on a stack as the HTML tree builder would for the elements a
// roster page is made of (see ReadPage).
type reader struct {
	s     scanner
	stack []elem
	page  Page
	fatal error // a page that cannot be read at all

	skip    int // open <script>, <style>, <template>, <noscript>
	foreign int // open <svg>, <math>

	// The text quoted in errors: the whole page's, the first <title>'s,
	// the page div's and the content div's.
	docText, title, pageText, contentText capture
	titleSeen                             bool

	pages                 int
	hasID                 bool // whether the first page div has an id
	pageAt, contentAt     int  // stack index while open, else -1
	listAt                int  // the roster list's stack index while open, else -1
	contentSeen, listSeen bool

	// Validation messages: the outermost open validation-summary-errors
	// div, and the open <li> elements inside it, each read as a message.
	valAt  int
	valLis []openP // index is the message's in page.Validation

	// The roster list.
	listErr   error // the first error in the list; reading it stops there
	listDone  bool  // the list was closed, or reading it stopped
	child     childKind
	childText capture // a divider's, a warning's or a bad child's text
	childDesc string  // a bad child's start tag, for its error
	childWhy  string  // and the reason
	fields    []openP // the open <p> elements of the current shift
	spare     []byte  // a <p>'s text buffer, for the next one
	scratch   []byte  // text with its character references decoded
	details   []Field // room for the next shifts' Details
	interned  map[string]string
	inDate    bool
	date      Date
	dateTitle string
	pending   []string // warnings waiting for their shift
	items     []Item

	// copied counts the bytes of text copied into nested captures (a
	// <p> in a <p>'s field, a message's <li> in another's), which
	// budget bounds: each open one copies the same text again.
	copied, budget int
}

func newReader(src []byte) *reader {
	r := &reader{
		s:         scanner{src: src},
		stack:     make([]elem, 0, 32),
		pageAt:    -1,
		contentAt: -1,
		listAt:    -1,
		valAt:     -1,
		items:     make([]Item, 0, 16),
		budget:    2*len(src) + 1<<20,
	}
	r.docText.open(-1, true)
	r.title.at, r.pageText.at, r.contentText.at, r.childText.at = -1, -1, -1, -1
	r.docText.at = -2 // the whole document: never closed by a pop
	return r
}

func (r *reader) run() {
	for r.fatal == nil {
		switch r.s.next() {
		case eofToken:
			r.finish()
			return
		case textToken:
			r.text()
		case startToken:
			r.start()
		case endToken:
			r.end()
		}
	}
}

func (r *reader) top() atom.Atom {
	if len(r.stack) == 0 {
		return 0
	}
	return r.stack[len(r.stack)-1].a
}

// text handles a text token.
func (r *reader) text() {
	raw := r.s.text
	if r.skip > 0 {
		return
	}
	// The hot path: white space between tags, outside anything read.
	inList := r.listAt >= 0 && !r.listDone && len(r.stack) == r.listAt+1
	if !inList && r.childText.at < 0 && len(r.fields) == 0 && r.docText.at != -2 &&
		r.pageText.at < 0 && r.contentText.at < 0 && r.title.at < 0 && len(r.valLis) == 0 {
		return
	}
	var t []byte
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 && bytes.IndexByte(raw, 0) < 0 {
		t = raw
	} else {
		// NUL is U+FFFD in raw text, <title> and foreign content; the
		// tree builder drops it from other text.
		plain := !r.s.rawTok && !r.s.rcTok && r.foreign == 0
		t = decodeBytes(r.scratch[:0], raw, !r.s.rawTok, plain)
		r.scratch = t
	}
	if inList && r.child == noChild {
		if trimSpace(string(t)) != "" {
			r.listError(malformed("unexpected text in the roster list", string(t)))
		}
		return
	}
	r.addText(t)
}

func (r *reader) addText(t []byte) {
	if r.docText.at == -2 {
		r.docText.add(t)
		if r.docText.full {
			r.docText.at = -3 // enough
		}
	}
	for _, c := range []*capture{&r.title, &r.pageText, &r.contentText, &r.childText} {
		if c.at >= 0 {
			c.add(t)
		}
	}
	for i := range r.valLis {
		r.valLis[i].add(t)
	}
	for i := range r.fields {
		r.fields[i].add(t)
	}
	// Every field and message copies the text: nested ones copy it
	// again, and a page could nest hundreds to make a read of a few
	// megabytes take gigabytes. No page of RosterOn's comes near twice
	// its size.
	if n := len(r.valLis) + len(r.fields); n > 1 {
		r.copied += (n - 1) * len(t)
		if r.copied > r.budget && r.fatal == nil {
			r.fatal = &ParseError{Err: ErrMalformed, Reason: "cannot read the page: its fields nest so deep that their text would take many times the page's size"}
		}
	}
}

// isVoid reports the elements that have no end tag and no content.
func isVoid(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Basefont, atom.Bgsound, atom.Br, atom.Col, atom.Embed, atom.Frame,
		atom.Hr, atom.Img, atom.Input, atom.Keygen, atom.Link, atom.Meta, atom.Param, atom.Source,
		atom.Track, atom.Wbr:
		return true
	}
	return false
}

// ignored reports the elements whose text is no part of any text read.
func ignored(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Template, atom.Noscript:
		return true
	}
	return false
}

// special reports HTML's "special" elements, which an end tag for another
// element does not close.
func special(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Applet, atom.Area, atom.Article, atom.Aside, atom.Base, atom.Basefont,
		atom.Bgsound, atom.Blockquote, atom.Body, atom.Br, atom.Button, atom.Caption, atom.Center,
		atom.Col, atom.Colgroup, atom.Dd, atom.Details, atom.Dir, atom.Div, atom.Dl, atom.Dt,
		atom.Embed, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form, atom.Frame,
		atom.Frameset, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Head, atom.Header,
		atom.Hgroup, atom.Hr, atom.Html, atom.Iframe, atom.Img, atom.Input, atom.Keygen, atom.Li,
		atom.Link, atom.Listing, atom.Main, atom.Marquee, atom.Menu, atom.Meta, atom.Nav,
		atom.Noembed, atom.Noframes, atom.Noscript, atom.Object, atom.Ol, atom.P, atom.Param,
		atom.Plaintext, atom.Pre, atom.Script, atom.Search, atom.Section, atom.Select, atom.Source,
		atom.Style, atom.Summary, atom.Table, atom.Tbody, atom.Td, atom.Template, atom.Textarea,
		atom.Tfoot, atom.Th, atom.Thead, atom.Title, atom.Tr, atom.Track, atom.Ul, atom.Wbr, atom.Xmp:
		return true
	}
	return false
}

// closesP reports the start tags that close an open <p> first.
func closesP(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Details,
		atom.Dialog, atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure,
		atom.Footer, atom.Header, atom.Hgroup, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P,
		atom.Search, atom.Section, atom.Summary, atom.Ul, atom.H1, atom.H2, atom.H3, atom.H4,
		atom.H5, atom.H6, atom.Pre, atom.Listing, atom.Form, atom.Plaintext, atom.Xmp,
		atom.Table, atom.Hr, atom.Li, atom.Dd, atom.Dt:
		return true
	}
	return false
}

func isHeading(a atom.Atom) bool {
	switch a {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

// Scopes, as HTML defines them: the elements that stop a search of the
// stack for an element "in scope".
type scope uint8

const (
	defaultScope scope = iota
	listItemScope
	buttonScope
	tableScope
)

func (sc scope) stops(a atom.Atom) bool {
	switch a {
	case atom.Html, atom.Table, atom.Template:
		return true
	case atom.Applet, atom.Caption, atom.Td, atom.Th, atom.Marquee, atom.Object:
		return sc != tableScope
	case atom.Ol, atom.Ul:
		return sc == listItemScope
	case atom.Button:
		return sc == buttonScope
	}
	return false
}

// inScope returns the stack index of the innermost element matching in
// scope sc, or -1.
func (r *reader) inScope(sc scope, match func(atom.Atom) bool) int {
	for i := len(r.stack) - 1; i >= 0; i-- {
		a := r.stack[i].a
		if match(a) {
			return i
		}
		if sc.stops(a) {
			return -1
		}
	}
	return -1
}

func is(want atom.Atom) func(atom.Atom) bool { return func(a atom.Atom) bool { return a == want } }

func isCell(a atom.Atom) bool { return a == atom.Td || a == atom.Th }

func isRowGroup(a atom.Atom) bool { return a == atom.Tbody || a == atom.Thead || a == atom.Tfoot }

// popTo closes the elements down to and including the one at index i.
func (r *reader) popTo(i int) {
	for len(r.stack) > i && r.fatal == nil {
		r.pop()
	}
}

// start handles a start tag.
func (r *reader) start() {
	a := r.s.tag
	switch a {
	case atom.Html, atom.Head, atom.Body, atom.Frameset, atom.Frame:
		// Never on the stack: where they are changes nothing read. (A
		// <frameset> before any content replaces the page with frames,
		// which no RosterOn page does; after, it is ignored.)
		return
	case atom.Br:
		r.addText([]byte{'\n'})
		r.voidChild(a)
		return
	}
	if isVoid(a) {
		if a == atom.Hr {
			r.closeP()
		}
		r.voidChild(a)
		return
	}
	if r.s.self && (r.foreign > 0 || a == atom.Svg || a == atom.Math) {
		return // <svg/>, and <path/> and the like inside it: empty elements
	}
	// The tree builder's rules for the elements a roster page has, in
	// the order it applies them.
	switch {
	case a == atom.Li:
		r.closeItem(func(x atom.Atom) bool { return x == atom.Li })
	case a == atom.Dd || a == atom.Dt:
		r.closeItem(func(x atom.Atom) bool { return x == atom.Dd || x == atom.Dt })
	case isCell(a) || a == atom.Tr || isRowGroup(a) || a == atom.Caption || a == atom.Col || a == atom.Colgroup:
		if r.inScope(tableScope, is(atom.Table)) < 0 {
			return // outside a table the tree builder drops them
		}
		if i := r.inScope(tableScope, isCell); i >= 0 {
			r.popTo(i)
		}
		switch {
		case a == atom.Tr:
			if i := r.inScope(tableScope, is(atom.Tr)); i >= 0 {
				r.popTo(i)
			}
		case isRowGroup(a) || a == atom.Caption || a == atom.Colgroup:
			if i := r.inScope(tableScope, func(x atom.Atom) bool { return x == atom.Tr || isRowGroup(x) }); i >= 0 {
				r.popTo(i)
			}
		}
		// What is still open above the table's own structure (a <p>
		// between rows, say) is closed: a browser moves it out of the
		// table, and it must not take the next cells' text.
		for len(r.stack) > 0 && r.fatal == nil {
			top := r.top()
			if top == atom.Table || isRowGroup(top) || top == atom.Tr && (isCell(a) || a == atom.Caption) {
				break
			}
			r.pop()
		}
	case a == atom.Table:
		// A table straight inside a table (not in a cell) ends it.
		if i := r.inScope(defaultScope, is(atom.Table)); i >= 0 {
			r.popTo(i)
		}
	}
	if closesP(a) {
		r.closeP()
	}
	if isHeading(a) && isHeading(r.top()) {
		r.pop()
	}
	if r.fatal != nil {
		return
	}
	r.push(a)
}

// closeP closes an open <p> in button scope.
func (r *reader) closeP() {
	if i := r.inScope(buttonScope, is(atom.P)); i >= 0 {
		r.popTo(i)
	}
}

// closeItem closes an open <li> (or <dd>, <dt>) before another opens.
func (r *reader) closeItem(match func(atom.Atom) bool) {
	for i := len(r.stack) - 1; i >= 0; i-- {
		a := r.stack[i].a
		if match(a) {
			r.popTo(i)
			return
		}
		if special(a) && a != atom.Address && a != atom.Div && a != atom.P {
			return
		}
	}
}

// end handles an end tag.
func (r *reader) end() {
	a := r.s.tag
	var i int
	switch {
	case a == atom.Html || a == atom.Head || a == atom.Body || a == atom.Frameset || a == atom.Frame:
		return
	case a == atom.Br:
		// </br> is a <br>.
		r.addText([]byte{'\n'})
		r.voidChild(a)
		return
	case a == atom.P:
		if i = r.inScope(buttonScope, is(atom.P)); i < 0 {
			// A </p> with no <p> open makes an empty one.
			r.push(atom.P)
			i = len(r.stack) - 1
		}
	case a == atom.Li:
		i = r.inScope(listItemScope, is(atom.Li))
	case a == atom.Dd || a == atom.Dt:
		i = r.inScope(defaultScope, is(a))
	case isHeading(a):
		i = r.inScope(defaultScope, isHeading)
	case a == atom.Table || isRowGroup(a) || a == atom.Tr || isCell(a) || a == atom.Caption:
		i = r.inScope(tableScope, is(a))
	case special(a):
		i = r.inScope(defaultScope, is(a))
	default:
		// Any other end tag closes the innermost element of its name,
		// unless a special element is open inside that.
		i = -1
		for k := len(r.stack) - 1; k >= 0; k-- {
			e := r.stack[k]
			if e.a == a && (a != 0 || e.name == string(r.s.name)) {
				i = k
				break
			}
			if special(e.a) {
				break
			}
		}
	}
	if i >= 0 {
		r.popTo(i)
	}
}

// push opens an element, and sees what it is to the roster.
func (r *reader) push(a atom.Atom) {
	if len(r.stack) >= maxDepth {
		r.fatal = &ParseError{Err: ErrMalformed, Reason: fmt.Sprintf("cannot build the HTML tree: elements nested more than %d deep", maxDepth)}
		return
	}
	at := len(r.stack)
	e := elem{a: a}
	if a == 0 {
		e.name = string(r.s.name)
	}
	switch {
	case ignored(a):
		r.skip++
	case a == atom.Svg || a == atom.Math:
		r.foreign++
	case a == atom.Title && !r.titleSeen && r.foreign == 0:
		r.titleSeen = true
		r.title.open(at, false)
	case a == atom.Div:
		r.div(at)
	case a == atom.Ul && !r.listSeen && r.contentAt >= 0 && r.s.attrIs("data-role", "listview"):
		r.listSeen = true
		r.page.List = true
		r.listAt = at
		r.stack = append(r.stack, e)
		return
	case a == atom.Li && r.valAt >= 0:
		// Every <li>, nested ones too, in the order they open: a
		// message's place is kept until its text is read.
		r.page.Validation = append(r.page.Validation, "")
		r.valLis = append(r.valLis, openP{index: len(r.page.Validation) - 1})
		r.valLis[len(r.valLis)-1].open(at, false)
	}
	if a == atom.Li && r.listAt >= 0 && !r.page.Shifts && !r.s.attrIs("data-role", "list-divider") {
		r.page.Shifts = true
	}
	if a == atom.Li && r.listSeen && r.listAt < 0 && r.listErr == nil && r.pageAt >= 0 {
		// The list was closed early (a stray </ul>, say): the roster
		// goes on outside it, and must not be cut short in silence. An
		// item of another list is that list's.
		if r.s.attrIs("data-role", "list-divider") {
			r.listErr = malformed("list divider after the end of the roster list", r.describeTag())
		} else if !r.inList(0, at) {
			r.listErr = malformed("shift after the end of the roster list", r.describeTag())
		}
	}
	if r.listAt >= 0 && !r.listDone {
		if a == atom.Li && r.skip > 0 {
			// A <template> (left open, say) would hide shifts.
			r.listError(malformed("list item inside a <template> in the roster list", r.describeTag()))
		} else if a == atom.Li && at > r.listAt+1 && r.child != shiftChild && r.child != badChild {
			// A divider, warning or <template> left open, or a list
			// inside one, would hide the shifts that follow in it.
			r.listError(malformed("list item inside "+r.childName()+" in the roster list", r.describeTag()))
		} else if a == atom.Li && at > r.listAt+1 && r.child == shiftChild {
			r.itemInShift(at)
		} else if at == r.listAt+1 {
			r.listChild(a, at)
		} else if a == atom.P && r.child == shiftChild && r.skip == 0 {
			last := &r.items[len(r.items)-1]
			last.Detail = append(last.Detail, Field{})
			r.fields = append(r.fields, openP{index: len(last.Detail) - 1})
			f := &r.fields[len(r.fields)-1]
			f.buf = r.spare
			r.spare = nil
			f.open(at, false)
		}
	}
	r.stack = append(r.stack, e)
}

// inList reports whether a list (<ul>, <ol> or <menu>) is open at a stack
// index from i up to but not including j.
func (r *reader) inList(i, j int) bool {
	for _, e := range r.stack[i:j] {
		if e.a == atom.Ul || e.a == atom.Ol || e.a == atom.Menu {
			return true
		}
	}
	return false
}

// itemInShift checks an <li> opening at stack index at inside a shift. A
// divider anywhere in a shift, or any item with no list of its own around
// it, is an error: it is what an element left open in the shift (a
// <table>, say) makes of the roster's next dates and shifts, which a
// browser, too, nests inside the shift.
func (r *reader) itemInShift(at int) {
	divider := r.s.attrIs("data-role", "list-divider")
	if !divider && r.inList(r.listAt+2, at) {
		return // an item of a list inside the shift: the shift's own
	}
	// Name the element that keeps the shift open: the outermost between
	// the shift's <li> and this one that an <li> does not close through.
	open := r.stack[at-1]
	for _, e := range r.stack[r.listAt+2 : at] {
		if special(e.a) && e.a != atom.Address && e.a != atom.Div && e.a != atom.P {
			open = e
			break
		}
	}
	name := open.name
	switch open.a {
	case 0:
	case textElem:
		name = "text"
	default:
		name = open.a.String()
	}
	what := "list item"
	if divider {
		what = "list divider"
	}
	reason := fmt.Sprintf("%s inside a shift's <%s>", what, name)
	if open.a != atom.Ul && open.a != atom.Ol && open.a != atom.Menu {
		reason += ", not closed before it"
	}
	r.listError(malformed(reason, r.describeTag()))
}

// voidChild handles an element without content straight in the list.
func (r *reader) voidChild(a atom.Atom) {
	if r.listAt >= 0 && !r.listDone && len(r.stack) == r.listAt+1 {
		r.listChild(a, len(r.stack))
		r.closeChild()
	}
}

// div sees whether a <div> is the page, its content or a validation
// summary.
func (r *reader) div(at int) {
	switch {
	case r.s.attrIs("data-role", "page"):
		r.pages++
		r.docText.at = -3 // quoted only when there is no page
		if r.pages == 1 {
			r.page.ID, r.hasID = r.s.attr("id")
			r.pageAt = at
			r.pageText.open(at, true)
		}
	case !r.contentSeen && r.pageAt >= 0 && r.s.attrIs("data-role", "content"):
		r.contentSeen = true
		r.contentAt = at
		r.contentText.open(at, true)
	}
	if r.valAt < 0 {
		if class, ok := r.s.attr("class"); ok && strings.Contains(" "+class+" ", " validation-summary-errors ") {
			r.valAt = at
		}
	}
}

// listChild starts reading a direct child of the roster list.
func (r *reader) listChild(a atom.Atom, at int) {
	switch {
	case a == atom.Li && r.s.attrIs("data-role", "list-divider"):
		if len(r.pending) > 0 {
			r.listError(malformed("warning not followed by a shift", r.pending[0]))
			return
		}
		r.child = dividerChild
		r.childText.open(at, false)
	case a == atom.Li:
		if !r.inDate {
			r.badChild(at, "shift before any date divider")
			return
		}
		r.items = append(r.items, Item{Date: r.date, Title: r.dateTitle, Detail: r.detail(), Warnings: r.pending})
		r.pending = nil
		r.child = shiftChild
	case a == atom.Table:
		r.child = warningChild
		r.childText.open(at, false)
	case ignored(a):
		r.child = ignoredChild
	default:
		r.badChild(at, "unexpected element in the roster list")
	}
}

// childName names the kind of the list's current child for an error.
func (r *reader) childName() string {
	switch r.child {
	case dividerChild:
		return "a list divider"
	case warningChild:
		return "a warning"
	}
	return "an element that is not read"
}

// badChild starts reading a child that is an error, to quote its text.
func (r *reader) badChild(at int, why string) {
	r.child = badChild
	r.childWhy = why
	r.childDesc = r.describeTag()
	r.childText.open(at, true)
}

// describeTag names the current start tag for an error.
func (r *reader) describeTag() string {
	var b strings.Builder
	b.WriteByte('<')
	b.Write(r.s.name)
	for _, a := range r.s.attrs {
		b.WriteByte(' ')
		b.Write(bytes.ToLower(a.key))
		b.WriteString(`="`)
		b.WriteString(decode(a.val))
		b.WriteByte('"')
		if b.Len() > 2*maxFound {
			break
		}
	}
	b.WriteByte('>')
	return b.String()
}

// listError records the first error in the list and stops reading it.
func (r *reader) listError(err error) {
	if r.listErr == nil {
		r.listErr = err
	}
	r.listDone = true
	r.child = noChild
	r.childText.at = -1
	r.fields = r.fields[:0]
}

// pop closes the innermost open element, finishing whatever is read from
// it.
func (r *reader) pop() {
	i := len(r.stack) - 1
	a := r.stack[i].a
	r.stack = r.stack[:i]
	switch {
	case ignored(a):
		r.skip--
	case a == atom.Svg || a == atom.Math:
		r.foreign--
	}
	if n := len(r.fields); n > 0 && r.fields[n-1].at == i {
		f := &r.fields[n-1]
		r.items[len(r.items)-1].Detail[f.index] = r.fieldOf(f.buf)
		r.spare = f.buf[:0] // for the next <p>
		r.fields = r.fields[:n-1]
	}
	if n := len(r.valLis); n > 0 && r.valLis[n-1].at == i {
		v := &r.valLis[n-1]
		if msg := collapse(validUTF8(v.buf)); msg != "" {
			r.page.Validation[v.index] = msg
		} else {
			// No message: its place goes. The items after it are
			// inside it, and already read.
			r.page.Validation = append(r.page.Validation[:v.index], r.page.Validation[v.index+1:]...)
		}
		r.valLis = r.valLis[:n-1]
	}
	switch i {
	case r.title.at:
		r.title.at = -1
		r.page.Title = collapse(validUTF8(r.title.buf))
	case r.valAt:
		r.valAt = -1
	}
	if r.listAt >= 0 && !r.listDone {
		switch i {
		case r.listAt + 1:
			r.closeChild()
		case r.listAt:
			r.closeList()
		}
	}
	switch i {
	case r.listAt:
		r.listAt = -1
	case r.contentAt:
		r.contentAt = -1
		r.contentText.at = -1
	case r.pageAt:
		r.pageAt = -1
		r.pageText.at = -1
	}
}

// closeChild finishes the list's current child.
func (r *reader) closeChild() {
	k := r.child
	r.child = noChild
	r.fields = r.fields[:0]
	text := r.childText.buf
	r.childText.at = -1
	switch k {
	case dividerChild:
		t := validUTF8(text)
		d, title, err := parseDivider(t)
		if err != nil {
			r.listError(malformed(err.Error(), t))
			return
		}
		r.inDate, r.date, r.dateTitle = true, d, title
	case warningChild:
		if w := collapse(validUTF8(text)); w != "" {
			r.pending = append(r.pending, w)
		}
	case badChild:
		found := r.childDesc
		if len(found) < 2*maxFound {
			if t := collapse(validUTF8(text)); t != "" {
				found += " " + t
			}
		}
		r.listError(malformed(r.childWhy, found))
	}
}

// closeList finishes the list.
func (r *reader) closeList() {
	if len(r.pending) > 0 {
		r.listError(malformed("warning not followed by a shift", r.pending[0]))
		return
	}
	r.listDone = true
}

// finish closes what the end of the page leaves open and decides whether
// the page is a roster, in the order of the checks Parse documents.
func (r *reader) finish() {
	for len(r.stack) > 0 {
		r.pop()
	}
	p := &r.page
	if len(p.Validation) == 0 {
		p.Validation = nil
	}
	switch {
	case r.pages == 0:
		found := p.Title
		if strings.TrimSpace(found) == "" {
			found = validUTF8(r.docText.buf)
		}
		p.Err = notRoster(`no <div data-role="page">`, found)
	case r.pages > 1:
		p.Err = notRoster(fmt.Sprintf(`%d <div data-role="page"> elements, want one`, r.pages), "")
	case r.hasID && strings.TrimSpace(p.ID) != rosterPageID:
		p.Err = notRoster(`page id is not "`+rosterPageID+`"`, p.ID)
	case !r.contentSeen:
		p.Err = notRoster(`no <div data-role="content"> in the page`, validUTF8(r.pageText.buf))
	case !r.listSeen:
		p.Err = notRoster(`no <ul data-role="listview"> in the content`, validUTF8(r.contentText.buf))
	case r.listErr != nil:
		p.Err = r.listErr
	default:
		p.Items = r.items
	}
}

func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// detailRoom is how many Fields a shift's Detail has room for before it
// grows: RosterOn's shifts have four.
const detailRoom = 4

// detail returns an empty Detail for a new shift, with room for
// detailRoom Fields, cut from a block shared by the next shifts: one
// allocation for many shifts rather than one each. A Detail that
// outgrows its room is copied elsewhere by append, as any slice is.
func (r *reader) detail() []Field {
	if len(r.details) < detailRoom {
		r.details = make([]Field, 64*detailRoom)
	}
	d := r.details[:0:detailRoom]
	r.details = r.details[detailRoom:]
	return d
}

// maxInterned bounds the distinct field texts a page's read shares.
const maxInterned = 4096

// fieldOf is the Field of a <p> whose text is b. A roster repeats its
// texts (times, places, roles) from shift to shift; they are shared
// rather than each made anew.
func (r *reader) fieldOf(b []byte) Field {
	if utf8.Valid(b) {
		v := bytes.TrimSpace(b)
		if len(v) == 0 {
			return Field{}
		}
		if s, ok := r.interned[string(v)]; ok {
			return Text(s)
		}
		s := string(v)
		if r.interned == nil {
			r.interned = make(map[string]string, 64)
		}
		if len(r.interned) < maxInterned {
			r.interned[s] = s
		}
		return Text(s)
	}
	if v := trimSpace(strings.ToValidUTF8(string(b), "\uFFFD")); v != "" {
		return Text(v)
	}
	return Field{}
}
