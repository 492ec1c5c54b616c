package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current parser")

func parseFile(t *testing.T, path string) ([]Item, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return Parse(bytes.NewReader(data))
}

func TestParseGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"typical", "empty", "enhanced"} {
		t.Run(name, func(t *testing.T) {
			items, err := parseFile(t, filepath.Join("testdata", name+".html"))
			require.NoError(t, err)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // keep "&" readable in the golden files
			enc.SetIndent("", "  ")
			require.NoError(t, enc.Encode(items))
			got := buf.Bytes()
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create it")
			assert.Equal(t, string(want), string(got))

			// The golden file must read back to what Parse gave.
			var back []Item
			require.NoError(t, json.Unmarshal(want, &back))
			assert.Equal(t, items, back)
		})
	}
}

func TestParseTypical(t *testing.T) {
	t.Parallel()
	// The golden file pins every byte; this spells out the cases that
	// typical.html exists for, so a wrong -update cannot hide them.
	items, err := parseFile(t, filepath.Join("testdata", "typical.html"))
	require.NoError(t, err)
	require.Len(t, items, 8)

	d := func(day int) Date { return Date{2025, time.February, day} }
	const ward = "WXYZ - Geelong Ward 4"
	rn := "Registered Nurse"
	want := []Item{
		{Date: d(3), Title: ward, Detail: []Field{Text("07:00 - 15:30"), Empty, Text("Ward 4"), Text(rn)}},
		{Date: d(4), Title: ward, Detail: []Field{Text("06:00 - 10:00"), Empty, Text("Ward 4"), Text(rn)},
			Warnings: []string{"NGỮ, ZOË: Minimum 10 hours between Allocations"}},
		{Date: d(4), Title: ward, Detail: []Field{Text("14:30 - 00:00"), Empty, Text("Ward 4"), Text(rn)}},
		{Date: d(5), Title: ward, Detail: []Field{Text("23:00 - 08:30"), Empty, Text("Night Duty"), Text(rn)},
			Warnings: []string{"NGỮ, ZOË: Allocation for overtime", "NGỮ, ZOË: Minimum 10 hours between Allocations"}},
		{Date: d(6), Title: "On Call - Geelong & District", Detail: []Field{
			Text("Oncall (20:30 - 08:30)"), Empty, Text("Theatre 'B' & Recovery"), Text(`Anaesthetic "Tech"`)}},
		{Date: d(7), Title: "O'Brien Leave", Detail: []Field{Text("09:00 - 16:36"), Empty, Text("Annual Leave"), Text(rn)}},
		{Date: d(8), Title: ward, Detail: []Field{Text("16:00 - 23:59"), Text("Relieving Zoë Ngữ"), Text("Ward 4"), Text("Nurse Unit Manager")}},
		{Date: d(10), Title: "", Detail: []Field{Text("RDO"), Empty}},
	}
	assert.Equal(t, want, items)
}

