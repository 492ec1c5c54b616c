package snapshot

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	tue = Date{2026, time.April, 7}
	wed = Date{2026, time.April, 8}
	thu = Date{2026, time.April, 9}
)

const (
	restWarning     = "BLOGGS, JOE: Minimum 10 hours between Allocations"
	overtimeWarning = "BLOGGS, JOE: Allocation for overtime"
)

func dayShift(d Date) Item  { return item(d, "07:00 - 15:30", "Day Shift", "RN") }
func lateShift(d Date) Item { return item(d, "13:00 - 21:30", "Late Shift", "RN") }

func with(it Item, change func(*Item)) Item {
	it.Detail = append([]Field(nil), it.Detail...)
	it.Warnings = append([]string(nil), it.Warnings...)
	change(&it)
	return it
}

// want is a change Diff should find: its kind, date and parts.
type want struct {
	kind  ChangeKind
	date  Date
	parts []string
}

// diffCase is two rosters, the changes Diff should find between them and,
// where given, how export.WriteChangesText writes them (see
// diff_text_test.go, which reads these cases through DiffTextCases).
type diffCase struct {
	name     string
	old, new []Item
	want     []want
	text     string
}

// The snapshots' times in the diff cases.
var (
	diffOldTime = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	diffNewTime = time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC)
)

func (tc diffCase) diff() Changes {
	return Diff(&Snapshot{Time: diffOldTime, Items: tc.old}, &Snapshot{Time: diffNewTime, Items: tc.new})
}

