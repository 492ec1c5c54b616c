package snapshot_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// referenceDir holds pages captured from a real RosterOn instance, outside
// the repository; tests skip them where it is absent.
const referenceDir = "../../shared/reference/rosteron-mobile"

var fixedToday = time.Date(2019, time.June, 10, 8, 28, 37, 0, time.UTC)

// TestReadPageReference reads what a session needs from each page a real
// instance serves: one pass gives the id, the title, the validation
// messages, the list and the roster.
func TestReadPageReference(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(referenceDir); err != nil {
		t.Skipf("reference captures not available: %v", err)
	}
	tests := []struct {
		file       string
		id, title  string
		validation []string
		list       bool // other pages have lists too: the login form is one
		shifts     bool
		items      int
		notRoster  bool
	}{
		{file: "login.html", id: "account-login", title: "RosterOn - Log in", list: true, shifts: true, notRoster: true},
		{file: "login-badcreds.html", id: "account-login", title: "RosterOn - Log in", list: true, shifts: true, notRoster: true,
			validation: []string{"Logon failure: unknown user name or bad password."}},
		{file: "login-baderror.html", id: "account-login", title: "RosterOn - Log in", list: true, shifts: true, notRoster: true,
			validation: []string{"The authentication mechanism is unknown."}},
		{file: "home.html", id: "home-index", title: "RosterOn", list: true, shifts: true, notRoster: true},
		{file: "unexpected.html", title: "The page cannot be displayed", notRoster: true},
		{file: "roster.html", id: "roster-list", title: "RosterOn", list: true, shifts: true, items: 4},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(referenceDir, tt.file))
			require.NoError(t, err)
			p, err := snapshot.ReadPage(bytes.NewReader(data))
			require.NoError(t, err)
			assert.Equal(t, tt.id, p.ID)
			assert.Equal(t, tt.title, p.Title)
			assert.Equal(t, tt.validation, p.Validation)
			assert.Equal(t, tt.list, p.List)
			assert.Equal(t, tt.shifts, p.Shifts)
			assert.Len(t, p.Items, tt.items)
			if tt.notRoster {
				assert.ErrorIs(t, p.Err, snapshot.ErrNotRoster)
				assert.Nil(t, p.Items)
			} else {
				assert.NoError(t, p.Err)
			}
			items, err := snapshot.Parse(bytes.NewReader(data))
			assert.Equal(t, p.Items, items)
			assert.Equal(t, p.Err, err)
		})
	}
}

// TestReadPageMock reads the mock server's pages, which a session meets in
// every test: its login page, a roster whose list is empty, and one whose
// list a script fills (the list is there, with no shifts yet).
func TestReadPageMock(t *testing.T) {
	t.Parallel()
	srv := mockserver.New()
	defer srv.Close()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", srv.BasePath()+"/Account/Login", nil))
	p := snapshot.ReadPageBytes(rec.Body.Bytes())
	assert.Equal(t, "account-login", p.ID)
	assert.ErrorIs(t, p.Err, snapshot.ErrNotRoster)
	assert.Empty(t, p.Validation)

	var b bytes.Buffer
	require.NoError(t, mockserver.RenderRoster(&b, nil))
	p = snapshot.ReadPageBytes(b.Bytes())
	assert.Equal(t, "roster-list", p.ID)
	assert.True(t, p.List)
	assert.False(t, p.Shifts)
	require.NoError(t, p.Err)
	assert.NotNil(t, p.Items)
	assert.Empty(t, p.Items)

	b.Reset()
	demo := mockserver.DemoRoster(fixedToday)
	require.NoError(t, mockserver.RenderRoster(&b, demo))
	p = snapshot.ReadPageBytes(b.Bytes())
	require.NoError(t, p.Err)
	assert.True(t, p.Shifts)
	assert.Equal(t, demo, p.Items)
}

