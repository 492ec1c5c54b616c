package snapshot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below must not depend on the machine's

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// item is a shift with RosterOn's four details; "" stands for an empty <p>.
func item(d Date, times, name, role string) Item {
	f := func(s string) Field {
		if s == "" {
			return Empty
		}
		return Text(s)
	}
	return Item{Date: d, Title: "Ward 4B", Detail: []Field{f(times), Empty, f(name), f(role)}}
}

func TestItemShift(t *testing.T) {
	t.Parallel()
	mel := mustZone(t, "Australia/Melbourne")
	ny := mustZone(t, "America/New_York")
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	apr := Date{2026, time.April, 4}
	for _, tc := range []struct {
		name       string
		loc        *time.Location
		item       Item
		kind       Kind
		start, end time.Time // zero for none
		length     time.Duration
		allDay     bool
	}{
		{"day", mel, item(Date{2026, 6, 9}, "07:00 - 15:30", "Day Shift", "RN"), KindWork,
			at(mel, 2026, 6, 9, 7, 0), at(mel, 2026, 6, 9, 15, 30), 8*time.Hour + 30*time.Minute, false},
		{"overnight", mel, item(Date{2026, 6, 9}, "23:00 - 08:30", "Night", "RN"), KindWork,
			at(mel, 2026, 6, 9, 23, 0), at(mel, 2026, 6, 10, 8, 30), 9*time.Hour + 30*time.Minute, false},
		{"ends at midnight", mel, item(Date{2026, 6, 9}, "14:30 - 00:00", "Late", "RN"), KindWork,
			at(mel, 2026, 6, 9, 14, 30), at(mel, 2026, 6, 10, 0, 0), 9*time.Hour + 30*time.Minute, false},
		{"ends at 24:00", mel, item(Date{2026, 6, 9}, "14:30 - 24:00", "Late", "RN"), KindWork,
			at(mel, 2026, 6, 9, 14, 30), at(mel, 2026, 6, 10, 0, 0), 9*time.Hour + 30*time.Minute, false},
		{"starts at midnight", mel, item(Date{2026, 6, 9}, "00:00 - 08:00", "Early", "RN"), KindWork,
			at(mel, 2026, 6, 9, 0, 0), at(mel, 2026, 6, 9, 8, 0), 8 * time.Hour, false},
		{"ends 23:59 the same day", mel, item(Date{2026, 6, 9}, "16:00 - 23:59", "Evening", "RN"), KindWork,
			at(mel, 2026, 6, 9, 16, 0), at(mel, 2026, 6, 9, 23, 59), 7*time.Hour + 59*time.Minute, false},
		{"equal times are a whole day", mel, item(Date{2026, 6, 9}, "08:00 - 08:00", "Long", "RN"), KindWork,
			at(mel, 2026, 6, 9, 8, 0), at(mel, 2026, 6, 10, 8, 0), 24 * time.Hour, false},
		{"one-digit hour, no spaces", mel, item(Date{2026, 6, 9}, "7:00-15:30", "Day", "RN"), KindWork,
			at(mel, 2026, 6, 9, 7, 0), at(mel, 2026, 6, 9, 15, 30), 8*time.Hour + 30*time.Minute, false},
		{"en dash and extra spaces", mel, item(Date{2026, 6, 9}, "07:00 \u2013  15:30", "Day", "RN"), KindWork,
			at(mel, 2026, 6, 9, 7, 0), at(mel, 2026, 6, 9, 15, 30), 8*time.Hour + 30*time.Minute, false},

		{"Oncall", mel, item(Date{2026, 6, 9}, "Oncall (20:30 - 08:30)", "On Call", "ANUM"), KindOnCall,
			at(mel, 2026, 6, 9, 20, 30), at(mel, 2026, 6, 10, 8, 30), 12 * time.Hour, false},
		{"On call", mel, item(Date{2026, 6, 9}, "On call (20:30 - 08:30)", "X", "Y"), KindOnCall,
			at(mel, 2026, 6, 9, 20, 30), at(mel, 2026, 6, 10, 8, 30), 12 * time.Hour, false},
		{"ON-CALL no parentheses", mel, item(Date{2026, 6, 9}, "ON-CALL 20:30-08:30", "X", "Y"), KindOnCall,
			at(mel, 2026, 6, 9, 20, 30), at(mel, 2026, 6, 10, 8, 30), 12 * time.Hour, false},
		{"on  call with colon", mel, item(Date{2026, 6, 9}, "on  call: (20:30 - 08:30)", "X", "Y"), KindOnCall,
			at(mel, 2026, 6, 9, 20, 30), at(mel, 2026, 6, 10, 8, 30), 12 * time.Hour, false},
		{"marker after the times", mel, item(Date{2026, 6, 9}, "(20:30 - 08:30) oncall", "X", "Y"), KindOnCall,
			at(mel, 2026, 6, 9, 20, 30), at(mel, 2026, 6, 10, 8, 30), 12 * time.Hour, false},
		{"on-call by name", mel, item(Date{2026, 6, 9}, "20:30 - 08:30", "On Call", "Y"), KindOnCall,
			at(mel, 2026, 6, 9, 20, 30), at(mel, 2026, 6, 10, 8, 30), 12 * time.Hour, false},
		{"on-call without times", mel, item(Date{2026, 6, 9}, "Oncall", "X", "Y"), KindOnCall,
			time.Time{}, time.Time{}, 0, false},
		{"not a marker inside a word", mel, item(Date{2026, 6, 9}, "Moncall (20:30 - 08:30)", "X", "Y"), KindUnknown,
			time.Time{}, time.Time{}, 0, false},

		{"annual leave", mel, item(Date{2026, 6, 9}, "09:00 - 16:36", "Annual Leave", "RN"), KindLeave,
			time.Time{}, time.Time{}, 0, true},
		{"sick leave, any case", mel, item(Date{2026, 6, 9}, "09:00 - 16:36", "SICK LEAVE", "RN"), KindLeave,
			time.Time{}, time.Time{}, 0, true},
		{"long service leave without times", mel, item(Date{2026, 6, 9}, "", "Long Service Leave", "RN"), KindLeave,
			time.Time{}, time.Time{}, 0, true},
		{"leave wins over on-call", mel, item(Date{2026, 6, 9}, "Oncall (20:30 - 08:30)", "Leave", "RN"), KindLeave,
			time.Time{}, time.Time{}, 0, true},
		{"leave only as a word", mel, item(Date{2026, 6, 9}, "09:00 - 17:00", "Cleaver", "RN"), KindWork,
			at(mel, 2026, 6, 9, 9, 0), at(mel, 2026, 6, 9, 17, 0), 8 * time.Hour, false},

		{"unreadable", mel, item(Date{2026, 6, 9}, "TBA", "Day", "RN"), KindUnknown, time.Time{}, time.Time{}, 0, false},
		{"empty first detail", mel, item(Date{2026, 6, 9}, "", "Day", "RN"), KindUnknown, time.Time{}, time.Time{}, 0, false},
		{"no details", mel, Item{Date: Date{2026, 6, 9}, Detail: []Field{}}, KindUnknown, time.Time{}, time.Time{}, 0, false},
		{"hour 24 as a start", mel, item(Date{2026, 6, 9}, "24:00 - 08:00", "X", "Y"), KindUnknown, time.Time{}, time.Time{}, 0, false},
		{"trailing text", mel, item(Date{2026, 6, 9}, "07:00 - 15:30 approx", "X", "Y"), KindUnknown, time.Time{}, time.Time{}, 0, false},

		// Melbourne's clocks go back at 03:00 on 5 April 2026 and forward
		// at 02:00 on 4 October 2026.
		{"night as clocks go back", mel, item(apr, "21:00 - 07:00", "Night", "RN"), KindWork,
			at(mel, 2026, 4, 4, 21, 0), at(mel, 2026, 4, 5, 7, 0), 11 * time.Hour, false},
		{"night as clocks go forward", mel, item(Date{2026, 10, 3}, "22:00 - 07:00", "Night", "RN"), KindWork,
			at(mel, 2026, 10, 3, 22, 0), at(mel, 2026, 10, 4, 7, 0), 8 * time.Hour, false},
		{"repeated time is the first", mel, item(Date{2026, 4, 5}, "02:30 - 03:00", "X", "Y"), KindWork,
			time.Date(2026, 4, 4, 15, 30, 0, 0, time.UTC), time.Date(2026, 4, 4, 17, 0, 0, 0, time.UTC), 90 * time.Minute, false},
		{"skipped time moves forward", mel, item(Date{2026, 10, 4}, "02:30 - 05:00", "X", "Y"), KindWork,
			at(mel, 2026, 10, 4, 3, 30), at(mel, 2026, 10, 4, 5, 0), 90 * time.Minute, false},
		{"shift inside the skipped hour", mel, item(Date{2026, 10, 4}, "02:10 - 02:50", "X", "Y"), KindWork,
			at(mel, 2026, 10, 4, 3, 10), at(mel, 2026, 10, 4, 3, 50), 40 * time.Minute, false},
		{"end before start after the gap", mel, item(Date{2026, 10, 4}, "02:30 - 03:15", "X", "Y"), KindWork,
			at(mel, 2026, 10, 4, 3, 30), at(mel, 2026, 10, 4, 3, 30), 0, false},
		// West of UTC time.Date picks the other occurrences; the rules
		// must not depend on the sign of the offset.
		{"New York repeated time is the first", ny, item(Date{2026, 11, 1}, "01:30 - 03:00", "X", "Y"), KindWork,
			time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), 150 * time.Minute, false},
		{"New York skipped time moves forward", ny, item(Date{2026, 3, 8}, "02:30 - 04:00", "X", "Y"), KindWork,
			at(ny, 2026, 3, 8, 3, 30), at(ny, 2026, 3, 8, 4, 0), 30 * time.Minute, false},

		{"year boundary", mel, item(Date{2026, 12, 31}, "22:00 - 07:00", "Night", "RN"), KindWork,
			at(mel, 2026, 12, 31, 22, 0), at(mel, 2027, 1, 1, 7, 0), 9 * time.Hour, false},
		{"29 February", mel, item(Date{2028, 2, 29}, "21:30 - 07:30", "Night", "RN"), KindWork,
			at(mel, 2028, 2, 29, 21, 30), at(mel, 2028, 3, 1, 7, 30), 10 * time.Hour, false},
		{"28 February in a common year", mel, item(Date{2027, 2, 28}, "21:30 - 07:30", "Night", "RN"), KindWork,
			at(mel, 2027, 2, 28, 21, 30), at(mel, 2027, 3, 1, 7, 30), 10 * time.Hour, false},
		{"nil location is UTC", nil, item(Date{2026, 6, 9}, "07:00 - 15:00", "Day", "RN"), KindWork,
			at(time.UTC, 2026, 6, 9, 7, 0), at(time.UTC, 2026, 6, 9, 15, 0), 8 * time.Hour, false},
		{"last representable day", time.UTC, item(Date{9999, 12, 31}, "23:00 - 07:00", "Night", "RN"), KindUnknown,
			time.Time{}, time.Time{}, 0, false},
		{"first day east of UTC", mel, item(Date{1, 1, 1}, "07:00 - 15:00", "Day", "RN"), KindUnknown,
			time.Time{}, time.Time{}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.item.Shift(tc.loc)
			assert.Equal(t, tc.kind, s.Kind)
			assert.Equal(t, tc.allDay, s.AllDay)
			assert.Equal(t, !tc.start.IsZero(), s.HasTimes())
			assert.True(t, tc.start.Equal(s.Start), "start %v, want %v", s.Start, tc.start)
			assert.True(t, tc.end.Equal(s.End), "end %v, want %v", s.End, tc.end)
			assert.Equal(t, tc.length, s.Duration())
			if s.HasTimes() {
				want := tc.loc
				if want == nil {
					want = time.UTC
				}
				assert.Equal(t, want, s.Start.Location(), "instants are in the zone they were read in")
			}
			// The raw item is untouched.
			assert.Equal(t, tc.item, s.Item())
			if len(tc.item.Detail) > 3 {
				assert.Equal(t, tc.item.Detail[2].Value, s.Name)
				assert.Equal(t, tc.item.Detail[3].Value, s.Role)
			}
		})
	}
}

