package snapshot

import (
	"bytes"
	"html"
	"strings"

	"golang.org/x/net/html/atom"
)

// scanner splits a page held in memory into the tokens of HTML's
// tokenizer that ReadPage needs: text, start and end tags with their
// attributes. Comments, doctypes and processing instructions are skipped.
// It follows the HTML standard's tokenization where a roster page can
// meet it: raw text in <script>, <style> and the like, escapable raw text
// in <title> and <textarea>, <plaintext>, quoted attribute values that
// hold ">", and a tag cut short by the end of the page, which is dropped.
// Text and attribute values are left as written, for decodeBytes to
// decode as the token's kind says: character references, CR LF and lone
// CR as LF (in raw text too), NUL. Script's escaped states (a "<!--"
// inside a script that hides "</script>") are not followed.
//
// It works on the bytes in place and allocates nothing: the html package's
// Tokenizer reads a byte at a time through a buffer it manages, which
// costs most of the time of reading a large roster.
type scanner struct {
	src []byte
	pos int
	// rawEnd, when set, is the element whose end tag ends the raw text
	// that follows its start tag.
	rawEnd   atom.Atom
	rawName  string // rawEnd's name
	rcdata   bool   // whether that raw text holds character references
	rawToEOF bool   // <plaintext>: the rest of the page is text

	// The current token.
	kind   tokenKind
	text   []byte // text as in the page
	rawTok bool   // text of a raw text element or <plaintext>: no character references
	rcTok  bool   // text of <title> or <textarea>: references, and NUL is U+FFFD
	tag    atom.Atom
	name   []byte // the tag's name, lower case; valid until the next token
	self   bool   // a start tag ending in "/>"
	attrs  []attrRange
	nameBf [32]byte
}

type tokenKind uint8

const (
	eofToken tokenKind = iota
	textToken
	startToken
	endToken
)

// attrRange is an attribute of the current tag: its name, lower case, and
// its value as written, before character references are decoded.
type attrRange struct {
	key []byte
	val []byte
}

// textElem is the atom ReadPage gives <text>, which RosterOn wraps
// warnings in but which is no atom. Atoms pack an offset and a length
// into their low bits; no real one comes near this value.
const textElem atom.Atom = 1<<32 - 1

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// next reads the next token into s.
func (s *scanner) next() tokenKind {
	s.rawTok, s.rcTok = false, false
	for {
		if s.pos >= len(s.src) {
			s.kind = eofToken
			return eofToken
		}
		if s.rawToEOF {
			s.kind, s.text, s.pos = textToken, s.src[s.pos:], len(s.src)
			s.rawTok = true
			return textToken
		}
		if s.rawEnd != 0 {
			if k, ok := s.rawText(); ok {
				return k
			}
			continue
		}
		if s.src[s.pos] != '<' {
			i := bytes.IndexByte(s.src[s.pos:], '<')
			if i < 0 {
				i = len(s.src) - s.pos
			}
			s.kind, s.text = textToken, s.src[s.pos:s.pos+i]
			s.pos += i
			return textToken
		}
		if k, ok := s.markup(); ok {
			return k
		}
	}
}

// rawText reads the content of a raw text element up to its end tag,
// which it leaves for the next call to read.
func (s *scanner) rawText() (tokenKind, bool) {
	start := s.pos
	for i := start; ; {
		j := bytes.Index(s.src[i:], []byte("</"))
		if j < 0 {
			i = len(s.src)
		} else {
			i += j
		}
		if i >= len(s.src) || s.endsRaw(i) {
			s.rawEnd = 0
			if i == start {
				return 0, false
			}
			s.kind, s.text, s.pos = textToken, s.src[start:i], i
			s.rawTok, s.rcTok = !s.rcdata, s.rcdata
			return textToken, true
		}
		i += 2
	}
}

// endsRaw reports whether the "</" at i is the end tag of the raw text
// element: its name in any case, then white space, "/" or ">".
func (s *scanner) endsRaw(i int) bool {
	n := s.rawName
	j := i + 2
	if j+len(n) > len(s.src) {
		return false
	}
	for k := 0; k < len(n); k++ {
		if s.src[j+k]|0x20 != n[k] {
			return false
		}
	}
	j += len(n)
	return j == len(s.src) || isSpaceByte(s.src[j]) || s.src[j] == '/' || s.src[j] == '>'
}

