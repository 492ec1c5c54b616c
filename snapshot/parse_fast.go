package snapshot

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// parseFast reads a roster page from its tokens, without building the tree
// that html.Parse would: on a large roster the tree costs most of Parse's
// time and nearly all of its allocations.
//
// It is exact only for a deliberately small subset of HTML, the one that
// RosterOn's and the mock server's roster pages are written in: where the
// tree html.Parse builds is the plain nesting of start and end tags (plus a
// <tbody> around bare <tr>s, which nothing Parse reads depends on). It keeps
// its own stack of open elements and declines, returning ok false, as soon
// as a token could make the HTML5 tree differ from that nesting: an end tag
// that does not close the current element (implied and stray end tags), a
// start tag that would close an open <p> or <li>, content that table
// parsing would move out of a table, foreign content, a self-closing tag
// that is not void, NUL bytes, deep nesting, any element outside a short
// list, and so on. It also declines every page that Parse would reject, so
// that each error comes from the tree parser, word for word.
//
// Parse then reads the page again with parseTree, so parseFast may be as
// cautious as it likes: declining costs time, never correctness. What it
// must never do is accept a page and return anything other than what
// parseTree would; FuzzParseAgreement checks exactly that.
func parseFast(r io.Reader) ([]Item, bool) {
	p := fastParser{
		z:         html.NewTokenizer(r),
		pageAt:    -1,
		contentAt: -1,
		listAt:    -1,
		pAt:       -1,
		items:     make([]Item, 0, 16),
	}
	for {
		var ok bool
		switch p.z.Next() {
		case html.ErrorToken:
			if p.z.Err() != io.EOF {
				return nil, false // parseTree reports read errors
			}
			return p.finish()
		case html.TextToken:
			ok = p.text()
		case html.StartTagToken:
			ok = p.startTag(false)
		case html.SelfClosingTagToken:
			ok = p.startTag(true)
		case html.EndTagToken:
			ok = p.endTag()
		default:
			// Comments and doctypes: Parse ignores comments wherever
			// the tree puts them, and a doctype's only effect (quirks
			// mode lets <table> leave a <p> open) is declined anyway.
			ok = true
		}
		if !ok {
			return nil, false
		}
	}
}

// maxFastDepth is far above any real page and well below html.Parse's own
// limit of 512 open elements, which parseTree must be the one to report.
const maxFastDepth = 256

// childKind says what a direct child of the roster list is.
type childKind uint8

const (
	noChild childKind = iota
	dividerChild
	shiftChild
	warningChild
	ignoredChild // <script> or <style>
)

type fastParser struct {
	z *html.Tokenizer
	// stack holds the open elements inside <html>, <head> and <body>,
	// which are left out: where the tree puts those three (and what it
	// merges into them) changes nothing Parse reads. A <tbody> the tree
	// would insert is pushed as if it had been written.
	stack []atom.Atom
	nP    int // <p> elements in stack

	pages                 int
	pageAt, contentAt     int // stack index while open, else -1
	listAt                int // stack index of the roster list while open, else -1
	contentSeen, listSeen bool
	child                 childKind // the list's open direct child, at listAt+1
	pAt                   int       // stack index of a shift's open <p>, else -1
	collecting            bool      // whether text goes to buf
	buf                   []byte    // text of the open divider, warning or <p>
	inDate                bool
	date                  Date
	title                 string
	pending               []string // warnings waiting for their shift
	items                 []Item
}

func (p *fastParser) top() atom.Atom {
	if len(p.stack) == 0 {
		return 0
	}
	return p.stack[len(p.stack)-1]
}

// inTable reports whether the tree builder is in one of its table modes,
// where only table structure is inserted in place.
func inTable(a atom.Atom) bool {
	return a == atom.Table || a == atom.Tbody || a == atom.Tr
}

// pInButtonScope is the HTML5 test for whether a start tag such as <div>
// would close an open <p>, for the elements parseFast lets on the stack.
func (p *fastParser) pInButtonScope() bool {
	if p.nP == 0 {
		return false
	}
	for i := len(p.stack) - 1; i >= 0; i-- {
		switch p.stack[i] {
		case atom.P:
			return true
		case atom.Table, atom.Td, atom.Th:
			return false
		}
	}
	return false
}

