package export_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var snapTime = time.Date(2019, time.June, 10, 8, 3, 12, 0, time.UTC)

func date(y int, m time.Month, d int) snapshot.Date { return snapshot.Date{Year: y, Month: m, Day: d} }

func fields(vals ...any) []snapshot.Field {
	out := make([]snapshot.Field, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = snapshot.Text(s)
		}
	}
	return out
}

// typical is the roster of docs/formats.md: two shifts on one date, a warning, an
// empty right-hand cell and one that is not.
func typical() *snapshot.Snapshot {
	return &snapshot.Snapshot{Time: snapTime, Items: []snapshot.Item{
		{Date: date(2019, 6, 11), Title: "ABCDE - Melbourne Office", Detail: fields("10:30 - 18:06", nil, "XYZ", "Assistant")},
		{Date: date(2019, 6, 11), Title: "ABCDE - Melbourne Office", Detail: fields("19:00 - 23:00", "Cover", "XYZ", "Assistant"),
			Warnings: []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}},
		{Date: date(2019, 6, 12), Title: "FGHIJ - Geelong", Detail: fields("Oncall (20:30 - 08:30)", nil, "On Call", "Supervisor")},
		{Date: date(2019, 6, 15), Title: "ABCDE - Melbourne Office", Detail: fields("09:00 - 16:36", nil, "Annual Leave", "Assistant")},
	}}
}

func demo() *snapshot.Snapshot {
	today := time.Date(2019, time.June, 10, 9, 0, 0, 0, time.UTC)
	return &snapshot.Snapshot{Time: snapTime, Items: mockserver.DemoRoster(today)}
}

var tableCases = []struct {
	name  string
	snap  *snapshot.Snapshot
	width int
}{
	{"typical", typical(), 80},
	{"typical-unlimited", typical(), 0},
	{"typical-narrow", typical(), 40},
	{"typical-tiny", typical(), 12},
	{"empty", &snapshot.Snapshot{Time: snapTime}, 80},
	{"empty-items-no-time", &snapshot.Snapshot{Items: []snapshot.Item{}}, 80},
	{"demo", demo(), 80},
	{"demo-wide", demo(), 160},
	{"non-ascii", &snapshot.Snapshot{Time: snapTime, Items: []snapshot.Item{
		{Date: date(2025, 2, 4), Title: "WXYZ - Geelong Ward 4", Detail: fields("06:00 - 10:00", nil, "Ward 4", "Registered Nurse"),
			Warnings: []string{"NGỮ, ZOË: Minimum 10 hours between Allocations"}},
		{Date: date(2025, 2, 6), Title: "Théâtre « B » & Récupération - Zürich Universitätsspital", Detail: fields("Oncall (20:30 - 08:30)", "Vertretung für Zoë Nguyễn", "Anästhesie", "Pflegefachfrau HF")},
		{Date: date(2025, 2, 7), Title: "病院 - 東京", Detail: fields("07:00 - 15:30", nil, "日勤", "看護師")},
	}}, 80},
	{"long-title", &snapshot.Snapshot{Time: snapTime, Items: []snapshot.Item{
		{Date: date(2019, 6, 11), Title: "ABCDE - " + strings.Repeat("Melbourne Office of Very Long Names ", 5) + "End", Detail: fields("10:30 - 18:06", nil, "XYZ", "Assistant")},
		{Date: date(2019, 6, 12), Title: "ABCDE - Melbourne Office", Detail: fields("10:30 - 18:06", nil, "XYZ", "Assistant"),
			Warnings: []string{"BLOGGS, JOE: " + strings.Repeat("a warning that goes on and on ", 6) + "Supercalifragilisticexpialidociouslylongwordthatcannotbebrokenatanyspace"}},
	}}, 80},
	{"short-details", &snapshot.Snapshot{Time: snapTime, Items: []snapshot.Item{
		{Date: date(2019, 6, 11), Title: "No details at all", Detail: []snapshot.Field{}},
		{Date: date(2019, 6, 12), Title: "", Detail: nil},
		{Date: date(2019, 6, 13), Title: "Only a time", Detail: fields("10:30 - 18:06")},
		{Date: date(2019, 6, 14), Title: "Note without a name", Detail: fields(nil, "Just a note")},
		{Date: date(2019, 6, 15), Title: "Empty strings", Detail: fields("", "", "", "")},
		{Date: snapshot.Date{}, Title: "Invalid date", Detail: fields("10:30 - 18:06", nil, "XYZ", "Assistant")},
	}}, 80},
	{"extra-details", &snapshot.Snapshot{Time: snapTime, Items: []snapshot.Item{
		{Date: date(2019, 6, 11), Title: "ABCDE - Melbourne Office", Detail: fields("10:30 - 18:06", nil, "XYZ", "Assistant", "Fifth detail", nil, "Seventh detail, which is long enough that it has to wrap onto a second line"),
			Warnings: []string{"BLOGGS, JOE: Allocation for overtime", "BLOGGS, JOE: Minimum 10 hours between Allocations"}},
	}}, 80},
	{"control-characters", &snapshot.Snapshot{Time: snapTime.In(time.FixedZone("AEST", 10*3600)), Items: []snapshot.Item{
		{Date: date(2019, 6, 11), Title: "Evil\x1b[2J - \tTitle\r\n", Detail: fields("10:30\n18:06", nil, "Bell\a", "Role\u0085 next line")},
	}}, 80},
}

func TestWriteTableGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range tableCases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, export.WriteTable(&buf, tc.snap, tc.width))
			out := buf.String()
			checkLines(t, out, tc.width)
			golden(t, tc.name+".txt", out)
		})
	}
}

// checkLines asserts the table's promises about every line: no more than
// width runes (when there is a width), no trailing spaces, no control
// characters.
func checkLines(t *testing.T, out string, width int) {
	t.Helper()
	require.True(t, strings.HasSuffix(out, "\n"), "output ends with a newline")
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if width > 0 {
			assert.LessOrEqual(t, utf8.RuneCountInString(line), width, "line %d is too long: %q", i+1, line)
		}
		assert.Equal(t, strings.TrimRight(line, " "), line, "line %d has trailing spaces", i+1)
		assert.True(t, utf8.ValidString(line), "line %d is not UTF-8", i+1)
		for _, r := range line {
			assert.False(t, r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0), "line %d has control character %U", i+1, r)
		}
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./export -update to create the golden files")
	assert.Equal(t, string(want), got)
}

func TestWriteTableContent(t *testing.T) {
	t.Parallel()
	// With room for every column, a flat table.
	var buf bytes.Buffer
	require.NoError(t, export.WriteTable(&buf, typical(), 100))
	lines := strings.Split(buf.String(), "\n")
	assert.Equal(t, "Roster as of Mon 10 Jun 2019 08:03 UTC: 4 shifts", lines[0])
	assert.Empty(t, lines[1])
	assert.Regexp(t, `^DATE +TIME +SHIFT +ROLE +WHERE$`, lines[2])
	assert.Regexp(t, `^Tue 11 Jun 2019  10:30–18:06 +XYZ +Assistant +ABCDE - Melbourne Office$`, lines[3])
	// The second shift of a date leaves the date blank.
	assert.Regexp(t, `^ {17}19:00–23:00 +XYZ \(Cover\) +Assistant`, lines[4])
	assert.Equal(t, strings.Repeat(" ", 17)+"! BLOGGS, JOE: Minimum 10 hours between Allocations", lines[5])
	assert.Regexp(t, `^Wed 12 Jun 2019  20:30–08:30 on call  On Call +Supervisor +FGHIJ - Geelong$`, lines[6])
	assert.Regexp(t, `^Sat 15 Jun 2019  all day +Annual Leave +Assistant`, lines[7])
	assert.Len(t, lines, 9)

	// A little short of room, the year goes.
	buf.Reset()
	require.NoError(t, export.WriteTable(&buf, typical(), 84))
	lines = strings.Split(buf.String(), "\n")
	assert.Regexp(t, `^Tue 11 Jun  10:30–18:06 +XYZ +Assistant +ABCDE - Melbourne Office$`, lines[3])

	// Shorter still, title and role become headings, each time they
	// change, and nothing is cut.
	buf.Reset()
	require.NoError(t, export.WriteTable(&buf, typical(), 80))
	assert.Equal(t, `Roster as of Mon 10 Jun 2019 08:03 UTC: 4 shifts

ABCDE - Melbourne Office · Assistant
  Tue 11 Jun  10:30–18:06          XYZ
              19:00–23:00          XYZ (Cover)
              ! BLOGGS, JOE: Minimum 10 hours between Allocations

FGHIJ - Geelong · Supervisor
  Wed 12 Jun  20:30–08:30 on call  On Call

ABCDE - Melbourne Office · Assistant
  Sat 15 Jun  all day              Annual Leave
`, buf.String())
}

