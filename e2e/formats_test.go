package e2e

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	ical "github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// demoRosterAround is the demo roster the mock served during a run that
// started at before and ended at after: the roster follows the mock's
// clock, so a run across midnight may see either day's. match tells the
// right one.
func demoRosterAround(before, after time.Time, match func([]snapshot.Item) bool) []snapshot.Item {
	if items := mockserver.DemoRoster(before); match(items) {
		return items
	}
	return mockserver.DemoRoster(after)
}

func TestCLIRosterICSFile(t *testing.T) {
	needChrome(t)
	requireReachable(t)
	mel, err := time.LoadLocation("Australia/Melbourne")
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "roster.ics")
	before := time.Now()
	r := cli(t, demoEnv(), "", "roster", "--format", "ics", "--tz", "Australia/Melbourne",
		"--calendar-name", "Joe's shifts", "--output", out)
	after := time.Now()
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Empty(t, r.stdout, "the calendar goes to the file only")
	assert.Equal(t, []string{"roster.ics"}, names(t, filepath.Dir(out)), "no temporary file left")

	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	cal, err := ics.ParseCalendar(f)
	require.NoError(t, err)
	events := cal.Events()

	require.NotEmpty(t, events)
	items := demoRosterAround(before, after, func(items []snapshot.Item) bool {
		sh := items[0].Shift(mel)
		start, err := events[0].GetStartAt()
		return err == nil && sh.Start.Equal(start)
	})
	require.Len(t, events, len(items), "one VEVENT per shift")

	props := map[string]string{}
	for _, p := range cal.CalendarProperties {
		props[p.IANAToken] = p.Value
	}
	assert.Equal(t, "Joe's shifts", props["X-WR-CALNAME"])

	uids := map[string]bool{}
	leave := 0
	for i, ev := range events {
		sh := items[i].Shift(mel)
		assert.False(t, uids[ev.Id()], "UID %s repeats", ev.Id())
		uids[ev.Id()] = true
		start := ev.GetProperty(ics.ComponentPropertyDtStart)
		require.NotNil(t, start)
		if sh.Kind == snapshot.KindLeave {
			leave++
			assert.Equal(t, []string{"DATE"}, start.ICalParameters["VALUE"], "leave is all day: event %d", i)
			assert.Equal(t, strings.ReplaceAll(sh.Date.String(), "-", ""), start.Value)
			assert.Equal(t, "TRANSPARENT", ev.GetProperty(ics.ComponentPropertyTransp).Value)
			continue
		}
		require.True(t, sh.HasTimes(), "event %d: %v", i, items[i])
		got, err := ev.GetStartAt()
		require.NoError(t, err)
		assert.True(t, sh.Start.Equal(got), "event %d starts %v, want %v", i, got, sh.Start)
		assert.True(t, strings.HasSuffix(start.Value, "Z"), "UTC instants: %s", start.Value)
		end, err := ev.GetEndAt()
		require.NoError(t, err)
		assert.True(t, sh.End.Equal(end), "event %d ends %v, want %v", i, end, sh.End)
	}
	assert.Positive(t, leave, "the demo roster has leave")

	// A second, independent reader opens it too.
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	other, err := ical.NewDecoder(strings.NewReader(string(data))).Decode()
	require.NoError(t, err)
	assert.Len(t, other.Events(), len(items))

	// A second run replaces the file: the same shifts keep their UIDs, so
	// a calendar that imports it again updates its events.
	r = cli(t, demoEnv(), "", "roster", "--format", "ics", "--tz", "Australia/Melbourne", "--output", out)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	again, err := os.ReadFile(out)
	require.NoError(t, err)
	cal2, err := ics.ParseCalendar(strings.NewReader(string(again)))
	require.NoError(t, err)
	// Across midnight the roster moves a day; otherwise every UID is the
	// same.
	if demoDay(before) == demoDay(time.Now()) {
		require.Len(t, cal2.Events(), len(events))
		for _, ev := range cal2.Events() {
			assert.True(t, uids[ev.Id()], "UID %s is new", ev.Id())
		}
	}
}