func TestItemClock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, start, end string }{
		{"7:00 - 15:30", "07:00", "15:30"},
		{"Oncall (20:30 - 08:30)", "20:30", "08:30"},
		{"14:30 - 24:00", "14:30", "24:00"},
		{"Oncall", "", ""},
		{"TBA", "", ""},
	} {
		start, end := item(Date{2026, 6, 9}, tc.in, "", "").Clock()
		assert.Equal(t, tc.start, start, tc.in)
		assert.Equal(t, tc.end, end, tc.in)
	}
	start, end := Item{Date: Date{2026, 6, 9}}.Clock()
	assert.Empty(t, start+end)
}

// TestShiftWeirdTimes feeds the time reader text that is nearly, or not at
// all, a time range. None may panic; none may be read as times.
func TestShiftWeirdTimes(t *testing.T) {
	t.Parallel()
	mel := mustZone(t, "Australia/Melbourne")
	for _, in := range []string{
		"", " ", "-", ":", "()", "(", ")", "((07:00 - 15:00))", "(07:00 - 15:00",
		"07:00", "07:00 -", "- 15:00", "07:00 - 15:00 - 23:00", "07:00 15:00",
		"7 - 15", "07.00 - 15.00", "0700 - 1500", "007:00 - 15:00", "07:000 - 15:00",
		"25:00 - 08:00", "07:60 - 08:00", "07:00 - 24:30", "07:00 - 25:00", "-1:00 - 08:00",
		"99999999999999999999:00 - 08:00", "07:00 - 99999999999999999999:00",
		"\u0660\u0667:00 - 15:00", // Arabic-Indic digits
		"０７:００ - １５:００",           // full-width digits
		"07:00\x00- 15:00", "\xff\xfe", strings.Repeat("07:00 - ", 1000),
		"Oncall (Oncall)", "on call call", "call on 07:00 - 15:00", "Oncall ()",
		"Annual Leave", "\u202e07:00 - 15:00",
	} {
		s := item(Date{2026, 6, 9}, in, "Day", "RN").Shift(mel)
		assert.False(t, s.HasTimes(), "%q read as %v - %v", in, s.Start, s.End)
		assert.NotEqual(t, KindWork, s.Kind, in)
		_, err := json.Marshal(s)
		assert.NoError(t, err, in)
	}
}