// The mock's users' rosters are real rosters' shapes: at 80 columns each
// shift is one line, and nothing is cut.
func TestWriteTable80Columns(t *testing.T) {
	t.Parallel()
	today := time.Date(2019, time.June, 10, 9, 0, 0, 0, time.UTC)
	for _, u := range mockserver.DefaultUsers(today) {
		t.Run(u.Username, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, export.WriteTable(&buf, &snapshot.Snapshot{Time: snapTime, Items: u.Roster}, 80))
			out := buf.String()
			checkLines(t, out, 80)
			assert.NotContains(t, out, "…")
			shiftLines := regexp.MustCompile(`(?m)^ *(\w{3} \d\d \w{3} +)?(\d\d:\d\d–\d\d:\d\d|all day)`).FindAllString(out, -1)
			assert.Len(t, shiftLines, len(u.Roster), "one line per shift:\n%s", out)
			for _, it := range u.Roster {
				for _, f := range it.Detail[1:] {
					assert.Contains(t, out, f.Value)
				}
				assert.Contains(t, out, it.Title)
				for _, w := range it.Warnings {
					assert.Contains(t, out, w)
				}
			}
		})
	}
}

// Every piece of text the roster holds shows up somewhere, flat or
// grouped: extra details and warnings are never dropped, and the times
// are there as read.
func TestWriteTableKeepsEverything(t *testing.T) {
	t.Parallel()
	snap := tableCases[len(tableCases)-2].snap // extra-details
	for _, width := range []int{0, 60} {
		var buf bytes.Buffer
		require.NoError(t, export.WriteTable(&buf, snap, width))
		flat := strings.Join(strings.Fields(buf.String()), " ")
		assert.NotContains(t, flat, "…")
		for _, it := range snap.Items {
			assert.Contains(t, flat, "10:30–18:06")
			for _, f := range it.Detail[1:] {
				assert.Contains(t, flat, f.Value)
			}
			assert.Contains(t, flat, it.Title)
			for _, w := range it.Warnings {
				assert.Contains(t, flat, w)
			}
		}
	}
}

// Times read as a person reads them, in either layout.
func TestWriteTableTimes(t *testing.T) {
	t.Parallel()
	d := date(2019, 6, 11)
	for _, tc := range []struct{ first, name, want string }{
		{"07:00 - 15:30", "Day Shift", "07:00–15:30"},
		{"7:00-15:30", "Day Shift", "07:00–15:30"},
		{"21:30 – 07:30", "Night Shift", "21:30–07:30"},
		{"Oncall (20:30 - 08:30)", "On Call", "20:30–08:30 on call"},
		{"On-call", "Standby", "on call"},
		{"Oncall (20:30 - 08:30)", "Annual Leave", "all day"},
		{"TBA", "Day Shift", "TBA"},
		{"14:30 - 24:00", "Late", "14:30–24:00"},
	} {
		s := &snapshot.Snapshot{Time: snapTime, Items: []snapshot.Item{{Date: d, Title: "W", Detail: fields(tc.first, nil, tc.name, "R")}}}
		for _, width := range []int{0, 44} {
			var buf bytes.Buffer
			require.NoError(t, export.WriteTable(&buf, s, width))
			assert.Regexp(t, `(?m)^ *Tue 11 Jun( 2019)?  `+regexp.QuoteMeta(tc.want)+` +`+tc.name, buf.String(), "%q at %d", tc.first, width)
		}
	}
}