// markup reads what starts with the "<" at s.pos: a tag, or a comment or
// the like (skipped, ok false), or a "<" that is only text.
func (s *scanner) markup() (tokenKind, bool) {
	src, i := s.src, s.pos+1
	if i >= len(src) {
		s.kind, s.text, s.pos = textToken, src[s.pos:], len(src)
		return textToken, true
	}
	switch c := src[i]; {
	case isLetter(c):
		return s.readTag(i, false)
	case c == '/':
		if i+1 >= len(src) {
			s.kind, s.text, s.pos = textToken, src[s.pos:], len(src)
			return textToken, true
		}
		switch c2 := src[i+1]; {
		case isLetter(c2):
			return s.readTag(i+1, true)
		case c2 == '>':
			s.pos = i + 2 // "</>" is dropped
			return 0, false
		default:
			s.skipBogus(i + 1)
			return 0, false
		}
	case c == '!':
		if bytes.HasPrefix(src[i:], []byte("!--")) {
			s.skipComment(i + 3)
		} else {
			s.skipBogus(i + 1)
		}
		return 0, false
	case c == '?':
		s.skipBogus(i)
		return 0, false
	}
	// A "<" that starts no tag is text, up to the next "<".
	j := bytes.IndexByte(src[i:], '<')
	if j < 0 {
		j = len(src) - i
	}
	s.kind, s.text = textToken, src[s.pos:i+j]
	s.pos = i + j
	return textToken, true
}

// skipComment skips a comment whose body starts at i.
func (s *scanner) skipComment(i int) {
	src := s.src
	// "<!-->" and "<!--->" are whole, empty comments.
	if bytes.HasPrefix(src[i:], []byte(">")) {
		s.pos = i + 1
		return
	}
	if bytes.HasPrefix(src[i:], []byte("->")) {
		s.pos = i + 2
		return
	}
	for j := i; j < len(src); {
		k := bytes.IndexByte(src[j:], '-')
		if k < 0 {
			break
		}
		j += k
		if bytes.HasPrefix(src[j:], []byte("-->")) {
			s.pos = j + 3
			return
		}
		if bytes.HasPrefix(src[j:], []byte("--!>")) {
			s.pos = j + 4
			return
		}
		j++
	}
	s.pos = len(src)
}

// skipBogus skips a doctype, a bogus comment or the like up to ">".
func (s *scanner) skipBogus(i int) {
	if j := bytes.IndexByte(s.src[i:], '>'); j >= 0 {
		s.pos = i + j + 1
	} else {
		s.pos = len(s.src)
	}
}

// readTag reads a tag whose name starts at i. A tag that the end of the
// page cuts short is dropped, as the tokenizer drops it.
func (s *scanner) readTag(i int, end bool) (tokenKind, bool) {
	src := s.src
	j := i
	for j < len(src) && !isSpaceByte(src[j]) && src[j] != '/' && src[j] != '>' {
		j++
	}
	s.name = lowerName(s.nameBf[:0], src[i:j])
	s.attrs = s.attrs[:0]
	s.self = false
	// Attributes, as the tokenizer reads them: an end tag's are read and
	// dropped.
	for {
		for j < len(src) && (isSpaceByte(src[j]) || src[j] == '/') {
			if src[j] == '/' && j+1 < len(src) && src[j+1] == '>' {
				s.self = true
			}
			j++
		}
		if j >= len(src) {
			s.pos = len(src)
			return 0, false
		}
		if src[j] == '>' {
			j++
			break
		}
		s.self = false
		k := j + 1 // an attribute name may start with "="
		for k < len(src) && !isSpaceByte(src[k]) && src[k] != '/' && src[k] != '>' && src[k] != '=' {
			k++
		}
		key := src[j:k]
		j = k
		for j < len(src) && isSpaceByte(src[j]) {
			j++
		}
		var val []byte
		if j < len(src) && src[j] == '=' {
			j++
			for j < len(src) && isSpaceByte(src[j]) {
				j++
			}
			if j < len(src) && (src[j] == '"' || src[j] == '\'') {
				q := src[j]
				e := bytes.IndexByte(src[j+1:], q)
				if e < 0 {
					s.pos = len(src)
					return 0, false
				}
				val = src[j+1 : j+1+e]
				j += e + 2
			} else {
				v := j
				for j < len(src) && !isSpaceByte(src[j]) && src[j] != '>' {
					j++
				}
				val = src[v:j]
			}
		}
		if !end {
			s.attrs = append(s.attrs, attrRange{key: key, val: val})
		}
	}
	s.pos = j
	s.tag = lookupTag(s.name)
	if end {
		s.kind = endToken
		return endToken, true
	}
	s.kind = startToken
	switch s.tag {
	case atom.Script, atom.Style, atom.Xmp, atom.Iframe, atom.Noembed, atom.Noframes, atom.Noscript:
		s.rawEnd, s.rawName, s.rcdata = s.tag, s.tag.String(), false
	case atom.Title, atom.Textarea:
		s.rawEnd, s.rawName, s.rcdata = s.tag, s.tag.String(), true
	case atom.Plaintext:
		s.rawToEOF = true
	}
	return startToken, true
}