func TestParseEmpty(t *testing.T) {
	t.Parallel()
	items, err := parseFile(t, filepath.Join("testdata", "empty.html"))
	require.NoError(t, err)
	assert.NotNil(t, items)
	assert.Empty(t, items)

	items, err = Parse(strings.NewReader(`<div data-role="page"><div data-role="content"><ul data-role="listview"></ul></div></div>`))
	require.NoError(t, err)
	assert.NotNil(t, items)
	assert.Empty(t, items)
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	four := []Field{Text("10:30 - 18:06"), Empty, Text("XYZ"), Text("Assistant")}
	tests := []struct {
		name string
		list string
		want []Item
	}{
		{
			name: "divider with only a date",
			list: divider("Tue 11/06/2019") + shift("10:30 - 18:06", "", "XYZ", "Assistant"),
			want: []Item{{Date: Date{2019, 6, 11}, Title: "", Detail: four}},
		},
		{
			name: "divider with an empty title",
			list: divider(" Tue 11/06/2019 -  ") + shift("10:30 - 18:06", "", "XYZ", "Assistant"),
			want: []Item{{Date: Date{2019, 6, 11}, Title: "", Detail: four}},
		},
		{
			name: "title keeps its own dashes",
			list: divider("Tue 11/06/2019 - A - B - C") + shift("10:30 - 18:06", "", "XYZ", "Assistant"),
			want: []Item{{Date: Date{2019, 6, 11}, Title: "A - B - C", Detail: four}},
		},
		{
			name: "lower case weekday, one-digit day and month, no-break spaces",
			list: divider("tue&nbsp;4/6/2019&nbsp;-&nbsp;X") + shift("a"),
			want: []Item{{Date: Date{2019, 6, 4}, Title: "X", Detail: []Field{Text("a")}}},
		},
		{
			name: "divider text split across elements",
			list: `<li data-role="list-divider"><span>Tue 11/06/2019</span> - <b>X</b></li>` + shift("a"),
			want: []Item{{Date: Date{2019, 6, 11}, Title: "X", Detail: []Field{Text("a")}}},
		},
		{
			name: "shift without any p keeps its place",
			list: divider("Tue 11/06/2019 - X") + `<li data-theme="c">Day off</li>` + shift("a"),
			want: []Item{
				{Date: Date{2019, 6, 11}, Title: "X", Detail: []Field{}},
				{Date: Date{2019, 6, 11}, Title: "X", Detail: []Field{Text("a")}},
			},
		},
		{
			name: "p text across elements, br as newline, inner blanks kept",
			list: divider("Tue 11/06/2019 - X") +
				`<li><p> <b>10:30</b> -  18:06 </p><p>a<br>b</p><p><span> </span>&#160;</p><p>x<script>var s = 1</script></p></li>`,
			want: []Item{{Date: Date{2019, 6, 11}, Title: "X", Detail: []Field{
				Text("10:30 -  18:06"), Text("a\nb"), Empty, Text("x")}}},
		},
		{
			name: "several warnings, one shift; next shift has none",
			list: divider("Tue 11/06/2019 - X") + warning("W1:  one\n two") + warning("W2") +
				shift("a") + shift("b"),
			want: []Item{
				{Date: Date{2019, 6, 11}, Title: "X", Detail: []Field{Text("a")}, Warnings: []string{"W1: one two", "W2"}},
				{Date: Date{2019, 6, 11}, Title: "X", Detail: []Field{Text("b")}},
			},
		},
		{
			name: "warning between two shifts of one date goes to the second",
			list: divider("Tue 11/06/2019 - X") + shift("a") + warning("W") + shift("b"),
			want: []Item{
				{Date: Date{2019, 6, 11}, Title: "X", Detail: []Field{Text("a")}},
				{Date: Date{2019, 6, 11}, Title: "X", Detail: []Field{Text("b")}, Warnings: []string{"W"}},
			},
		},
		{
			name: "table without text is no warning",
			list: divider("Tue 11/06/2019 - X") + `<table><tr><td><img src="x.png"></td></tr></table>` + shift("a"),
			want: []Item{{Date: Date{2019, 6, 11}, Title: "X", Detail: []Field{Text("a")}}},
		},
		{
			name: "comments and scripts are ignored",
			list: `<!-- c --><script>document.write("<li>x</li>")</script>` + divider("Tue 11/06/2019 - X") +
				`<style>li{}</style>` + shift("a"),
			want: []Item{{Date: Date{2019, 6, 11}, Title: "X", Detail: []Field{Text("a")}}},
		},
		{
			name: "divider without shifts",
			list: divider("Mon 10/06/2019 - X") + divider("Tue 11/06/2019 - Y") + shift("a"),
			want: []Item{{Date: Date{2019, 6, 11}, Title: "Y", Detail: []Field{Text("a")}}},
		},
		{
			name: "leap day",
			list: divider("Sat 29/02/2020 - X") + shift("a"),
			want: []Item{{Date: Date{2020, 2, 29}, Title: "X", Detail: []Field{Text("a")}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Parse(strings.NewReader(page(tt.list)))
			require.NoError(t, err)
			assert.Equal(t, tt.want, items)
		})
	}
}

func TestParsePageWithoutID(t *testing.T) {
	t.Parallel()
	// The id is checked only when present: a page that omits it is read.
	html := strings.Replace(page(divider("Tue 11/06/2019 - X")+shift("a")), ` id="roster-list"`, "", 1)
	items, err := Parse(strings.NewReader(html))
	require.NoError(t, err)
	assert.Len(t, items, 1)
}

func TestParseBadDates(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"Mon 31/02/2025 - X",
		"Monday 29 Dec",
		"29/12/2025",
		"Mon 11/06/2019 - ABCDE - Melbourne Office", // a Tuesday
		"Mon 29/12/2025 - X - Y",                    // fine, but see next case
		"Tue 29/12/2025",                            // a Monday
		"Tue 11/6/19 - X",
		"Tue 11/06/20190 - X",
		"Tue 111/06/2019 - X",
		"Tue 11-06-2019 - X",
		"Xyz 11/06/2019 - X",
		"Tue11/06/2019 - X",
		"Tue 11/06/2019X",
		"Tue 11/06/2019 X",
		"Tue 11/06/2019 – X", // en dash
		"Sun 00/06/2019 - X",
		"Sat 11/13/2019 - X",
		"Mon 01/01/0000 - X",
		"",
		"Options",
	} {
		t.Run(text, func(t *testing.T) {
			if text == "Mon 29/12/2025 - X - Y" {
				items, err := Parse(strings.NewReader(page(divider(text) + shift("a"))))
				require.NoError(t, err)
				require.Len(t, items, 1)
				assert.Equal(t, Date{2025, 12, 29}, items[0].Date)
				return
			}
			items, err := Parse(strings.NewReader(page(divider(text) + shift("a"))))
			require.Error(t, err)
			assert.Nil(t, items)
			assert.ErrorIs(t, err, ErrMalformed)
			assert.NotErrorIs(t, err, ErrNotRoster)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, text, pe.Found)
			if text != "" {
				assert.Contains(t, err.Error(), strconv.Quote(text))
			}
		})
	}
}