func TestWriteTableEmpty(t *testing.T) {
	t.Parallel()
	for _, s := range []*snapshot.Snapshot{{Time: snapTime}, {Time: snapTime, Items: []snapshot.Item{}}} {
		var buf bytes.Buffer
		require.NoError(t, export.WriteTable(&buf, s, 80))
		assert.Equal(t, "Roster as of Mon 10 Jun 2019 08:03 UTC: no shifts\n", buf.String())
	}
}

// Any roster at any width: no panic, no line too long.
func TestWriteTableRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"", "a", "Day Shift", "Registered Nurse Div 1", "Zoë", "病院", "Ward 4B - Royal Melbourne", "x\ny", strings.Repeat("long", 30)}
	for range 300 {
		n := rng.IntN(6)
		s := &snapshot.Snapshot{Time: snapTime}
		for range n {
			it := snapshot.Item{Date: date(2019, 6, 1+rng.IntN(3)), Title: words[rng.IntN(len(words))]}
			for range rng.IntN(8) {
				if rng.IntN(4) == 0 {
					it.Detail = append(it.Detail, snapshot.Empty)
				} else {
					it.Detail = append(it.Detail, snapshot.Text(words[rng.IntN(len(words))]))
				}
			}
			for range rng.IntN(3) {
				it.Warnings = append(it.Warnings, words[rng.IntN(len(words))])
			}
			s.Items = append(s.Items, it)
		}
		width := rng.IntN(120) - 5
		var buf bytes.Buffer
		require.NoError(t, export.WriteTable(&buf, s, width))
		checkLines(t, buf.String(), width)
	}
}

func TestWriteJSONGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		snap *snapshot.Snapshot
	}{
		{"typical", typical()},
		{"empty", &snapshot.Snapshot{Time: snapTime}},
		{"demo", demo()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, export.WriteJSON(&buf, tc.snap))
			golden(t, tc.name+".json", buf.String())

			var back snapshot.Snapshot
			require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
			assert.True(t, tc.snap.Time.Equal(back.Time))
			if len(tc.snap.Items) == 0 {
				assert.Empty(t, back.Items)
			} else {
				assert.Equal(t, tc.snap.Items, back.Items)
			}
		})
	}
}

func TestWriteJSONForm(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, export.WriteJSON(&buf, typical()))
	out := buf.String()
	assert.True(t, strings.HasPrefix(out, "{\n  \"time\": \"2019-06-10T08:03:12Z\",\n  \"items\": [\n"), out)
	assert.True(t, strings.HasSuffix(out, "}\n"))
	assert.Contains(t, out, `"10:30 - 18:06",`+"\n        null,")

	buf.Reset()
	require.NoError(t, export.WriteJSON(&buf, &snapshot.Snapshot{Time: snapTime,
		Items: []snapshot.Item{{Date: date(2019, 6, 11), Title: "Theatre & <Recovery>"}}}))
	assert.Contains(t, buf.String(), `"title": "Theatre & <Recovery>"`, "no HTML escaping")
	assert.Contains(t, buf.String(), `"detail": []`)
}