// liWouldClose is the HTML5 test for whether an <li> start tag would close
// an open <li>, for the elements parseFast lets on the stack.
func (p *fastParser) liWouldClose() bool {
	for i := len(p.stack) - 1; i >= 0; i-- {
		switch a := p.stack[i]; {
		case a == atom.Li:
			return true
		case a == atom.Div || a == atom.P:
		case special(a):
			return false
		}
	}
	return false
}

// special reports the HTML5 "special" elements among those parseFast
// lets on the stack.
func special(a atom.Atom) bool {
	switch a {
	case atom.Ul, atom.Li, atom.Div, atom.P, atom.Table, atom.Tbody, atom.Tr, atom.Td, atom.Th,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Script, atom.Style, atom.Title:
		return true
	}
	return false
}

// textElem stands for <text>, which RosterOn wraps warnings in but which is
// no atom (html.Parse gives it DataAtom 0). Atoms pack an offset and a
// length into their low bits; no real one comes near this value.
const textElem atom.Atom = 1<<32 - 1

// tagAtom returns the atom of the current tag token's name, or textElem,
// or 0 for any other name. It reads the name from Raw as the tokenizer's
// readTagName delimits it, because TagName copies it on every call and a
// roster page has tens of thousands of tags.
func (p *fastParser) tagAtom(end bool) atom.Atom {
	raw := p.z.Raw()
	start := 1 // after "<"
	if end {
		start = 2 // after "</"
	}
	var name [16]byte // longer than any name parseFast accepts
	n := 0
	for i := start; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case ' ', '\n', '\r', '\t', '\f', '/', '>':
			i = len(raw)
			continue
		}
		if n == len(name) {
			return 0
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		name[n] = c
		n++
	}
	if a := atom.Lookup(name[:n]); a != 0 {
		return a
	}
	if string(name[:n]) == "text" {
		return textElem
	}
	return 0
}