func TestParseWeekdayMismatchMessage(t *testing.T) {
	t.Parallel()
	_, err := Parse(strings.NewReader(page(divider("Mon 11/06/2019 - ABCDE") + shift("a"))))
	require.Error(t, err)
	assert.Equal(t, `snapshot: malformed roster page: list divider says Monday but 11/06/2019 is a Tuesday: found "Mon 11/06/2019 - ABCDE"`, err.Error())
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 200)
	tests := []struct {
		name   string
		html   string
		is     error
		reason string
		found  string
	}{
		{
			name:   "no page: proxy error",
			html:   `<html><head><title>The page cannot be displayed</title></head><body><ul><li>Error Code: 403</li></ul></body></html>`,
			is:     ErrNotRoster,
			reason: `no <div data-role="page">`,
			found:  "The page cannot be displayed",
		},
		{
			name:   "no page, no title",
			html:   "  just\n text  ",
			is:     ErrNotRoster,
			reason: `no <div data-role="page">`,
			found:  "just text",
		},
		{
			name: "empty input",
			html: "",
			is:   ErrNotRoster,
		},
		{
			name:   "other page",
			html:   strings.Replace(page(divider("Options")), "roster-list", "home-index", 1),
			is:     ErrNotRoster,
			reason: `page id is not "roster-list"`,
			found:  "home-index",
		},
		{
			name:   "NUL in the page id",
			html:   strings.Replace(page(divider("Tue 11/06/2019 - X")+shift("a")), `id="roster-list"`, "id=\"roster-list\x00\"", 1),
			is:     ErrNotRoster,
			reason: `page id is not "roster-list"`,
			found:  "roster-list\uFFFD",
		},
		{
			name:   "NUL in data-role, with a reference",
			html:   strings.Replace(page(divider("Tue 11/06/2019 - X")+shift("a")), `data-role="page"`, "data-role=\"p&#97;ge\x00\"", 1),
			is:     ErrNotRoster,
			reason: `no <div data-role="page">`,
		},
		{
			name:   "two pages",
			html:   page("") + page(""),
			is:     ErrNotRoster,
			reason: `2 <div data-role="page"> elements, want one`,
		},
		{
			name:   "no content",
			html:   `<div data-role="page" id="roster-list"><h1>Roster</h1><ul data-role="listview"></ul></div>`,
			is:     ErrNotRoster,
			reason: `no <div data-role="content"> in the page`,
			found:  "Roster",
		},
		{
			name:   "no listview",
			html:   `<div data-role="page"><div data-role="content"> Nothing   to see <ul><li>x</li></ul></div></div>`,
			is:     ErrNotRoster,
			reason: `no <ul data-role="listview"> in the content`,
			found:  "Nothing to see x",
		},
		{
			name:   "shift before divider",
			html:   page(`<li data-theme="c"><p>No roster available</p></li>` + divider("Tue 11/06/2019 - X")),
			is:     ErrMalformed,
			reason: "shift before any date divider",
			found:  `<li data-theme="c"> No roster available`,
		},
		{
			name:   "warning at the end",
			html:   page(divider("Tue 11/06/2019 - X") + shift("a") + warning("W1")),
			is:     ErrMalformed,
			reason: "warning not followed by a shift",
			found:  "W1",
		},
		{
			name:   "warning before a divider",
			html:   page(divider("Mon 10/06/2019 - X") + warning("W1") + divider("Tue 11/06/2019 - X") + shift("a")),
			is:     ErrMalformed,
			reason: "warning not followed by a shift",
			found:  "W1",
		},
		{
			name:   "unexpected element",
			html:   page(divider("Tue 11/06/2019 - X") + `<div class="more"><p>hidden shift</p></div>`),
			is:     ErrMalformed,
			reason: "unexpected element in the roster list",
			found:  `<div class="more"> hidden shift`,
		},
		{
			name:   "foreign element",
			html:   page(divider("Tue 11/06/2019 - X") + `<svg><text>10:30 - 18:06</text></svg>` + shift("a")),
			is:     ErrMalformed,
			reason: "unexpected element in the roster list",
			found:  `<svg> 10:30 - 18:06`,
		},
		{
			name:   "unexpected text",
			html:   page(divider("Tue 11/06/2019 - X") + "  More shifts\n  on the full site "),
			is:     ErrMalformed,
			reason: "unexpected text in the roster list",
			found:  "More shifts on the full site",
		},
		{
			name:   "found is truncated",
			html:   page(divider("Tue 11/06/2019 " + long)),
			is:     ErrMalformed,
			reason: `unreadable date in list divider, want e.g. "Tue 11/06/2019 - Title"`,
			found:  "Tue 11/06/2019 " + long[:64] + "…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Parse(strings.NewReader(tt.html))
			require.Error(t, err)
			assert.Nil(t, items)
			assert.ErrorIs(t, err, tt.is)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			if tt.reason != "" {
				assert.Equal(t, tt.reason, pe.Reason)
			}
			if tt.found != "" {
				assert.Equal(t, tt.found, pe.Found)
				assert.Contains(t, err.Error(), strconv.Quote(tt.found))
			}
		})
	}
}