func diffCases() []diffCase {
	return []diffCase{
		{
			name: "identical",
			old:  []Item{dayShift(tue), lateShift(wed)},
			new:  []Item{dayShift(tue), lateShift(wed)},
		},
		{
			name: "reordered but equal",
			old:  []Item{dayShift(tue), lateShift(tue), dayShift(wed)},
			new:  []Item{dayShift(wed), lateShift(tue), dayShift(tue)},
		},
		{
			name: "both empty",
		},
		{
			name: "added",
			old:  []Item{dayShift(tue)},
			new:  []Item{dayShift(tue), with(lateShift(wed), func(it *Item) { it.Warnings = []string{overtimeWarning} })},
			want: []want{{Added, wed, nil}},
			text: "+ Wed 2026-04-08  13:00 - 21:30  Late Shift  Ward 4B\n" +
				"      warning: BLOGGS, JOE: Allocation for overtime\n",
		},
		{
			name: "removed",
			old:  []Item{dayShift(tue), lateShift(wed)},
			new:  []Item{dayShift(tue)},
			want: []want{{Removed, wed, nil}},
			text: "- Wed 2026-04-08  13:00 - 21:30  Late Shift  Ward 4B\n",
		},
		{
			name: "times changed",
			old:  []Item{dayShift(tue)},
			new:  []Item{with(dayShift(tue), func(it *Item) { it.Detail[0] = Text("09:00 - 17:30") })},
			want: []want{{Changed, tue, []string{PartTimes}}},
			text: "~ Tue 2026-04-07  07:00 - 15:30 → 09:00 - 17:30  Day Shift  Ward 4B\n",
		},
		{
			name: "note and role changed",
			old:  []Item{dayShift(tue)},
			new: []Item{with(dayShift(tue), func(it *Item) {
				it.Detail[1] = Text("Cover for Zoë")
				it.Detail[3] = Text("ANUM")
			})},
			want: []want{{Changed, tue, []string{PartNote, PartRole}}},
			text: "~ Tue 2026-04-07  07:00 - 15:30  Day Shift  Ward 4B\n" +
				"      note: (empty) → Cover for Zoë\n" +
				"      role: RN → ANUM\n",
		},
		{
			name: "detail dropped and added after the fourth",
			old:  []Item{with(dayShift(tue), func(it *Item) { it.Detail = append(it.Detail, Text("Extra")) })},
			new: []Item{with(dayShift(tue), func(it *Item) {
				it.Detail = it.Detail[:3]
			})},
			want: []want{{Changed, tue, []string{PartRole, PartDetail}}},
			text: "~ Tue 2026-04-07  07:00 - 15:30  Day Shift  Ward 4B\n" +
				"      role: RN → (none)\n" +
				"      detail 5: Extra → (none)\n",
		},
		{
			name: "title changed",
			old:  []Item{dayShift(tue)},
			new:  []Item{with(dayShift(tue), func(it *Item) { it.Title = "Ward 5A" })},
			want: []want{{Changed, tue, []string{PartTitle}}},
			text: "~ Tue 2026-04-07  07:00 - 15:30  Day Shift  Ward 4B → Ward 5A\n",
		},
		{
			name: "warning added",
			old:  []Item{dayShift(tue)},
			new:  []Item{with(dayShift(tue), func(it *Item) { it.Warnings = []string{restWarning} })},
			want: []want{{Changed, tue, []string{PartWarnings}}},
			text: "~ Tue 2026-04-07  07:00 - 15:30  Day Shift  Ward 4B\n" +
				"      + warning: BLOGGS, JOE: Minimum 10 hours between Allocations\n",
		},
		{
			name: "warning swapped",
			old:  []Item{with(dayShift(tue), func(it *Item) { it.Warnings = []string{restWarning} })},
			new:  []Item{with(dayShift(tue), func(it *Item) { it.Warnings = []string{overtimeWarning} })},
			want: []want{{Changed, tue, []string{PartWarnings}}},
			text: "~ Tue 2026-04-07  07:00 - 15:30  Day Shift  Ward 4B\n" +
				"      - warning: BLOGGS, JOE: Minimum 10 hours between Allocations\n" +
				"      + warning: BLOGGS, JOE: Allocation for overtime\n",
		},
		{
			name: "two shifts on one date, the second changed",
			old:  []Item{dayShift(tue), item(tue, "Oncall (20:30 - 08:30)", "On Call", "ANUM")},
			new:  []Item{dayShift(tue), item(tue, "Oncall (21:00 - 08:30)", "On Call", "ANUM")},
			want: []want{{Changed, tue, []string{PartTimes}}},
			text: "~ Tue 2026-04-07  Oncall (20:30 - 08:30) → Oncall (21:00 - 08:30)  On Call  Ward 4B\n",
		},
		{
			name: "two shifts on one date, the first changed, order swapped",
			old:  []Item{dayShift(tue), item(tue, "Oncall (20:30 - 08:30)", "On Call", "ANUM")},
			new:  []Item{item(tue, "Oncall (20:30 - 08:30)", "On Call", "ANUM"), with(dayShift(tue), func(it *Item) { it.Detail[3] = Text("ANUM") })},
			want: []want{{Changed, tue, []string{PartRole}}},
		},
		{
			name: "pairs by name, not position",
			old:  []Item{lateShift(tue), dayShift(tue)},
			new:  []Item{with(dayShift(tue), func(it *Item) { it.Detail[0] = Text("06:00 - 14:30") }), with(lateShift(tue), func(it *Item) { it.Detail[0] = Text("14:00 - 22:30") })},
			want: []want{{Changed, tue, []string{PartTimes}}, {Changed, tue, []string{PartTimes}}},
			text: "~ Tue 2026-04-07  07:00 - 15:30 → 06:00 - 14:30  Day Shift  Ward 4B\n" +
				"~ Tue 2026-04-07  13:00 - 21:30 → 14:00 - 22:30  Late Shift  Ward 4B\n",
		},
		{
			name: "nothing alike still pairs on its date",
			old:  []Item{dayShift(tue)},
			new:  []Item{{Date: tue, Title: "Emergency", Detail: []Field{Text("21:30 - 07:30"), Empty, Text("Night Shift"), Text("ANUM")}}},
			want: []want{{Changed, tue, []string{PartTitle, PartTimes, PartName, PartRole}}},
			text: "~ Tue 2026-04-07  07:00 - 15:30 → 21:30 - 07:30  Day Shift → Night Shift  Ward 4B → Emergency\n" +
				"      role: RN → ANUM\n",
		},
		{
			name: "one of two removed: the likelier stays",
			old:  []Item{dayShift(tue), lateShift(tue)},
			new:  []Item{with(lateShift(tue), func(it *Item) { it.Detail[3] = Text("ANUM") })},
			want: []want{{Removed, tue, nil}, {Changed, tue, []string{PartRole}}},
			text: "- Tue 2026-04-07  07:00 - 15:30  Day Shift  Ward 4B\n" +
				"~ Tue 2026-04-07  13:00 - 21:30  Late Shift  Ward 4B\n" +
				"      role: RN → ANUM\n",
		},
		{
			name: "moved to another date",
			old:  []Item{dayShift(tue)},
			new:  []Item{dayShift(thu)},
			want: []want{{Removed, tue, nil}, {Added, thu, nil}},
		},
		{
			name: "date order, whatever the page order",
			old:  []Item{dayShift(thu), dayShift(tue)},
			new:  []Item{lateShift(wed)},
			want: []want{{Removed, tue, nil}, {Added, wed, nil}, {Removed, thu, nil}},
		},
		{
			name: "duplicates count",
			old:  []Item{dayShift(tue), dayShift(tue)},
			new:  []Item{dayShift(tue)},
			want: []want{{Removed, tue, nil}},
		},
		{
			name: "empty field differs from a missing one",
			old:  []Item{{Date: tue, Title: "X", Detail: []Field{Text("07:00 - 15:00"), Empty}}},
			new:  []Item{{Date: tue, Title: "X", Detail: []Field{Text("07:00 - 15:00")}}},
			want: []want{{Changed, tue, []string{PartNote}}},
			text: "~ Tue 2026-04-07  07:00 - 15:00  X\n" +
				"      note: (empty) → (none)\n",
		},
		{
			name: "empty field differs from empty text",
			old:  []Item{{Date: tue, Title: "X", Detail: []Field{Empty}}},
			new:  []Item{{Date: tue, Title: "X", Detail: []Field{Text("")}}},
			want: []want{{Changed, tue, []string{PartTimes}}},
		},
		{
			name: "warnings reordered",
			old:  []Item{with(dayShift(tue), func(it *Item) { it.Warnings = []string{restWarning, overtimeWarning} })},
			new:  []Item{with(dayShift(tue), func(it *Item) { it.Warnings = []string{overtimeWarning, restWarning} })},
			want: []want{{Changed, tue, []string{PartWarnings}}},
			text: "~ Tue 2026-04-07  07:00 - 15:30  Day Shift  Ward 4B\n" +
				"      warnings reordered\n",
		},
		{
			name: "control characters cannot break lines",
			old:  []Item{dayShift(tue)},
			new:  []Item{with(dayShift(tue), func(it *Item) { it.Title = "Ward\n4B\x1b[2J" })},
			want: []want{{Changed, tue, []string{PartTitle}}},
			text: "~ Tue 2026-04-07  07:00 - 15:30  Day Shift  Ward 4B → Ward 4B\ufffd[2J\n",
		},
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	for _, tc := range diffCases() {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.diff()
			assert.Equal(t, len(tc.want) == 0, c.Empty())
			assert.Equal(t, diffOldTime, c.OldTime)
			assert.Equal(t, diffNewTime, c.NewTime)
			var got []want
			for _, ch := range c.Shifts {
				got = append(got, want{ch.Kind, ch.Date, ch.Parts})
				assert.Equal(t, ch.Kind != Added, ch.Old != nil, "old shift of %s", ch.Kind)
				assert.Equal(t, ch.Kind != Removed, ch.New != nil, "new shift of %s", ch.Kind)
			}
			assert.Equal(t, tc.want, got)

			// Swapping the sides swaps added and removed and keeps the
			// number of changes.
			back := Diff(&Snapshot{Items: tc.new}, &Snapshot{Items: tc.old})
			assert.Len(t, back.Shifts, len(c.Shifts))
		})
	}
}