func demoDay(t time.Time) string { return t.Format(time.DateOnly) }

func TestCLIRosterCSV(t *testing.T) {
	needChrome(t)
	requireReachable(t)
	r := cli(t, demoEnv(), "", "roster", "--format", "csv", "--tz", "Australia/Melbourne")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	require.NoError(t, err, r.stdout)
	assert.Equal(t, []string{"date", "start", "end", "title", "name", "role", "kind", "warnings", "detail"}, rows[0])
	assert.Len(t, rows, 1+len(mockserver.DemoRoster(time.Now())), "a header and a row per shift")
	kinds := map[string]int{}
	for _, row := range rows[1:] {
		kinds[row[6]]++
		if row[6] == "work" {
			_, err := time.Parse(time.RFC3339, row[1])
			assert.NoError(t, err, "start %q", row[1])
		}
	}
	assert.Positive(t, kinds["work"])
	assert.Positive(t, kinds["leave"])
	assert.Positive(t, kinds["on-call"])
	assert.Zero(t, kinds["unknown"], "every demo shift has readable times")
}

// The cron job: the roster saved as JSON one day, compared with the page
// of a roster that has since changed.
func TestCLIDiffSavedJSONAndChangedPage(t *testing.T) {
	needChrome(t)
	requireReachable(t)
	dir := t.TempDir()
	saved := filepath.Join(dir, "old.json")
	r := cli(t, demoEnv(), "", "roster", "--format", "json", "--output", saved)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Empty(t, r.stdout)

	old, err := snapshot.Load(saved)
	require.NoError(t, err)
	require.NotEmpty(t, old.Items)
	assert.WithinDuration(t, time.Now(), old.Time, time.Minute, "the server's time, from the JSON")

	// The same roster as a page: no change.
	same := filepath.Join(dir, "same.html")
	writeRosterPage(t, same, old.Items)
	r = cli(t, nil, "", "diff", saved, same)
	assert.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Empty(t, r.stdout)
	assert.Empty(t, r.stderr)

	// The first shift moves two hours, the last goes.
	items := make([]snapshot.Item, len(old.Items)-1)
	copy(items, old.Items)
	items[0].Detail = append([]snapshot.Field(nil), items[0].Detail...)
	items[0].Detail[0] = snapshot.Text("09:00 - 17:30")
	moved, dropped := items[0].Date.String(), old.Items[len(old.Items)-1].Date.String()
	changed := filepath.Join(dir, "changed.html")
	writeRosterPage(t, changed, items)

	r = cli(t, nil, "", "diff", saved, changed)
	assert.Equal(t, 1, r.code, "stderr: %s", r.stderr)
	assert.Empty(t, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 2, r.stdout)
	assert.True(t, strings.HasPrefix(lines[0], "~ "), lines[0])
	assert.Contains(t, lines[0], moved)
	assert.Contains(t, lines[0], "→ 09:00 - 17:30")
	assert.True(t, strings.HasPrefix(lines[1], "- "), lines[1])
	assert.Contains(t, lines[1], dropped)

	r = cli(t, nil, "", "diff", "--format", "json", "--tz", "Australia/Melbourne", saved, changed)
	assert.Equal(t, 1, r.code, "stderr: %s", r.stderr)
	var got struct {
		Changes []struct {
			Change string
			Date   string
			Parts  []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	require.Len(t, got.Changes, 2)
	assert.Equal(t, "changed", got.Changes[0].Change)
	assert.Equal(t, moved, got.Changes[0].Date)
	assert.Equal(t, []string{"times"}, got.Changes[0].Parts)
	assert.Equal(t, "removed", got.Changes[1].Change)

	r = cli(t, nil, "", "diff", saved, filepath.Join(dir, "missing.json"))
	assert.Equal(t, 2, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, "no such file or directory")
}

func writeRosterPage(t *testing.T, path string, items []snapshot.Item) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, mockserver.RenderRoster(f, items))
	require.NoError(t, f.Close())
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
