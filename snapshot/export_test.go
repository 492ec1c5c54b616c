package snapshot

import (
	"strings"
	"testing"
)

// Hooks for the tests in package snapshot_test, which can import mockserver
// (mockserver imports snapshot, so tests inside the package cannot).

// GenPage is the benchmark's page of n shifts.
func GenPage(tb testing.TB, n int) []byte { return genPage(tb, n) }

// RosterPage is the tests' roster page around a listview's children.
func RosterPage(list string) string { return page(list) }

// KnownInputs returns the pages the tests in this package give Parse, as
// near as their tables allow, so that the fuzz targets and the mutation
// tests start from every shape of input they exercise.
func KnownInputs() [][]byte {
	var lists []string
	four := shift("10:30 - 18:06", "", "XYZ", "Assistant")
	// TestParseAccepts.
	lists = append(lists,
		divider("Tue 11/06/2019")+four,
		divider(" Tue 11/06/2019 -  ")+four,
		divider("Tue 11/06/2019 - A - B - C")+four,
		divider("tue&nbsp;4/6/2019&nbsp;-&nbsp;X")+shift("a"),
		`<li data-role="list-divider"><span>Tue 11/06/2019</span> - <b>X</b></li>`+shift("a"),
		divider("Tue 11/06/2019 - X")+`<li data-theme="c">Day off</li>`+shift("a"),
		divider("Tue 11/06/2019 - X")+
			`<li><p> <b>10:30</b> -  18:06 </p><p>a<br>b</p><p><span> </span>&#160;</p><p>x<script>var s = 1</script></p></li>`,
		divider("Tue 11/06/2019 - X")+warning("W1:  one\n two")+warning("W2")+shift("a")+shift("b"),
		divider("Tue 11/06/2019 - X")+shift("a")+warning("W")+shift("b"),
		divider("Tue 11/06/2019 - X")+`<table><tr><td><img src="x.png"></td></tr></table>`+shift("a"),
		`<!-- c --><script>document.write("<li>x</li>")</script>`+divider("Tue 11/06/2019 - X")+`<style>li{}</style>`+shift("a"),
		divider("Mon 10/06/2019 - X")+divider("Tue 11/06/2019 - Y")+shift("a"),
		divider("Sat 29/02/2020 - X")+shift("a"),
	)
	// TestParseBadDates.
	for _, text := range []string{
		"Mon 31/02/2025 - X", "Monday 29 Dec", "29/12/2025", "Mon 11/06/2019 - ABCDE - Melbourne Office",
		"Mon 29/12/2025 - X - Y", "Tue 29/12/2025", "Tue 11/6/19 - X", "Tue 11/06/20190 - X",
		"Tue 111/06/2019 - X", "Tue 11-06-2019 - X", "Xyz 11/06/2019 - X", "Tue11/06/2019 - X",
		"Tue 11/06/2019X", "Tue 11/06/2019 X", "Tue 11/06/2019 – X", "Sun 00/06/2019 - X",
		"Sat 11/13/2019 - X", "Mon 01/01/0000 - X", "", "Options",
		"Tue 11/06/2019 " + strings.Repeat("x", 200),
	} {
		lists = append(lists, divider(text)+shift("a"))
	}
	// TestParseErrors, as lists.
	lists = append(lists,
		`<li data-theme="c"><p>No roster available</p></li>`+divider("Tue 11/06/2019 - X"),
		divider("Tue 11/06/2019 - X")+shift("a")+warning("W1"),
		divider("Mon 10/06/2019 - X")+warning("W1")+divider("Tue 11/06/2019 - X")+shift("a"),
		divider("Tue 11/06/2019 - X")+`<div class="more"><p>hidden shift</p></div>`,
		divider("Tue 11/06/2019 - X")+`<svg><text>10:30 - 18:06</text></svg>`+shift("a"),
		divider("Tue 11/06/2019 - X")+"  More shifts\n  on the full site ",
		divider("Tue 11/06/2019 - X")+warning("W")+shift("a", "", "b"),
		divider("Sat 29/02/2020")+`<li><p>x<br>y</p></li>`,
		"",
	)
	var pages [][]byte
	for _, l := range lists {
		pages = append(pages, []byte(page(l)))
	}
	for _, s := range []string{
		// TestParseErrors, whole pages.
		`<html><head><title>The page cannot be displayed</title></head><body><ul><li>Error Code: 403</li></ul></body></html>`,
		"  just\n text  ",
		"",
		strings.Replace(page(divider("Options")), "roster-list", "home-index", 1),
		page("") + page(""),
		`<div data-role="page" id="roster-list"><h1>Roster</h1><ul data-role="listview"></ul></div>`,
		`<div data-role="page"><div data-role="content"> Nothing   to see <ul><li>x</li></ul></div></div>`,
		// TestParseEmpty, TestParsePageWithoutID, TestParseTooDeep,
		// FuzzParse.
		`<div data-role="page"><div data-role="content"><ul data-role="listview"></ul></div></div>`,
		strings.Replace(page(divider("Tue 11/06/2019 - X")+shift("a")), ` id="roster-list"`, "", 1),
		strings.Repeat("<div>", 1000) + page(divider("Tue 11/06/2019")+shift("a")),
		strings.Repeat("<div>", 600) + page(""),
		`<div data-role="page"><div data-role="content"><ul data-role="listview"><li data-role="list-divider">Tue 11/06/2019</li><li>`,
		// FuzzLoadReader's page that is not UTF-8.
		"<div data-role=\"page\"><div data-role=\"content\"><ul data-role=\"listview\"><li data-role=\"list-divider\">Tue 04/02/2020</li><li>\xae</li>",
	} {
		pages = append(pages, []byte(s))
	}
	return pages
}

// DiffTextCase is one of TestDiff's cases: the changes Diff finds, and the
// text the command line writes for them when the case says (Check).
type DiffTextCase struct {
	Name    string
	Changes Changes
	Text    string
	Check   bool
}

// DiffTextCases are TestDiff's cases, for diff_text_test.go, which writes
// them with export.WriteChangesText.
func DiffTextCases() []DiffTextCase {
	var out []DiffTextCase
	for _, tc := range diffCases() {
		out = append(out, DiffTextCase{Name: tc.name, Changes: tc.diff(), Text: tc.text, Check: tc.text != "" || len(tc.want) == 0})
	}
	return out
}