func TestDiffNil(t *testing.T) {
	t.Parallel()
	assert.True(t, Diff(nil, nil).Empty())
	assert.True(t, Diff(nil, &Snapshot{}).Empty())
	c := Diff(nil, &Snapshot{Items: []Item{dayShift(tue)}})
	require.Len(t, c.Shifts, 1)
	assert.Equal(t, Added, c.Shifts[0].Kind)

}

func TestDiffJSON(t *testing.T) {
	t.Parallel()
	oldSnap := &Snapshot{Time: time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC), Items: []Item{dayShift(tue), lateShift(wed)}}
	newSnap := &Snapshot{Time: time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC), Items: []Item{
		with(dayShift(tue), func(it *Item) { it.Detail[0] = Text("09:00 - 17:30") }),
		with(dayShift(thu), func(it *Item) { it.Title = "Theatre & Recovery" }),
	}}
	out, err := json.Marshal(Diff(oldSnap, newSnap))
	require.NoError(t, err)
	assert.JSONEq(t, `{"old_time":"2026-04-01T08:00:00Z","new_time":"2026-04-02T08:00:00Z","changes":[
		{"change":"changed","date":"2026-04-07","parts":["times"],
		 "old":{"date":"2026-04-07","title":"Ward 4B","detail":["07:00 - 15:30",null,"Day Shift","RN"]},
		 "new":{"date":"2026-04-07","title":"Ward 4B","detail":["09:00 - 17:30",null,"Day Shift","RN"]}},
		{"change":"removed","date":"2026-04-08","parts":[],
		 "old":{"date":"2026-04-08","title":"Ward 4B","detail":["13:00 - 21:30",null,"Late Shift","RN"]},"new":null},
		{"change":"added","date":"2026-04-09","parts":[],"old":null,
		 "new":{"date":"2026-04-09","title":"Theatre & Recovery","detail":["07:00 - 15:30",null,"Day Shift","RN"]}}
	]}`, string(out))

	out, err = json.Marshal(Diff(oldSnap, oldSnap))
	require.NoError(t, err)
	assert.JSONEq(t, `{"old_time":"2026-04-01T08:00:00Z","new_time":"2026-04-01T08:00:00Z","changes":[]}`, string(out))
}

