package main

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