func TestParseErrorFiles(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		is    error
		found string
	}{
		"bad-date.html":             {ErrMalformed, "Mon 31/02/2025 - WXYZ - Geelong Ward 4"},
		"bad-weekday.html":          {ErrMalformed, "Mon 04/02/2025 - WXYZ - Geelong Ward 4"},
		"shift-before-divider.html": {ErrMalformed, `<li data-theme="c"> 07:00 - 15:30 Ward 4 Registered Nurse`},
		"orphan-warning.html":       {ErrMalformed, "NGỮ, ZOË: Allocation for overtime"},
		"no-listview.html":          {ErrNotRoster, "You have no roster for this period. Not a listview"},
		"unexpected-element.html":   {ErrMalformed, `<div class="more"> hidden`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := parseFile(t, filepath.Join("testdata", name))
			require.ErrorIs(t, err, tt.is)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.found, pe.Found)
		})
	}
}

func TestParseReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	_, err := Parse(iotest.ErrReader(boom))
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrNotRoster)

	_, err = Parse(nil)
	require.Error(t, err)
}

func TestParseTooDeep(t *testing.T) {
	t.Parallel()
	// html.Parse gives up on very deep nesting; that must not look like a
	// read error, nor pass as anything but a *ParseError.
	_, err := Parse(strings.NewReader(strings.Repeat("<div>", 1000) + page(divider("Tue 11/06/2019")+shift("a"))))
	require.ErrorIs(t, err, ErrMalformed)
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Reason, "cannot build the HTML tree")
}

func TestParseErrorString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "snapshot: not a roster page", (&ParseError{Err: ErrNotRoster}).Error())
	assert.Equal(t, `snapshot: cannot parse page: why: found "it"`, (&ParseError{Reason: "why", Found: "it"}).Error())
}

func TestParseGenerated(t *testing.T) {
	t.Parallel()
	// The benchmark's pages must be rosters, or it would time an error path.
	items, err := Parse(bytes.NewReader(genPage(t, 200)))
	require.NoError(t, err)
	require.Len(t, items, 200)
	assert.Equal(t, []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}, items[9].Warnings)
	assert.Equal(t, []Field{Text("09:30 - 18:06"), Empty, Text("XYZ & Co"), Text("Assistant")}, items[9].Detail)
	for i := 1; i < len(items); i++ {
		assert.False(t, items[i].Date.Before(items[i-1].Date))
	}
}