// randomRoster is up to 11 shifts over four days, drawn from few enough
// values that rosters often share shifts, times, names and warnings.
func randomRoster(rng *rand.Rand) []Item {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	items := make([]Item, rng.IntN(12))
	for i := range items {
		items[i] = item(Date{2026, 4, 1 + rng.IntN(4)}, pick("07:00 - 15:30", "13:00 - 21:30", ""),
			pick("Day", "Late", ""), pick("RN", "ANUM"))
		if rng.IntN(4) == 0 {
			items[i].Warnings = []string{pick(restWarning, overtimeWarning)}
		}
	}
	return items
}

// TestDiffProperties checks, on random rosters, what must hold whatever
// the input: a snapshot equals itself and any shuffle of itself, and the
// changes account for every shift exactly once.
func TestDiffProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	randomItems := func() []Item { return randomRoster(rng) }
	for range 500 {
		a := &Snapshot{Items: randomItems()}
		b := &Snapshot{Items: randomItems()}
		shuffled := &Snapshot{Items: append([]Item(nil), a.Items...)}
		rng.Shuffle(len(shuffled.Items), func(i, j int) {
			shuffled.Items[i], shuffled.Items[j] = shuffled.Items[j], shuffled.Items[i]
		})
		require.True(t, Diff(a, a).Empty())
		require.True(t, Diff(a, shuffled).Empty(), "%v", a.Items)

		c := Diff(a, b)
		olds, news := 0, 0
		for i, ch := range c.Shifts {
			if i > 0 {
				require.False(t, ch.Date.Before(c.Shifts[i-1].Date), "not in date order")
			}
			if ch.Old != nil {
				olds++
			}
			if ch.New != nil {
				news++
			}
			if ch.Kind == Changed {
				require.NotEmpty(t, ch.Parts)
				require.NotEqual(t, itemKey(ch.Old), itemKey(ch.New))
			}
		}
		// Unchanged shifts are the rest; each side has as many as the other.
		require.Equal(t, len(a.Items)-olds, len(b.Items)-news)
	}
}

func TestDiffLargeDate(t *testing.T) {
	// More shifts on one date than Diff weighs pair by pair: it must still
	// finish quickly and pair what is equal.
	var a, b Snapshot
	for i := range 300 {
		a.Items = append(a.Items, item(tue, "07:00 - 15:30", strings.Repeat("x", i%7), "RN"))
	}
	for i := range a.Items {
		b.Items = append(b.Items, a.Items[len(a.Items)-1-i])
	}
	assert.True(t, Diff(&a, &b).Empty())
	b.Items[0].Title = "changed"
	assert.Len(t, Diff(&a, &b).Shifts, 1)
	// How long that takes is BenchmarkDiffLargeDate's to say: no test
	// passes or fails on time.
}

func BenchmarkDiffLargeDate(b *testing.B) {
	var x, y Snapshot
	for i := range 300 {
		x.Items = append(x.Items, item(tue, "07:00 - 15:30", strings.Repeat("x", i%7), "RN"))
	}
	for i := range x.Items {
		y.Items = append(y.Items, x.Items[len(x.Items)-1-i])
	}
	y.Items[0].Title = "changed"
	for b.Loop() {
		if len(Diff(&x, &y).Shifts) != 1 {
			b.Fatal("one change")
		}
	}
}