// TestReadPageValidation reads the messages of every validation summary
// on a page, in the order they are written, one per <li>, nested ones too.
func TestReadPageValidation(t *testing.T) {
	t.Parallel()
	const v = `<div class="validation-summary-errors">`
	tests := []struct {
		name, html string
		want       []string
	}{
		{"one", v + `<ul><li>a</li><li> b  c </li></ul></div>`, []string{"a", "b c"}},
		{"two in turn", v + `<ul><li>a</li></ul></div><p>x</p><div class="x validation-summary-errors y"><ul><li>b</li></ul></div>`,
			[]string{"a", "b"}},
		{"one inside another", v + `<ul><li>a</li></ul>` + v + `<ul><li>b</li></ul></div><ul><li>c</li></ul></div>`,
			[]string{"a", "b", "c"}},
		{"items left open", v + `<ul><li>a<li>b</ul></div>` + v + `<ol><li>c`, []string{"a", "b", "c"}},
		{"nested items, each a message", v + `<ul><li>a<ul><li>b</li><li></li></ul></li><li></li><li>c</li></ul></div>`,
			[]string{"ab", "b", "c"}},
		{"empty items are no messages", v + `<ul><li> </li><li style="display:none"></li></ul></div>`, nil},
		{"only errors count", `<div class="validation-summary-valid"><ul><li>a</li></ul></div>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := snapshot.ReadPageBytes([]byte(`<div data-role="page" id="account-login"><form>` + tt.html + `</form></div>`))
			assert.Equal(t, tt.want, p.Validation)
			assert.ErrorIs(t, p.Err, snapshot.ErrNotRoster)
		})
	}
}

// TestReadPageTreeRules pins how tags nest where a page leaves HTML's
// implied end tags implied, or misnests them: each case gives the items a
// browser's tree gives (the rules ReadPage documents), and a few give
// what it documents where it reads text in written order instead.
func TestReadPageTreeRules(t *testing.T) {
	t.Parallel()
	const div = `<li data-role="list-divider">Tue 11/06/2019 - X</li>`
	d := snapshot.Date{Year: 2019, Month: time.June, Day: 11}
	item := func(fields ...string) snapshot.Item {
		detail := []snapshot.Field{}
		for _, f := range fields {
			if f == "" {
				detail = append(detail, snapshot.Empty)
			} else {
				detail = append(detail, snapshot.Text(f))
			}
		}
		return snapshot.Item{Date: d, Title: "X", Detail: detail}
	}
	tests := []struct {
		name string
		list string
		want []snapshot.Item
	}{
		{"li, p and td left open", `<li data-role=list-divider>Tue 11/06/2019 - X<li><table><tr><td><p>a<td><p>b<tr><td><p>c</table><li><p>d`,
			[]snapshot.Item{item("a", "b", "c"), item("d")}},
		{"a table closes an open p", div + `<li><p>a<table><tr><td><p>b</td></tr></table></li>`,
			[]snapshot.Item{item("a", "b")}},
		{"a div closes an open p", div + `<li><p>a<div>b</div></li>`, []snapshot.Item{item("a")}},
		{"a stray </p> makes an empty p", div + `<li><p>a</p></p><p>b</p></li>`, []snapshot.Item{item("a", "", "b")}},
		{"</li> inside a cell closes nothing", div + `<li><table><tr><td><p>a</li><p>b</td></tr></table></li>`,
			[]snapshot.Item{item("a", "b")}},
		{"</b> does not close the p around it", div + `<li><p>a<b>b</p>c</b><p>d</li>`, []snapshot.Item{item("ab", "d")}},
		{"a stray end tag is ignored", div + `</span></table></td><li><p>a</div></p></li>`, []snapshot.Item{item("a")}},
		{"upper case, CR LF, references, NUL", strings.ReplaceAll(div, "li", "LI") + "<LI><P>a\r\nb &amp;&#32;c&nbsp;\x00d</P></LI>",
			[]snapshot.Item{item("a\nb & c\u00a0d")}},
		{"attributes with > and no quotes", div + `<li title="a>b" class=x><p data-x='</p>'>a</p></li>`, []snapshot.Item{item("a")}},
		{"comments and scripts hide tags", div + `<!-- <li><p>x</p></li> --><li><p>a<script>"</p><li>"</script></p></li>`,
			[]snapshot.Item{item("a")}},
		{"p/ is a p; svg's empty elements", div + `<li><p/>a<p><svg><path/></svg>b</li>`, []snapshot.Item{item("a", "b")}},
		{"br and </br> are newlines", div + `<li><p>a<br>b</br>c</p></li>`, []snapshot.Item{item("a\nb\nc")}},
		{"a second table in a table ends the first", div + `<li><table><tr><td><p>a</td></tr><table><tr><td><p>b</td></tr></table></li>`,
			[]snapshot.Item{item("a", "b")}},
		{"text outside the cells stays in written order", div + `<li><table><tr><td><p>a</td></tr><p>b</p></table></li>`,
			[]snapshot.Item{item("a", "b")}},
		{"a p left open between rows does not take the next cells", div + `<li><table><tr><td><p>a</td></tr><p>b<tr><td><p>c</table></li>`,
			[]snapshot.Item{item("a", "b", "c")}},
		{"an hr closes an open p", div + `<li><p>a<hr>b</p><p>c</li>`, []snapshot.Item{item("a", "", "c")}},
		{"a stray b, a or font changes nothing read", div + `<li><p><b>a</p><p><a><font>b</li>` + div + `<li><p>c</li>`,
			[]snapshot.Item{item("a", "b"), item("c")}},
		{"frameset and frame are ignored", div + `<frameset><li><p>a<frame></li>`, []snapshot.Item{item("a")}},
		{"a divider in a div inside a shift closes the shift", div + `<li><p>a</p><div>` + div + `<li><p>b</div></li>`,
			[]snapshot.Item{item("a"), item("b")}},
		{"a list inside a shift is read as the shift's", div + `<li><p>a</p><ul><li><p>b</p></li></ul></li>`,
			[]snapshot.Item{item("a", "b")}},
		{"a shift in another list after the roster is not the roster's", div + `<li><p>a</p></li></ul><ul><li><p>b</p></li></ul>`,
			[]snapshot.Item{item("a")}},
		{"empty numeric references are text", div + `<li><p>&#x;&#X;&#;&#x41;&#65</p></li>`, []snapshot.Item{item("&#x;&#X;&#;AA")}},
		{"a NUL breaks a reference, and is dropped from text", div + "<li><p>&am\x00p;&amp;\x00</p></li>", []snapshot.Item{item("&amp;&")}},
		{"CR LF and NUL in raw text", div + "<li><p>a<iframe>b\r\nc\rd\x00&amp;</iframe></p></li>", []snapshot.Item{item("ab\nc\nd\uFFFD&amp;")}},
		{"CR LF in an xmp", "<li data-role=list-divider>Tue 11/06/2019 - <xmp>X\r\n</xmp>Y</li><li><p>a</li>",
			[]snapshot.Item{{Date: d, Title: "X\nY", Detail: []snapshot.Field{snapshot.Text("a")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := snapshot.Parse(strings.NewReader(page(tt.list)))
			require.NoError(t, err)
			assert.Equal(t, tt.want, items)
		})
	}
	// Lists that cannot be read faithfully: each is an error naming what
	// was left open, not a roster with a shift dropped or misdated.
	errs := []struct{ name, list, reason string }{
		// A table left open in a shift: a browser nests the rest of the
		// roster inside that shift, dividers and all.
		{"a divider inside a shift's table left open",
			`<li data-role="list-divider">Fri 07/06/2019 - A</li><li><table><tr><td><p>a</p></td></tr></li>` + div + `<li><p>b</p></li>`,
			"list divider inside a shift's <table>, not closed before it"},
		{"a shift inside a shift's table left open", div + `<li><table><tr><td><p>a</p></td></tr></li><li><table><tr><td><p>b</td></tr></table></li>`,
			"list item inside a shift's <table>, not closed before it"},
		{"a shift inside a shift's cell", div + `<li><div><table><tr><td><p>a<li><p>b</li></td></tr></table></div></li>`,
			"list item inside a shift's <table>, not closed before it"},
		{"a divider in a list inside a shift", div + `<li><p>a</p><ul>` + div + `</ul></li>`,
			"list divider inside a shift's <ul>"},
		{"a shift after a stray </ul>", div + `<li><p>a</p></li></ul><li><p>b</p></li>`,
			"shift after the end of the roster list"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			items, err := snapshot.Parse(strings.NewReader(page(tt.list)))
			require.ErrorIs(t, err, snapshot.ErrMalformed, "items %v", items)
			assert.Contains(t, err.Error(), tt.reason)
		})
	}
}

// TestReadPageCutShort checks that a roster cut off in the middle (a
// dropped connection, a page saved half-way) keeps every shift begun, and
// a list closed too early is an error, not a shorter roster.
func TestReadPageCutShort(t *testing.T) {
	t.Parallel()
	full := snapshot.GenPage(t, 12)
	cut := full[:bytes.LastIndex(full, []byte("<li data-theme"))+len(`<li data-theme="c"`)]
	items, err := snapshot.Parse(bytes.NewReader(cut))
	require.NoError(t, err, "a tag the page's end cuts off is dropped, as a browser drops it")
	assert.Len(t, items, 11)
	cut = full[:bytes.LastIndex(full, []byte("<li data-theme"))+len(`<li data-theme="c" style="color:balck">`)]
	items, err = snapshot.Parse(bytes.NewReader(cut))
	require.NoError(t, err)
	assert.Len(t, items, 12)

	early := bytes.Replace(full, []byte(`<li data-role="list-divider">`), []byte(`</ul><li data-role="list-divider">`), 3)
	_, err = snapshot.Parse(bytes.NewReader(early))
	require.ErrorIs(t, err, snapshot.ErrMalformed)
	assert.Contains(t, err.Error(), "list divider after the end of the roster list")

	// Shifts that an element left open would swallow.
	for name, tt := range map[string]struct{ edit, reason string }{
		"template":    {`<template><li data-role="list-divider">`, "list item inside a <template>"},
		"divider":     {`<li data-role="list-divider">Tue 11/06/2019<ul></li><li data-role="list-divider">`, "list item inside a list divider"},
		"warning":     {`<table><tr><td>W</td></tr><li data-role="list-divider">`, "list item inside a warning"},
		"closed list": {`</div><li data-role="list-divider">`, "list divider after the end of the roster list"},
	} {
		t.Run(name, func(t *testing.T) {
			page := bytes.Replace(full, []byte(`<li data-role="list-divider">`), []byte(tt.edit), 1)
			_, err := snapshot.Parse(bytes.NewReader(page))
			require.ErrorIs(t, err, snapshot.ErrMalformed)
			assert.Contains(t, err.Error(), tt.reason)
		})
	}
}

// TestParseReaders checks that Parse gives the same however r delivers the
// page, and that a read error comes out as one, not as a page error.
func TestParseReaders(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	pages := map[string][]byte{
		"roster":   snapshot.GenPage(t, 30),
		"rejected": []byte(`<div data-role="page" id="home-index"></div>`),
		"empty":    nil,
	}
	readers := map[string]func([]byte) io.Reader{
		"one byte":      func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"half":          func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
		"data with EOF": func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
		"buffer":        func(b []byte) io.Reader { return bytes.NewBuffer(bytes.Clone(b)) },
		"string":        func(b []byte) io.Reader { return strings.NewReader(string(b)) },
	}
	failing := map[string]func([]byte) io.Reader{
		"then error":      func(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b), iotest.ErrReader(boom)) },
		"half then error": func(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b[:len(b)/2]), iotest.ErrReader(boom)) },
	}
	for pn, page := range pages {
		want, wantErr := snapshot.Parse(bytes.NewReader(page))
		for rn, reader := range readers {
			t.Run(pn+"/"+rn, func(t *testing.T) {
				got, err := snapshot.Parse(reader(page))
				assert.Equal(t, want, got)
				assert.Equal(t, wantErr, err)
			})
		}
		for rn, reader := range failing {
			t.Run(pn+"/"+rn, func(t *testing.T) {
				got, err := snapshot.Parse(reader(page))
				assert.Nil(t, got)
				require.ErrorIs(t, err, boom)
				var pe *snapshot.ParseError
				assert.False(t, errors.As(err, &pe), "a read error is not the page's")
			})
		}
	}
	buf := bytes.NewBuffer(snapshot.GenPage(t, 3))
	_, err := snapshot.Parse(buf)
	require.NoError(t, err)
	assert.Zero(t, buf.Len(), "Parse reads all of r")
}

