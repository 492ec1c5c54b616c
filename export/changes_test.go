package export_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/snapshot"
)

// The text of TestDiff's cases is checked in snapshot/diff_text_test.go,
// against the changes Diff finds there.

// A Change made by hand, with its shifts missing, still prints.
func TestWriteChangesTextOfAChangeMadeByHand(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	c := snapshot.Changes{Shifts: []snapshot.Change{
		{Kind: snapshot.Changed, Date: date(2026, 4, 7), Parts: []string{snapshot.PartTimes, snapshot.PartWarnings}},
		{Kind: snapshot.Added},
	}}
	require.NoError(t, export.WriteChangesText(&b, c))
	lines := strings.SplitAfter(b.String(), "\n")
	require.Len(t, lines, 3, b.String())
	assert.Equal(t, "~ Tue 2026-04-07\n", lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "+ "), lines[1])
	assert.NoError(t, export.WriteChangesText(&b, snapshot.Changes{}))
	assert.ErrorContains(t, export.WriteChangesText(failWriter{}, c), "disk full")
}

// Whatever two rosters differ by, the text is one line per change plus
// indented ones, with no control character but the line ends.
func FuzzWriteChangesText(f *testing.F) {
	f.Add(`{"items":[{"date":"2019-06-11","title":"A","detail":["07:00 - 15:30",null,"Day","RN"]}]}`,
		`{"items":[{"date":"2019-06-11","title":"A\nB\u001b[2J","detail":["09:00 - 15:30","x","Day","RN","extra"],"warnings":["W"]}]}`)
	f.Add(`{"items":[{"date":"2019-06-11","title":"A","detail":[]},{"date":"2019-06-12","title":"B","detail":["\t"]}]}`,
		`{"items":[{"date":"2019-06-12","title":"B","detail":[null,null,null,null,"\u2028"],"warnings":["W","W"]}]}`)
	f.Fuzz(func(t *testing.T, before, after string) {
		a, errA := snapshot.LoadReader(strings.NewReader(before))
		b, errB := snapshot.LoadReader(strings.NewReader(after))
		if errA != nil || errB != nil {
			return
		}
		c := snapshot.Diff(a, b)
		var out bytes.Buffer
		if err := export.WriteChangesText(&out, c); err != nil {
			t.Fatal(err)
		}
		heads := 0
		for _, line := range strings.SplitAfter(out.String(), "\n") {
			if line == "" {
				continue
			}
			if !strings.HasSuffix(line, "\n") {
				t.Fatalf("a line without its end: %q", line)
			}
			if strings.ContainsFunc(strings.TrimSuffix(line, "\n"), unicode.IsControl) {
				t.Fatalf("a control character in %q", line)
			}
			if !strings.HasPrefix(line, " ") {
				heads++
			}
		}
		if heads != len(c.Shifts) {
			t.Fatalf("%d changes written as %d lines of their own:\n%s", len(c.Shifts), heads, out.String())
		}
	})
}

// The interpretation of WriteShiftsJSON, field by field.
func TestWriteShiftsJSONFields(t *testing.T) {
	t.Parallel()
	mel, err := time.LoadLocation("Australia/Melbourne")
	require.NoError(t, err)
	snap := &snapshot.Snapshot{
		Time: time.Date(2026, 4, 1, 8, 3, 12, 0, time.UTC),
		Items: []snapshot.Item{
			{Date: date(2026, 4, 4), Title: "Ward 4B", Detail: fields("21:00 - 07:00", nil, "Night Shift", "RN"),
				Warnings: []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}},
			{Date: date(2026, 4, 6), Title: "Ward 4B & Co", Detail: fields("09:00 - 16:36", nil, "Annual Leave", "RN")},
			{Date: date(2026, 4, 7), Title: "", Detail: fields("TBA")},
		},
	}
	var buf bytes.Buffer
	require.NoError(t, export.WriteShiftsJSON(&buf, snap, mel))
	out := buf.String()
	assert.JSONEq(t, `{"time":"2026-04-01T08:03:12Z","items":[
		{"date":"2026-04-04","title":"Ward 4B","detail":["21:00 - 07:00",null,"Night Shift","RN"],
		 "warnings":["BLOGGS, JOE: Minimum 10 hours between Allocations"],
		 "start":"2026-04-04T21:00:00+11:00","end":"2026-04-05T07:00:00+10:00",
		 "all_day":false,"kind":"work","name":"Night Shift","role":"RN"},
		{"date":"2026-04-06","title":"Ward 4B & Co","detail":["09:00 - 16:36",null,"Annual Leave","RN"],
		 "warnings":[],"start":null,"end":null,"all_day":true,"kind":"leave","name":"Annual Leave","role":"RN"},
		{"date":"2026-04-07","title":"","detail":["TBA"],
		 "warnings":[],"start":null,"end":null,"all_day":false,"kind":"unknown","name":"","role":""}
	]}`, out)
	assert.Contains(t, out, `"Ward 4B & Co"`, "no HTML escaping inside, as for Snapshot")

	// rosteron diff reads what --format json writes.
	var back snapshot.Snapshot
	require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
	assert.True(t, snap.Time.Equal(back.Time))
	assert.Equal(t, snap.Items, back.Items)
	assert.True(t, snapshot.Diff(snap, &back).Empty())

	buf.Reset()
	require.NoError(t, export.WriteShiftsJSON(&buf, &snapshot.Snapshot{}, nil))
	assert.JSONEq(t, `{"time":"0001-01-01T00:00:00Z","items":[]}`, buf.String())
}

