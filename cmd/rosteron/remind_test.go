package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
)

// --remind and --remind-leave read as the help says: durations, sorted,
// each once; mistakes are usage errors that say what to write.
func TestRemindFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args   []string
		before []time.Duration
		leave  bool
		err    string
	}{
		{args: nil},
		{args: []string{"--remind", "1h"}, before: []time.Duration{time.Hour}},
		{args: []string{"--remind", "1h,15m"}, before: []time.Duration{15 * time.Minute, time.Hour}},
		{args: []string{"--remind", " 1h30m , 15m,60m", "--remind-leave"}, before: []time.Duration{15 * time.Minute, time.Hour, 90 * time.Minute}, leave: true},
		{args: []string{"--remind", "15m", "--remind=1h,15m"}, before: []time.Duration{15 * time.Minute, time.Hour}},
		{args: []string{"--remind", "672h"}, before: []time.Duration{672 * time.Hour}},
		{args: []string{"--remind-leave"}, err: "--remind-leave goes with --remind"},
		{args: []string{"--remind", "1d"}, err: "write days in hours"},
		{args: []string{"--remind", "soon"}, err: `invalid --remind "soon": want a duration`},
		{args: []string{"--remind", "0s"}, err: "more than zero"},
		{args: []string{"--remind", "-1h"}, err: "more than zero"},
		{args: []string{"--remind", "90s"}, err: "whole minutes"},
		{args: []string{"--remind", "673h"}, err: "at most 4 weeks"},
		{args: []string{"--remind", "1h,"}, err: "an empty duration"},
		{args: []string{"--remind="}, err: "an empty duration"},
		{args: []string{"--remind", "1m,2m,3m,4m,5m,6m"}, err: "6 reminders; at most 5"},
	}
	for _, tc := range tests {
		fs := newFlagSet("roster")
		var f remindFlags
		f.register(fs)
		_, err := parseArgs("roster", fs, tc.args)
		require.NoError(t, err, "%q", tc.args)
		before, leave, err := f.parse("roster")
		if tc.err != "" {
			var usage *usageError
			require.True(t, errors.As(err, &usage), "%q: a usage error, got %v", tc.args, err)
			assert.Contains(t, err.Error(), tc.err, "%q", tc.args)
			assert.Contains(t, err.Error(), "rosteron roster --help", "%q", tc.args)
			continue
		}
		require.NoError(t, err, "%q", tc.args)
		assert.Equal(t, tc.before, before, "%q", tc.args)
		assert.Equal(t, tc.leave, leave, "%q", tc.args)
	}
}

// --format ics --remind gives each shift's event its reminders, leave
// only with --remind-leave; --remind with another format is a usage
// error, as is a --remind that cannot be read, before anything is read.
func TestParseRemind(t *testing.T) {
	page := writePage(t, dstNights(), mtime)

	r := runWith(t, nil, "", "parse", page, "--format", "ics", "--tz", "Australia/Melbourne", "--remind", "15m,1h")
	require.Equal(t, exitOK, r.code, r.stderr)
	cal, err := ical.NewDecoder(strings.NewReader(r.stdout)).Decode()
	require.NoError(t, err)
	require.Len(t, cal.Events(), 4)
	for i, ev := range cal.Events() {
		summary, err := ev.Props.Text(ical.PropSummary)
		require.NoError(t, err)
		var triggers []string
		for _, a := range ev.Children {
			assert.Equal(t, ical.CompAlarm, a.Name)
			assert.Equal(t, "DISPLAY", a.Props.Get(ical.PropAction).Value)
			desc, err := a.Props.Text(ical.PropDescription)
			require.NoError(t, err)
			assert.Equal(t, summary, desc)
			require.NotNil(t, a.Props.Get(calendar.PropAlarm), "marked as rosteron's")
			assert.Equal(t, "1", a.Props.Get(calendar.PropAlarm).Value)
			triggers = append(triggers, a.Props.Get(ical.PropTrigger).Value)
		}
		if i == 1 { // Annual Leave
			assert.Empty(t, triggers, "leave has none")
			continue
		}
		assert.Equal(t, []string{"-PT15M", "-PT1H"}, triggers, "event %d", i)
	}

	r = runWith(t, nil, "", "parse", page, "--format", "ics", "--remind", "1h", "--remind-leave")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 4, strings.Count(r.stdout, "BEGIN:VALARM\r\n"))

	plain := runWith(t, nil, "", "parse", page, "--format", "ics")
	require.Equal(t, exitOK, plain.code, plain.stderr)
	assert.NotContains(t, plain.stdout, "VALARM")

	for _, args := range [][]string{
		{"--format", "json", "--remind", "1h"},
		{"--format", "ics", "--remind", "1 hour"},
		{"--format", "ics", "--remind-leave"},
	} {
		r := runWith(t, nil, "", append([]string{"parse", page}, args...)...)
		assert.Equal(t, exitUsage, r.code, "%q", args)
		assertOneErrorLine(t, r)
		assert.Contains(t, r.stderr, "--remind", "%q", args)
	}
}