// mutations are edits at a tag boundary, each aimed at a rule of HTML
// tree building or tokenizing that the reader must get through.
var mutations = []string{
	"</p>", "<p>", "<p/>", "</li>", "<li>", "<li data-role=list-divider>Tue 11/06/2019</li>",
	"<table>", "</table>", "<tbody>", "</tbody>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "<caption>",
	"x", " ", "&nbsp;", "&#32;", "\x00", "\xff", "\r\n",
	"<b>", "</b>", "<a>", "</a>", "<font>", "<span>", "</span>", "<text>", "</text>", "<nobr>",
	"<svg>", "<math>", "<div>", "</div>", "<div data-role=page>", "<div data-role=content>",
	"<ul>", "</ul>", "<ul data-role=listview>", "<h1>", "</h1>", "<form>", "<button>", "<select>",
	"<br>", "</br>", "<br/>", "<img>", "<hr>", "<input>", "<meta>", "<title>t</title>",
	"<!-- c -->", "<!-->", "<!", "<?x>", "</>", "</ x>", "<![CDATA[x]]>", "<!DOCTYPE html>",
	"<script>x</script>", "<script>", "<style>", "<template>", "<noscript>", "<textarea>", "<plaintext>",
	"<frameset>", "<html>", "</html>", "<head>", "</head>", "<body>", "</body>", "<", "<a b='", "<a b=\"c",
}

