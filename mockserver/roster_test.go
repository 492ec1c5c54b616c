package mockserver_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

func day(y int, m time.Month, d int) snapshot.Date { return snapshot.Date{Year: y, Month: m, Day: d} }

func fields(values ...string) []snapshot.Field {
	out := make([]snapshot.Field, len(values))
	for i, v := range values {
		if v != "" {
			out[i] = snapshot.Text(v)
		}
	}
	return out
}

func TestRenderRosterRoundTrip(t *testing.T) {
	t.Parallel()
	d1, d2 := day(2019, time.June, 7), day(2019, time.June, 11)
	tests := []struct {
		name  string
		items []snapshot.Item
	}{
		{"empty", nil},
		{"demo", mockserver.DemoRoster(fixedNow)},
		{"one shift", []snapshot.Item{{Date: d1, Title: "ABCDE - Melbourne Office", Detail: fields("10:30 - 18:06", "", "XYZ", "Assistant")}}},
		{"no details", []snapshot.Item{{Date: d1, Title: "T"}}},
		{"one detail", []snapshot.Item{{Date: d1, Title: "T", Detail: fields("09:00 - 17:00")}}},
		{"one empty detail", []snapshot.Item{{Date: d1, Title: "T", Detail: fields("")}}},
		{"two details", []snapshot.Item{{Date: d1, Title: "T", Detail: fields("09:00 - 17:00", "note")}}},
		{"three details", []snapshot.Item{{Date: d1, Title: "T", Detail: fields("09:00 - 17:00", "", "Day")}}},
		{"six details, empty ones anywhere", []snapshot.Item{{Date: d1, Title: "T", Detail: fields("", "a", "", "b", "", "")}}},
		{"warnings on first and later shifts of a divider", []snapshot.Item{
			{Date: d2, Title: "T", Detail: fields("04:40 - 12:40", "", "XYZ"), Warnings: []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}},
			{Date: d2, Title: "T", Detail: fields("12:40 - 15:00", "", "XYZ"), Warnings: []string{"BLOGGS, JOE: Allocation for overtime", "second warning"}},
			{Date: d2, Title: "T", Detail: fields("15:00 - 16:00")},
		}},
		{"same date, new title; same title, new date", []snapshot.Item{
			{Date: d1, Title: "A - B", Detail: fields("1")},
			{Date: d1, Title: "C - D - E", Detail: fields("2")},
			{Date: d2, Title: "C - D - E", Detail: fields("3")},
			{Date: d1, Title: "A - B", Detail: fields("4")},
		}},
		{"text that needs escaping", []snapshot.Item{{
			Date:     d1,
			Title:    `Theatre & Recovery <East> "Wing" - O'Brien`,
			Detail:   fields("<b>not bold</b>", "&amp; stays literal", "Zoë Nguyễn — Ward 4B", "a = b"),
			Warnings: []string{`NGUYỄN, ZOË: "quotes" & <angles>`},
		}}},
		{"leap day and year ends", []snapshot.Item{
			{Date: day(2024, time.February, 29), Title: "T", Detail: fields("x")},
			{Date: day(2019, time.December, 31), Title: "T", Detail: fields("x")},
			{Date: day(2020, time.January, 1), Title: "T", Detail: fields("x")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, mockserver.RenderRoster(&b, tt.items))
			page := b.String()
			doc, err := html.Parse(&b)
			require.NoError(t, err)
			assert.Equal(t, "roster-list", pageID(doc))
			assert.Equal(t, normalize(tt.items), normalize(parseRoster(t, page)))
		})
	}
}