func TestLoadReader(t *testing.T) {
	t.Parallel()
	snap := Snapshot{Time: time.Date(2026, 4, 1, 8, 3, 12, 0, time.UTC), Items: []Item{dayShift(tue), lateShift(wed)}}
	raw, err := json.Marshal(snap)
	require.NoError(t, err)
	interpreted := interpretedJSON(t, &snap, mustZone(t, "Australia/Melbourne"))
	html := page(divider("Tue 07/04/2026 - Ward 4B") + shift("07:00 - 15:30", "", "Day Shift", "RN"))

	for _, tc := range []struct {
		name, in string
		want     *Snapshot
	}{
		{"json", string(raw), &snap},
		{"interpreted json", string(interpreted), &snap},
		{"json after space and a byte order mark", "\xef\xbb\xbf \n\t" + string(raw) + "\n", &snap},
		{"page", html, &Snapshot{Items: []Item{dayShift(tue)}}},
		{"page after a byte order mark", "\xef\xbb\xbf" + html, &Snapshot{Items: []Item{dayShift(tue)}}},
		{"empty items", `{"time":"2026-04-01T08:03:12Z","items":[]}`, &Snapshot{Time: snap.Time, Items: []Item{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadReader(strings.NewReader(tc.in))
			require.NoError(t, err)
			assert.True(t, tc.want.Time.Equal(got.Time))
			assert.True(t, Diff(tc.want, got).Empty(), "%v", got.Items)
			assert.Len(t, got.Items, len(tc.want.Items))
		})
	}

	for _, tc := range []struct {
		name, in string
		is       error
	}{
		{"empty", "", nil},
		{"only space", " \n ", nil},
		{"login page", `<div data-role="page" id="account-login"></div>`, ErrNotRoster},
		{"broken json", `{"time":`, nil},
		{"two objects", string(raw) + string(raw), nil},
		{"trailing text", string(raw) + "x", nil},
		{"diff output", `{"old_time":"2026-04-01T08:00:00Z","new_time":"2026-04-01T08:00:00Z","changes":[]}`, nil},
		{"null items", `{"items":null}`, nil},
		{"bad item", `{"items":[{"title":"x"}]}`, nil},
		{"array", `[]`, ErrNotRoster},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadReader(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Nil(t, got)
			if tc.is != nil {
				assert.True(t, errors.Is(err, tc.is), "%v", err)
			}
		})
	}
	_, err = LoadReader(nil)
	assert.Error(t, err)
	_, err = LoadReader(iotestErrReader{})
	assert.ErrorContains(t, err, "disk on fire")
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pagePath := filepath.Join(dir, "roster.html")
	require.NoError(t, os.WriteFile(pagePath, []byte(page(divider("Tue 07/04/2026 - Ward 4B")+shift("07:00 - 15:30", "", "Day Shift", "RN"))), 0o600))
	saved := time.Date(2026, 4, 2, 9, 30, 0, 0, time.UTC)
	require.NoError(t, os.Chtimes(pagePath, saved, saved))
	s, err := Load(pagePath)
	require.NoError(t, err)
	assert.True(t, saved.Equal(s.Time), "a page's time is when it was saved: %v", s.Time)
	assert.Equal(t, time.UTC, s.Time.Location())
	assert.Len(t, s.Items, 1)

	jsonPath := filepath.Join(dir, "roster.json")
	require.NoError(t, os.WriteFile(jsonPath, []byte(`{"time":"2026-04-01T08:03:12Z","items":[]}`), 0o600))
	require.NoError(t, os.Chtimes(jsonPath, saved, saved))
	s, err = Load(jsonPath)
	require.NoError(t, err)
	assert.True(t, time.Date(2026, 4, 1, 8, 3, 12, 0, time.UTC).Equal(s.Time), "JSON keeps its own time")

	_, err = Load(filepath.Join(dir, "missing.json"))
	assert.ErrorIs(t, err, fs.ErrNotExist)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{"), 0o600))
	_, err = Load(bad)
	assert.ErrorContains(t, err, bad)
}

func TestChangeWarnings(t *testing.T) {
	t.Parallel()
	w := func(ws ...string) *Item { return &Item{Title: "Ward 4B", Warnings: ws} }
	added, removed := Change{Kind: Changed, Old: w("a", "b", "b"), New: w("b", "c")}.Warnings()
	assert.Equal(t, []string{"c"}, added)
	assert.Equal(t, []string{"a", "b"}, removed, "repeats count")
	added, removed = Change{Kind: Added, New: w("x")}.Warnings()
	assert.Equal(t, []string{"x"}, added)
	assert.Empty(t, removed)
	added, removed = Change{Kind: Removed, Old: w("y")}.Warnings()
	assert.Empty(t, added)
	assert.Equal(t, []string{"y"}, removed)
}