var allMutations = flag.Bool("mutate.all", false, "TestParseMutations: mutate at every tag, not a sample")

// TestParseMutations edits roster pages one tag at a time, by deleting the
// tag or inserting a mutation before it, and checks what must hold of any
// page: no panic; an error that is a *ParseError of one of the two
// sentinels, quoting a bounded, one-line excerpt, with no items; or items
// that are all there: each with a valid date and a Detail, a roster with
// shifts where the page has a shift, and read back the same once written
// out again as a page. By default a fixed sample of the tags, one in 8, is
// edited; -mutate.all edits every one.
func TestParseMutations(t *testing.T) {
	t.Parallel()
	stride := 8
	if *allMutations {
		stride = 1
	}
	var b bytes.Buffer
	require.NoError(t, mockserver.RenderRoster(&b, mockserver.DemoRoster(fixedToday)[:3]))
	bases := [][]byte{snapshot.GenPage(t, 11), b.Bytes()}
	if data, err := os.ReadFile(filepath.Join(referenceDir, "roster.html")); err == nil {
		bases = append(bases, data)
	}
	ok, all := 0, 0
	for _, base := range bases {
		for i, n := 0, 0; i < len(base); i++ {
			if base[i] != '<' {
				continue
			}
			if n++; n%stride != 0 {
				continue
			}
			var variants [][]byte
			if j := bytes.IndexByte(base[i:], '>'); j > 0 {
				variants = append(variants, concat(base[:i], base[i+j+1:]))
			}
			for _, m := range mutations {
				variants = append(variants, concat(base[:i], []byte(m), base[i:]))
			}
			for _, v := range variants {
				if checkPage(t, v) {
					ok++
				}
				all++
			}
		}
	}
	t.Logf("%d of %d mutated pages read as rosters", ok, all)
}