func TestRenderRosterStructure(t *testing.T) {
	t.Parallel()
	items := []snapshot.Item{
		{Date: day(2019, time.June, 11), Title: "ABCDE - Melbourne Office", Detail: fields("04:40 - 12:40", "", "XYZ", "Assistant"), Warnings: []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}},
		{Date: day(2019, time.June, 11), Title: "ABCDE - Melbourne Office", Detail: fields("12:40 - 15:00", "", "XYZ", "Assistant")},
	}
	var b bytes.Buffer
	require.NoError(t, mockserver.RenderRoster(&b, items))
	doc, err := html.Parse(&b)
	require.NoError(t, err)
	list := find(doc, isElem("ul", "data-role", "listview"))
	require.Len(t, list, 1)
	assert.Equal(t, []string{"li:list-divider", "table", "li:c", "li:c"}, childKinds(list[0]))

	divider := find(list[0], isElem("li", "data-role", "list-divider"))[0]
	assert.Equal(t, "Tue 11/06/2019 - ABCDE - Melbourne Office", text(divider))

	warning := find(list[0], isElem("font", "color", "red"))
	require.Len(t, warning, 1)
	assert.Equal(t, "text", warning[0].Parent.Data, "the warning sits in a <text> element")

	shift := find(list[0], isElem("li", "data-theme", "c"))[0]
	tables := find(shift, isElem("table"))
	require.Len(t, tables, 1)
	rows := find(tables[0], isElem("tr"))
	require.Len(t, rows, 3)
	cells := find(rows[0], isElem("td"))
	require.Len(t, cells, 2, "times and the right-hand cell share the first row")
	assert.Equal(t, "text-align:right", attr(cells[1], "style"))
	assert.Len(t, find(rows[1], isElem("td")), 1)
}

// childKinds describes the element children of a roster list.
func childKinds(list *html.Node) []string {
	var out []string
	for c := list.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		switch {
		case c.Data == "li" && attr(c, "data-role") != "":
			out = append(out, "li:"+attr(c, "data-role"))
		case c.Data == "li":
			out = append(out, "li:"+attr(c, "data-theme"))
		default:
			out = append(out, c.Data)
		}
	}
	return out
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderRosterWriteError(t *testing.T) {
	t.Parallel()
	err := mockserver.RenderRoster(failWriter{}, mockserver.DemoRoster(fixedNow))
	assert.ErrorContains(t, err, "disk full")
}