// A Shift's JSON: the raw fields, then the interpretation, null times
// without times. (export.WriteShiftsJSON writes whole snapshots of them.)
func TestShiftJSON(t *testing.T) {
	t.Parallel()
	out, err := json.Marshal(Shift{Date: Date{2026, 4, 7}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"date":"2026-04-07","title":"","detail":[],"warnings":[],"start":null,"end":null,"all_day":false,"kind":"","name":"","role":""}`, string(out))

	// What export writes, Item's JSON reads back: the raw fields exactly,
	// "warnings": [] as nil.
	mel := mustZone(t, "Australia/Melbourne")
	snap := Snapshot{
		Time: time.Date(2026, 4, 1, 8, 3, 12, 0, time.UTC),
		Items: []Item{
			{Date: Date{2026, 4, 4}, Title: "Ward 4B", Detail: []Field{Text("21:00 - 07:00"), Empty, Text("Night Shift"), Text("RN")},
				Warnings: []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}},
			{Date: Date{2026, 4, 6}, Title: "Ward 4B & Co", Detail: []Field{Text("09:00 - 16:36"), Empty, Text("Annual Leave"), Text("RN")}},
			{Date: Date{2026, 4, 7}, Title: "", Detail: []Field{Text("TBA")}},
		},
	}
	var back Snapshot
	require.NoError(t, json.Unmarshal(interpretedJSON(t, &snap, mel), &back))
	assert.True(t, snap.Time.Equal(back.Time))
	assert.Equal(t, snap.Items, back.Items)
	assert.True(t, Diff(&snap, &back).Empty())
}

// TestLocalInstantEverywhere checks the RFC 5545 rules every quarter hour
// around each transition of several zones in a year: the result
// shows the asked-for time unless that time was skipped, and it is the
// earliest instant that shows it.
func TestLocalInstantEverywhere(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Australia/Melbourne", "Australia/Lord_Howe", "America/New_York", "Europe/London", "Pacific/Chatham", "America/St_Johns", "UTC"} {
		loc := mustZone(t, name)
		skipped, repeated := 0, 0
		for d := (Date{2026, 1, 1}); d.Year == 2026; d = d.AddDays(1) {
			// Days next to a change of offset, and a few others.
			_, offBefore := d.AddDays(-1).Time(loc).Zone()
			_, offAfter := d.AddDays(2).Time(loc).Zone()
			if offBefore == offAfter && d.Day != 15 {
				continue
			}
			for m := 0; m < 24*60; m += 15 {
				c := clock{m / 60, m % 60}
				got := localInstant(d, c, loc)
				if DateOf(got) == d && got.Hour() == c.hour && got.Minute() == c.minute {
					// Existing time: no earlier instant shows it.
					for back := 15 * time.Minute; back <= 3*time.Hour; back += 15 * time.Minute {
						e := got.Add(-back)
						if DateOf(e) == d && e.Hour() == c.hour && e.Minute() == c.minute {
							t.Fatalf("%s %s %s: got %v, but %v is earlier", name, d, c, got, e)
						}
						if l := got.Add(back); DateOf(l) == d && l.Hour() == c.hour && l.Minute() == c.minute {
							repeated++
						}
					}
					continue
				}
				// Skipped time: no instant nearby shows it, and it is read
				// with the offset of before the gap, a few hours earlier.
				skipped++
				wall := time.Date(d.Year, d.Month, d.Day, c.hour, c.minute, 0, 0, time.UTC)
				for u := wall.Add(-15 * time.Hour); u.Before(wall.Add(15 * time.Hour)); u = u.Add(15 * time.Minute) {
					l := u.In(loc)
					if DateOf(l) == d && l.Hour() == c.hour && l.Minute() == c.minute {
						t.Fatalf("%s %s %s: got %v, but %v shows that time", name, d, c, got, l)
					}
				}
				_, offBefore := got.Add(-3 * time.Hour).Zone()
				_, offAfter := got.Zone()
				assert.Greater(t, offAfter, offBefore, "%s %s %s: a gap comes from clocks going forward", name, d, c)
				assert.True(t, got.Equal(wall.Add(-time.Duration(offBefore)*time.Second)),
					"%s %s %s: got %v, want the offset before the gap", name, d, c, got)
			}
		}
		if name != "UTC" {
			assert.Positive(t, skipped, "%s: no skipped time seen", name)
			assert.Positive(t, repeated, "%s: no repeated time seen", name)
		}
	}
}

func BenchmarkShift(b *testing.B) {
	mel := mustZone(b, "Australia/Melbourne")
	it := item(Date{2026, 4, 4}, "Oncall (21:00 - 07:00)", "On Call", "RN")
	for b.Loop() {
		_ = it.Shift(mel)
	}
}

func FuzzItemShift(f *testing.F) {
	for _, s := range []string{"07:00 - 15:30", "Oncall (20:30 - 08:30)", "23:00 - 08:30", "14:30 - 24:00", "02:30 - 03:15", "on-call", "TBA", ""} {
		f.Add(s, "Day Shift", uint8(0), uint16(0))
	}
	f.Add("21:00 - 07:00", "Annual Leave", uint8(1), uint16(93))
	zones := []string{"UTC", "Australia/Melbourne", "America/New_York", "Australia/Lord_Howe", "Pacific/Kiritimati", "Pacific/Pago_Pago"}
	locs := make([]*time.Location, len(zones))
	for i, z := range zones {
		locs[i] = mustZone(f, z)
	}
	f.Fuzz(func(t *testing.T, times, name string, zone uint8, day uint16) {
		it := item(Date{2026, 1, 1}.AddDays(int(day)%800-400), times, name, "RN")
		s := it.Shift(locs[int(zone)%len(locs)])
		switch s.Kind {
		case KindWork, KindOnCall, KindLeave, KindUnknown:
		default:
			t.Fatalf("kind %q", s.Kind)
		}
		if s.HasTimes() {
			if s.End.Before(s.Start) || s.Duration() > 26*time.Hour {
				t.Fatalf("%q: %v to %v", times, s.Start, s.End)
			}
			if s.AllDay {
				t.Fatal("all-day shift with times")
			}
		} else if !s.End.IsZero() || s.Kind == KindWork {
			t.Fatalf("%q: no start but end %v, kind %s", times, s.End, s.Kind)
		}
		if _, err := json.Marshal(s); err != nil {
			t.Fatal(err)
		}
	})
}

// TestShiftFloating reads shifts in no zone: the clock times the roster
// shows, whatever the machine's zone, written without an offset.
func TestShiftFloating(t *testing.T) {
	t.Parallel()
	// 21:00 on 4 April 2026 to 07:00 is 11 hours in Melbourne, where
	// clocks go back that night; in no zone it is the clock's 10.
	night := item(Date{2026, 4, 4}, "21:00 - 07:00", "Night Shift", "RN")
	s := night.Shift(Floating)
	require.True(t, s.HasTimes())
	assert.True(t, IsFloating(s.Start))
	assert.True(t, IsFloating(s.End))
	assert.Equal(t, "2026-04-04T21:00:00", FormatTime(s.Start))
	assert.Equal(t, "2026-04-05T07:00:00", FormatTime(s.End))
	assert.Equal(t, 10*time.Hour, s.Duration())
	assert.Equal(t, 11*time.Hour, night.Shift(mustZone(t, "Australia/Melbourne")).Duration())

	// A start in Melbourne's skipped hour is just a clock time here.
	gap := item(Date{2026, 10, 4}, "02:30 - 03:15", "Early", "RN").Shift(Floating)
	assert.Equal(t, "2026-10-04T02:30:00", FormatTime(gap.Start))
	assert.Equal(t, 45*time.Minute, gap.Duration())

	out, err := json.Marshal(s)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"start":"2026-04-04T21:00:00","end":"2026-04-05T07:00:00"`)

	// A zoned time keeps its offset, and UTC is a zone like any other.
	assert.Equal(t, "2026-04-04T21:00:00Z", FormatTime(night.Shift(time.UTC).Start))
	assert.False(t, IsFloating(night.Shift(nil).Start))
}