// checkPage fails t unless what ReadPage and Parse make of data holds what
// must hold of any page, and reports whether it is a roster.
func checkPage(t testing.TB, data []byte) bool {
	t.Helper()
	p := snapshot.ReadPageBytes(data)
	items, err := snapshot.Parse(bytes.NewReader(data))
	require.Equal(t, p.Items, items, "ReadPage and Parse differ on %q", data)
	require.Equal(t, p.Err, err)
	if err != nil {
		require.Nil(t, items)
		var pe *snapshot.ParseError
		require.ErrorAs(t, err, &pe, "%q", data)
		require.True(t, errors.Is(err, snapshot.ErrNotRoster) != errors.Is(err, snapshot.ErrMalformed), "%v", err)
		require.NotEmpty(t, pe.Reason)
		require.LessOrEqual(t, utf8.RuneCountInString(pe.Found), 80, "found: %q", pe.Found)
		require.True(t, utf8.ValidString(pe.Found), "found: %q", pe.Found)
		require.NotContains(t, pe.Found, "\n")
		return false
	}
	require.NotNil(t, items)
	require.Equal(t, len(items) > 0, p.Shifts, "a page with a shift gives a roster with shifts, and back: %q", data)
	for i, it := range items {
		require.True(t, it.Date.Valid(), "item %d: %v", i, it.Date)
		require.NotNil(t, it.Detail, "item %d", i)
	}
	// Written out as a page and read again, the roster is the same: what
	// was read is whole, with nothing the page's own quirks made up.
	var b bytes.Buffer
	require.NoError(t, mockserver.RenderRoster(&b, items))
	again, err := snapshot.Parse(&b)
	require.NoError(t, err)
	require.Equal(t, normalized(items), normalized(again))
	return true
}