// The interpretation of WriteChangesJSON, field by field.
func TestWriteChangesJSONFields(t *testing.T) {
	t.Parallel()
	const restWarning = "BLOGGS, JOE: Minimum 10 hours between Allocations"
	shift := func(d int, title, times, name string, warnings ...string) snapshot.Item {
		return snapshot.Item{Date: date(2026, 4, d), Title: title, Detail: fields(times, nil, name, "RN"), Warnings: warnings}
	}
	oldSnap := &snapshot.Snapshot{Time: time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC), Items: []snapshot.Item{
		shift(7, "Ward 4B", "07:00 - 15:30", "Day Shift"), shift(8, "Ward 4B", "13:00 - 21:30", "Late Shift"),
	}}
	newSnap := &snapshot.Snapshot{Time: time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC), Items: []snapshot.Item{
		shift(7, "Ward 4B", "09:00 - 17:30", "Day Shift"), shift(9, "Theatre & Recovery", "07:00 - 15:30", "Day Shift", restWarning),
	}}
	mel, err := time.LoadLocation("Australia/Melbourne")
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, export.WriteChangesJSON(&buf, snapshot.Diff(oldSnap, newSnap), mel))
	assert.JSONEq(t, `{"old_time":"2026-04-01T08:00:00Z","new_time":"2026-04-02T08:00:00Z","changes":[
		{"change":"changed","date":"2026-04-07","parts":["times"],
		 "old":{"date":"2026-04-07","title":"Ward 4B","detail":["07:00 - 15:30",null,"Day Shift","RN"],"warnings":[],
		        "start":"2026-04-07T07:00:00+10:00","end":"2026-04-07T15:30:00+10:00","all_day":false,"kind":"work","name":"Day Shift","role":"RN"},
		 "new":{"date":"2026-04-07","title":"Ward 4B","detail":["09:00 - 17:30",null,"Day Shift","RN"],"warnings":[],
		        "start":"2026-04-07T09:00:00+10:00","end":"2026-04-07T17:30:00+10:00","all_day":false,"kind":"work","name":"Day Shift","role":"RN"}},
		{"change":"removed","date":"2026-04-08","parts":[],
		 "old":{"date":"2026-04-08","title":"Ward 4B","detail":["13:00 - 21:30",null,"Late Shift","RN"],"warnings":[],
		        "start":"2026-04-08T13:00:00+10:00","end":"2026-04-08T21:30:00+10:00","all_day":false,"kind":"work","name":"Late Shift","role":"RN"},
		 "new":null},
		{"change":"added","date":"2026-04-09","parts":[],"old":null,
		 "new":{"date":"2026-04-09","title":"Theatre & Recovery","detail":["07:00 - 15:30",null,"Day Shift","RN"],"warnings":["`+restWarning+`"],
		        "start":"2026-04-09T07:00:00+10:00","end":"2026-04-09T15:30:00+10:00","all_day":false,"kind":"work","name":"Day Shift","role":"RN"}}
	]}`, buf.String())
	assert.Contains(t, buf.String(), "Theatre & Recovery", "no HTML escaping")

	// Equal snapshots: an empty array; nil reads in UTC.
	buf.Reset()
	require.NoError(t, export.WriteChangesJSON(&buf, snapshot.Diff(oldSnap, oldSnap), nil))
	assert.JSONEq(t, `{"old_time":"2026-04-01T08:00:00Z","new_time":"2026-04-01T08:00:00Z","changes":[]}`, buf.String())
	buf.Reset()
	require.NoError(t, export.WriteChangesJSON(&buf, snapshot.Diff(oldSnap, &snapshot.Snapshot{}), nil))
	assert.Contains(t, buf.String(), `"start": "2026-04-07T07:00:00Z"`)
}