// lowerName returns name in lower case, in buf when it fits.
func lowerName(buf, name []byte) []byte {
	if len(name) > cap(buf) {
		buf = make([]byte, 0, len(name))
	}
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
}

func lookupTag(name []byte) atom.Atom {
	if a := atom.Lookup(name); a != 0 {
		return a
	}
	if string(name) == "text" {
		return textElem
	}
	return 0
}

// attr returns the decoded value of the current tag's attribute key, which
// must be lower case. The first of several with the same name counts.
func (s *scanner) attr(key string) (string, bool) {
	for _, a := range s.attrs {
		if len(a.key) == len(key) && lowerEqual(a.key, key) {
			return decode(a.val), true
		}
	}
	return "", false
}

// attrIs compares the current tag's attribute with want as jQuery
// Mobile's selectors do in practice: case and surrounding white space in
// the value do not matter.
func (s *scanner) attrIs(key, want string) bool {
	for _, a := range s.attrs {
		if len(a.key) == len(key) && lowerEqual(a.key, key) {
			v := a.val
			if bytes.IndexByte(v, '&') >= 0 || bytes.IndexByte(v, 0) >= 0 {
				v = []byte(decode(v))
			}
			return bytes.EqualFold(bytes.TrimSpace(v), []byte(want))
		}
	}
	return false
}

func lowerEqual(b []byte, lower string) bool {
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// decode returns an attribute value as the page means it: CR LF and lone
// CR as LF, NUL as U+FFFD, then character references decoded.
func decode(b []byte) string {
	if bytes.IndexByte(b, '&') < 0 && bytes.IndexByte(b, '\r') < 0 && bytes.IndexByte(b, 0) < 0 {
		return string(b)
	}
	return string(decodeBytes(nil, b, true, false))
}

// decodeBytes appends b to dst as HTML's tokenizer and tree builder read
// it: CR LF and lone CR as LF; character references decoded when refs;
// and NUL dropped after references are decoded when dropNUL (text in the
// body, where the tree builder drops it), else replaced by U+FFFD before
// (attribute values, raw text, <title>, foreign content). Either way a
// NUL inside a reference ends it: "&am\x00p;" is no "&amp;".
func decodeBytes(dst, b []byte, refs, dropNUL bool) []byte {
	if bytes.IndexByte(b, '\r') >= 0 {
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		b = bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
	}
	hasNUL := bytes.IndexByte(b, 0) >= 0
	if hasNUL && !dropNUL {
		b = bytes.ReplaceAll(b, []byte{0}, []byte("\uFFFD"))
		hasNUL = false
	}
	start := len(dst)
	if refs && bytes.IndexByte(b, '&') >= 0 {
		dst = decodeRefs(dst, b)
	} else {
		dst = append(dst, b...)
	}
	if hasNUL {
		out := dst[:start]
		for _, c := range dst[start:] {
			if c != 0 {
				out = append(out, c)
			}
		}
		dst = out
	}
	return dst
}

// noDigits are the numeric references with no digits that
// html.UnescapeString decodes as U+FFFD, where HTML and the seed's parser
// keep them as written; they are escaped before it sees them.
var noDigits = strings.NewReplacer("&#x;", "&amp;#x;", "&#X;", "&amp;#X;")

// decodeRefs appends b to dst with its character references decoded.
func decodeRefs(dst, b []byte) []byte {
	if out, ok := decodeCommon(dst, b); ok {
		return out
	}
	s := string(b)
	if strings.Contains(s, "&#x;") || strings.Contains(s, "&#X;") {
		s = noDigits.Replace(s)
	}
	return append(dst, html.UnescapeString(s)...)
}

// commonRefs are the character references pages use most, which decodeCommon
// decodes itself.
var commonRefs = [...]struct {
	ref  string
	text string
}{
	{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", `"`}, {"&#39;", "'"}, {"&apos;", "'"}, {"&nbsp;", "\u00a0"},
}

// decodeCommon appends b to dst with its character references decoded,
// when every one is among commonRefs; ok false (and dst's contents past
// its length undefined) otherwise, for html.UnescapeString to decode.
func decodeCommon(dst, b []byte) ([]byte, bool) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			return append(dst, b...), true
		}
		dst = append(dst, b[:i]...)
		b = b[i:]
		found := false
		for _, c := range commonRefs {
			if bytes.HasPrefix(b, []byte(c.ref)) {
				dst = append(dst, c.text...)
				b = b[len(c.ref):]
				found = true
				break
			}
		}
		if !found {
			return dst, false
		}
	}
	return dst, true
}