func TestDemoRoster(t *testing.T) {
	t.Parallel()
	items := mockserver.DemoRoster(fixedNow)
	require.NotEmpty(t, items)

	dateOf := func(d snapshot.Date) time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }
	first, last := dateOf(items[0].Date), dateOf(items[len(items)-1].Date)
	assert.Equal(t, time.Date(2019, time.June, 7, 0, 0, 0, 0, time.UTC), first, "starts three days before today, in today's zone")
	span := int(last.Sub(first).Hours()/24) + 1
	assert.GreaterOrEqual(t, span, 40, "about six weeks")
	assert.LessOrEqual(t, span, 45, "about six weeks")

	seenDays := map[snapshot.Date]int{}
	titlesByDay := map[snapshot.Date]map[string]bool{}
	var warnings, times, names, all []string
	for i, it := range items {
		if i > 0 {
			assert.False(t, dateOf(it.Date).Before(dateOf(items[i-1].Date)), "dates ascend at %d", i)
		}
		require.Len(t, it.Detail, 4, "times, note, shift name, role")
		assert.True(t, it.Detail[0].Valid && it.Detail[2].Valid && it.Detail[3].Valid)
		seenDays[it.Date]++
		if titlesByDay[it.Date] == nil {
			titlesByDay[it.Date] = map[string]bool{}
		}
		titlesByDay[it.Date][it.Title] = true
		assert.Contains(t, it.Title, " - ")
		times = append(times, it.Detail[0].Value)
		names = append(names, it.Detail[2].Value)
		warnings = append(warnings, it.Warnings...)
		all = append(all, it.Title)
		all = append(all, it.Warnings...)
		for _, f := range it.Detail {
			all = append(all, f.Value)
			assert.Equal(t, f.Valid, f.Value != "", "empty values are invalid fields")
		}
	}
	for _, s := range all {
		assert.Equal(t, strings.TrimSpace(s), s, "trimmed, so the page round-trips")
	}

	assert.Contains(t, times, "07:00 - 15:30", "day shift")
	assert.Contains(t, times, "13:00 - 21:30", "late shift")
	assert.Contains(t, times, "21:30 - 07:30", "night shift crossing midnight")
	assert.Contains(t, times, "Oncall (20:30 - 08:30)", "on call")
	assert.True(t, anyHasSuffix(times, "- 00:00"), "an end at 00:00")
	assert.True(t, anyHasSuffix(times, "- 23:59"), "an end at 23:59")
	leave := 0
	for i, n := range names {
		if n == "Annual Leave" {
			leave++
			assert.Equal(t, "09:00 - 16:36", times[i])
		}
	}
	assert.GreaterOrEqual(t, leave, 1, "annual leave")
	assert.Less(t, len(seenDays), span, "rest days are absent")
	assert.Contains(t, warnings, "BLOGGS, JOE: Minimum 10 hours between Allocations")
	assert.Contains(t, warnings, "BLOGGS, JOE: Allocation for overtime")
	two, twoTitles := false, false
	for d, n := range seenDays {
		two = two || n >= 2
		twoTitles = twoTitles || len(titlesByDay[d]) >= 2
	}
	assert.True(t, two, "a date with two shifts")
	assert.True(t, twoTitles, "a date with two titles")
	joined := strings.Join(all, "\n")
	assert.Contains(t, joined, "&")
	assert.Contains(t, joined, "<")
	nonASCII := false
	for _, r := range joined {
		nonASCII = nonASCII || r >= utf8.RuneSelf
	}
	assert.True(t, nonASCII, "non-ASCII text")

	// Deterministic for a date, whatever the time of day.
	assert.Equal(t, items, mockserver.DemoRoster(fixedNow.Add(10*time.Hour)))
	assert.NotEqual(t, items, mockserver.DemoRoster(fixedNow.AddDate(0, 0, 1)))

	// The date is today's in today's location, not UTC's.
	utc := mockserver.DemoRoster(fixedNow.UTC())
	assert.Equal(t, day(2019, time.June, 6), utc[0].Date)

	// Callers may change what they get.
	items[0].Detail[0] = snapshot.Text("changed")
	assert.Equal(t, "07:00 - 15:30", mockserver.DemoRoster(fixedNow)[0].Detail[0].Value)
}

func anyHasSuffix(list []string, suffix string) bool {
	for _, s := range list {
		if strings.HasSuffix(s, suffix) {
			return true
		}
	}
	return false
}

func TestDefaultUsers(t *testing.T) {
	t.Parallel()
	users := mockserver.DefaultUsers(fixedNow)
	require.Len(t, users, 3)
	assert.Equal(t, mockserver.DemoUser(fixedNow), users[0])
	seen := map[string]bool{}
	for _, u := range users {
		assert.NotEmpty(t, u.Username)
		assert.NotEmpty(t, u.Password)
		assert.NotEmpty(t, u.Name)
		assert.NotEmpty(t, u.Roster)
		assert.False(t, seen[u.Username])
		seen[u.Username] = true
		var b bytes.Buffer
		require.NoError(t, mockserver.RenderRoster(&b, u.Roster))
		assert.Equal(t, u.Roster, parseRoster(t, b.String()), u.Username)
	}
	assert.Less(t, len(users[1].Roster), len(users[0].Roster))
	assert.Less(t, len(users[2].Roster), len(users[0].Roster))
	assert.NotEqual(t, users[1].Roster, users[2].Roster)
}

func BenchmarkRenderRoster(b *testing.B) {
	// About five months of shifts: the size of a real roster page.
	var items []snapshot.Item
	for i := 0; i < 4; i++ {
		items = append(items, mockserver.DemoRoster(fixedNow.AddDate(0, 0, 42*i))...)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := mockserver.RenderRoster(&buf, items); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