func TestWriteShiftsJSON(t *testing.T) {
	t.Parallel()
	mel, err := time.LoadLocation("Australia/Melbourne")
	require.NoError(t, err)
	snap := &snapshot.Snapshot{Time: time.Date(2026, 4, 1, 8, 3, 12, 0, time.UTC), Items: []snapshot.Item{
		{Date: date(2026, 4, 4), Title: "Ward 4B & <Theatre>", Detail: fields("21:00 - 07:00", nil, "Night Shift", "RN")},
		{Date: date(2026, 4, 6), Title: "Ward 4B", Detail: fields("09:00 - 16:36", nil, "Annual Leave", "RN"),
			Warnings: []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}},
	}}
	var buf bytes.Buffer
	require.NoError(t, export.WriteShiftsJSON(&buf, snap, mel))
	out := buf.String()
	// WriteJSON's layout, the interpretation after the raw fields.
	assert.True(t, strings.HasPrefix(out, "{\n  \"time\": \"2026-04-01T08:03:12Z\",\n  \"items\": [\n    {\n      \"date\": \"2026-04-04\",\n"), out)
	assert.Contains(t, out, `"title": "Ward 4B & <Theatre>"`, "no HTML escaping")
	assert.Contains(t, out, "\n      \"warnings\": [],\n      \"start\": \"2026-04-04T21:00:00+11:00\",\n      \"end\": \"2026-04-05T07:00:00+10:00\",\n")
	assert.Contains(t, out, `"kind": "leave"`)
	assert.True(t, strings.HasSuffix(out, "  ]\n}\n"), out)

	var back snapshot.Snapshot
	require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
	assert.Equal(t, snap.Items, back.Items)
	assert.True(t, snap.Time.Equal(back.Time))

	buf.Reset()
	require.NoError(t, export.WriteShiftsJSON(&buf, &snapshot.Snapshot{Time: snapTime}, nil))
	assert.Equal(t, "{\n  \"time\": \"2019-06-10T08:03:12Z\",\n  \"items\": []\n}\n", buf.String())
}

func TestWriteChangesJSON(t *testing.T) {
	t.Parallel()
	before := typical()
	after := typical()
	after.Items = after.Items[1:]
	after.Items[0].Title = "Theatre & Recovery"
	var buf bytes.Buffer
	require.NoError(t, export.WriteChangesJSON(&buf, snapshot.Diff(before, after), time.UTC))
	out := buf.String()
	assert.True(t, strings.HasPrefix(out, "{\n  \"old_time\": \"2019-06-10T08:03:12Z\",\n"), out)
	assert.Contains(t, out, `"title": "Theatre & Recovery"`)
	var got struct {
		Changes []struct {
			Change string
			Old    *struct{ Kind string }
			New    *struct{ Kind string }
		}
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	require.Len(t, got.Changes, 2)
	assert.Equal(t, "removed", got.Changes[0].Change)
	assert.Equal(t, "work", got.Changes[0].Old.Kind)
	assert.Nil(t, got.Changes[0].New)

	buf.Reset()
	require.NoError(t, export.WriteChangesJSON(&buf, snapshot.Diff(before, before), nil))
	assert.Equal(t, "{\n  \"old_time\": \"2019-06-10T08:03:12Z\",\n  \"new_time\": \"2019-06-10T08:03:12Z\",\n  \"changes\": []\n}\n", buf.String())
}

func TestNilSnapshot(t *testing.T) {
	t.Parallel()
	assert.Error(t, export.WriteJSON(&bytes.Buffer{}, nil))
	assert.Error(t, export.WriteShiftsJSON(&bytes.Buffer{}, nil, time.UTC))
	assert.Error(t, export.WriteTable(&bytes.Buffer{}, nil, 80))
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	assert.ErrorContains(t, export.WriteTable(failWriter{}, demo(), 80), "disk full")
	assert.ErrorContains(t, export.WriteJSON(failWriter{}, demo()), "disk full")
	assert.ErrorContains(t, export.WriteShiftsJSON(failWriter{}, demo(), time.UTC), "disk full")
}