// normalized makes text as RenderRoster writes it comparable: the writer
// has no way to write a field's surrounding space or an empty warning list.
func normalized(items []snapshot.Item) []snapshot.Item {
	out := make([]snapshot.Item, len(items))
	for i, it := range items {
		if len(it.Warnings) == 0 {
			it.Warnings = nil
		}
		out[i] = it
	}
	return out
}

func concat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

// page is the tests' roster page around list.
var page = snapshot.RosterPage

// TestParseKnownInputs runs the property checks over every page the
// package's own tests give Parse.
func TestParseKnownInputs(t *testing.T) {
	t.Parallel()
	for _, data := range snapshot.KnownInputs() {
		checkPage(t, data)
	}
}

// Fields nested inside fields each copy the same text: a page that nests
// hundreds of them to make a read of a megabyte take hundreds is refused
// as malformed once the copies pass twice the page's size, while a field
// nested once reads as before.
func TestReadPageNestedFieldsHaveABudget(t *testing.T) {
	page := func(depth, text int) []byte {
		var b bytes.Buffer
		b.WriteString(`<html><body><div data-role="page" id="roster-list"><div data-role="content"><ul data-role="listview">`)
		b.WriteString(`<li data-role="list-divider">Tue 11/06/2019 - Title</li><li data-theme="c">`)
		for range depth {
			b.WriteString("<p><object>")
		}
		b.WriteString(strings.Repeat("x", text))
		b.WriteString("</li></ul></div></div></body></html>")
		return b.Bytes()
	}
	p := snapshot.ReadPageBytes(page(250, 1<<20))
	require.ErrorIs(t, p.Err, snapshot.ErrMalformed)
	assert.Contains(t, p.Err.Error(), "nest so deep")
	assert.Empty(t, p.Items)

	p = snapshot.ReadPageBytes(page(2, 1<<20))
	require.NoError(t, p.Err)
	require.Len(t, p.Items, 1)
	assert.Len(t, p.Items[0].Detail, 2, "the outer field, holding the inner one's text, and the inner one")
}