func isHeading(a atom.Atom) bool {
	switch a {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

func (p *fastParser) startTag(selfClosing bool) bool {
	a := p.tagAtom(false)
	void := a == atom.Br || a == atom.Img || a == atom.Meta || a == atom.Link || a == atom.Base
	if selfClosing && !void {
		// html.Parse ignores the slash on HTML elements, but the
		// tokenizer may not have switched to raw text as it would for
		// the start tag: too odd to follow.
		return false
	}
	if len(p.stack) >= maxFastDepth {
		return false
	}
	top := p.top()
	if inTable(top) {
		// Anything but table structure would be foster-parented out
		// of the table.
		switch {
		case a == atom.Tbody && top == atom.Table:
			p.push(atom.Tbody)
		case a == atom.Tr && top == atom.Table:
			p.push(atom.Tbody)
			p.push(atom.Tr)
		case a == atom.Tr && top == atom.Tbody:
			p.push(atom.Tr)
		case (a == atom.Td || a == atom.Th) && top == atom.Tr:
			p.push(a)
		default:
			return false
		}
		return true
	}

	atList := p.listAt >= 0 && len(p.stack) == p.listAt+1
	switch a {
	case atom.Html, atom.Head, atom.Body:
		// Opens one of the three, or merges attributes into it, or is
		// ignored: never an element among those on the stack.
		return true
	case atom.Div, atom.Ul:
		if p.pInButtonScope() || atList {
			return false
		}
		return p.container(a)
	case atom.Li:
		if p.liWouldClose() || p.pInButtonScope() {
			return false
		}
		if atList {
			return p.listItem()
		}
		p.push(a)
	case atom.Table:
		if p.pInButtonScope() {
			return false
		}
		if atList {
			p.openChild(warningChild, true)
		}
		p.push(a)
	case atom.P:
		// A <p> inside another (possible across a table cell) would
		// make one field hold another's text; not worth following.
		if p.nP > 0 || atList {
			return false
		}
		if p.child == shiftChild {
			p.pAt = len(p.stack)
			p.collecting = true
			p.buf = p.buf[:0]
		}
		p.push(a)
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		if p.pInButtonScope() || isHeading(top) || atList {
			return false
		}
		p.push(a)
	case atom.A:
		// A second <a> would run the adoption agency algorithm.
		for _, e := range p.stack {
			if e == atom.A {
				return false
			}
		}
		fallthrough
	case atom.B, atom.I, atom.Em, atom.Strong, atom.Small, atom.U, atom.Font, atom.Span, textElem, atom.Label:
		// Formatting elements are safe while every one of them is
		// closed by its own end tag: then the list of active
		// formatting elements never holds one that is not open, and
		// nothing is reconstructed.
		if atList {
			return false
		}
		p.push(a)
	case atom.Script, atom.Style:
		// The tokenizer reads their content as raw text, as html.Parse
		// does; textContent skips it.
		if atList {
			p.openChild(ignoredChild, false)
		}
		p.push(a)
	case atom.Title:
		// Only where it cannot be part of any text Parse reads.
		if len(p.stack) > 0 {
			return false
		}
		p.push(a)
	case atom.Br:
		if atList {
			return false
		}
		if p.collecting {
			p.buf = append(p.buf, '\n')
		}
	case atom.Img, atom.Meta, atom.Link, atom.Base:
		if atList {
			return false
		}
	default:
		return false
	}
	return true
}

// container handles <div> and <ul>, which may be the page, its content or
// the roster list.
func (p *fastParser) container(a atom.Atom) bool {
	var role, id []byte
	hasRole, hasID := false, false
	for more := true; more; { // TagAttr gives a nil key when there is none
		var k, v []byte
		k, v, more = p.z.TagAttr()
		switch {
		case !hasRole && string(k) == "data-role":
			role, hasRole = v, true
		case !hasID && string(k) == "id":
			id, hasID = v, true
		}
	}
	if hasRole {
		role = bytes.TrimSpace(role)
	}
	switch {
	case a == atom.Div && hasRole && bytes.EqualFold(role, []byte("page")):
		p.pages++
		if p.pages > 1 || hasID && string(bytes.TrimSpace(id)) != rosterPageID {
			return false
		}
		p.pageAt = len(p.stack)
	case a == atom.Div && hasRole && !p.contentSeen && p.pageAt >= 0 && bytes.EqualFold(role, []byte("content")):
		p.contentSeen = true
		p.contentAt = len(p.stack)
	case a == atom.Ul && hasRole && !p.listSeen && p.contentAt >= 0 && bytes.EqualFold(role, []byte("listview")):
		p.listSeen = true
		p.listAt = len(p.stack)
	}
	p.push(a)
	return true
}

// listItem handles an <li> straight inside the roster list.
func (p *fastParser) listItem() bool {
	divider := false
	for more := true; more; { // TagAttr gives a nil key when there is none
		var k, v []byte
		k, v, more = p.z.TagAttr()
		if string(k) == "data-role" {
			divider = bytes.EqualFold(bytes.TrimSpace(v), []byte("list-divider"))
			break
		}
	}
	switch {
	case divider:
		if len(p.pending) > 0 {
			return false
		}
		p.openChild(dividerChild, true)
	case !p.inDate:
		return false
	default:
		p.items = append(p.items, Item{Date: p.date, Title: p.title, Detail: make([]Field, 0, 4), Warnings: p.pending})
		p.pending = nil
		p.openChild(shiftChild, false)
	}
	p.push(atom.Li)
	return true
}

func (p *fastParser) openChild(k childKind, collect bool) {
	p.child = k
	p.collecting = collect
	p.buf = p.buf[:0]
}

func (p *fastParser) push(a atom.Atom) {
	if a == atom.P {
		p.nP++
	}
	p.stack = append(p.stack, a)
}

func (p *fastParser) endTag() bool {
	a := p.tagAtom(true)
	top := p.top()
	switch {
	case a == atom.Html || a == atom.Head || a == atom.Body:
		// Outside table modes these close nothing on the stack: the
		// tree builder either ignores them or switches to "after
		// body", whose content goes where it would have gone anyway.
		return !inTable(top)
	case a == 0 || len(p.stack) == 0:
		return false
	case a == top:
		return p.pop()
	case a == atom.Table && top == atom.Tbody && len(p.stack) >= 2 && p.stack[len(p.stack)-2] == atom.Table:
		// The implied tbody closes first, then the table itself.
		if !p.pop() {
			return false
		}
		return p.pop()
	}
	// Any other end tag closes elements implicitly, or is ignored, or
	// (</p>, </br>) creates one.
	return false
}

// pop closes the current element, finishing whatever Parse reads from it.
func (p *fastParser) pop() bool {
	i := len(p.stack) - 1
	if p.stack[i] == atom.P {
		p.nP--
	}
	p.stack = p.stack[:i]
	// The indexes are of distinct elements, or -1.
	switch {
	case i == p.pAt:
		p.pAt = -1
		p.collecting = false
		last := &p.items[len(p.items)-1]
		last.Detail = append(last.Detail, p.field())
	case p.listAt >= 0 && i == p.listAt+1:
		return p.closeChild()
	case i == p.listAt:
		p.listAt = -1
		if len(p.pending) > 0 {
			return false // a warning with no shift: an error
		}
	case i == p.contentAt:
		p.contentAt = -1
	case i == p.pageAt:
		p.pageAt = -1
	}
	return true
}

func (p *fastParser) closeChild() bool {
	k := p.child
	p.child, p.collecting = noChild, false
	switch k {
	case dividerChild:
		d, t, err := parseDivider(p.bufText())
		if err != nil {
			return false
		}
		p.inDate, p.date, p.title = true, d, t
	case warningChild:
		if w := collapse(p.bufText()); w != "" {
			p.pending = append(p.pending, w)
		}
	}
	return true
}

// bufText is textContent's result for the text in buf.
func (p *fastParser) bufText() string {
	if utf8.Valid(p.buf) {
		return string(p.buf)
	}
	return strings.ToValidUTF8(string(p.buf), "\uFFFD")
}

// field is the Field of the <p> whose text is in buf.
func (p *fastParser) field() Field {
	if utf8.Valid(p.buf) {
		if v := bytes.TrimSpace(p.buf); len(v) > 0 {
			return Text(string(v))
		}
		return Field{}
	}
	if v := trimSpace(strings.ToValidUTF8(string(p.buf), "\uFFFD")); v != "" {
		return Text(v)
	}
	return Field{}
}

func (p *fastParser) text() bool {
	top := p.top()
	atList := p.listAt >= 0 && len(p.stack) == p.listAt+1
	switch {
	case top == atom.Script || top == atom.Style || top == atom.Title:
		return true // raw text, which nothing Parse reads includes
	case inTable(top):
		// Only ASCII white space stays in place; anything else would be
		// moved out of the table. Raw, unlike Text, has character
		// references undecoded, so this may decline a page needlessly,
		// never accept one wrongly.
		if !asciiSpace(p.z.Raw()) {
			return false
		}
	case !p.collecting && !atList:
		// In body mode text changes nothing else in the tree, and this
		// text is in no part of it that Parse reads.
		return true
	}
	s := p.z.Text()
	if bytes.IndexByte(s, 0) >= 0 {
		return false // html.Parse drops NULs
	}
	if atList {
		// Text straight in the list must be white space.
		return len(bytes.TrimSpace(s)) == 0
	}
	if p.collecting {
		p.buf = append(p.buf, s...)
	}
	return true
}

// asciiSpace reports whether s is all HTML white space, which the tree
// builder leaves in place inside a table.
func asciiSpace(s []byte) bool {
	for _, c := range s {
		if c != ' ' && c != '\t' && c != '\n' && c != '\f' && c != '\r' {
			return false
		}
	}
	return true
}

// finish closes what is still open at the end of the page, as the tree
// leaves it, and accepts the page only if it is a roster.
func (p *fastParser) finish() ([]Item, bool) {
	for len(p.stack) > 0 {
		if !p.pop() {
			return nil, false
		}
	}
	if p.pages != 1 || !p.listSeen {
		return nil, false
	}
	return p.items, true
}
