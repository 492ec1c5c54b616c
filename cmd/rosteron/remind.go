package main

import (
	"flag"
	"slices"
	"strings"
	"time"
)

// remindUsage documents remindFlags in the commands' help texts.
const remindUsage = `  --remind DURATIONS  add reminders (VALARM) this long before each work or
                      on-call shift starts, such as 1h or 1h,15m or 1h30m:
                      whole minutes, up to 4 weeks, at most 5 (repeatable);
                      an all-day event's count from the start of its day.
                      Calendars that subscribe to a feed may ignore them:
                      see docs/formats.md
  --remind-leave      give leave the reminders too
`

// Bounds on --remind. Google Calendar takes reminders in whole minutes,
// up to four weeks and five to an event, so every calendar can hold what
// the flag accepts.
const (
	maxReminders    = 5
	maxRemindBefore = 28 * 24 * time.Hour
)

// remindFlags are --remind and --remind-leave.
type remindFlags struct {
	remind stringList // each a comma-separated list of durations
	leave  bool
}

func (f *remindFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.remind, "remind", "")
	fs.BoolVar(&f.leave, "remind-leave", false, "")
}

// parse checks the flags: the reminders' times before the start, ascending
// and each once, and whether leave gets them. No --remind gives none, and
// leave is then false. Its errors are usage errors of cmd.
func (f remindFlags) parse(cmd string) (before []time.Duration, leave bool, err error) {
	if len(f.remind) == 0 {
		if f.leave {
			return nil, false, usagef(cmd, "--remind-leave goes with --remind, which says when: such as --remind 1h --remind-leave")
		}
		return nil, false, nil
	}
	for _, list := range f.remind {
		for item := range strings.SplitSeq(list, ",") {
			d, err := parseReminder(cmd, strings.TrimSpace(item))
			if err != nil {
				return nil, false, err
			}
			before = append(before, d)
		}
	}
	slices.Sort(before)
	before = slices.Compact(before)
	if len(before) > maxReminders {
		return nil, false, usagef(cmd, "invalid --remind: %d reminders; at most %d to a shift", len(before), maxReminders)
	}
	return before, f.leave, nil
}

// parseReminder reads one of --remind's durations.
func parseReminder(cmd, s string) (time.Duration, error) {
	if s == "" {
		return 0, usagef(cmd, "invalid --remind: an empty duration; want durations such as 1h or 1h,15m")
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil && strings.HasSuffix(s, "d"):
		return 0, usagef(cmd, "invalid --remind %q: write days in hours, such as 24h for a day", s)
	case err != nil:
		return 0, usagef(cmd, "invalid --remind %q: want a duration such as 1h, 15m or 1h30m", s)
	case d <= 0:
		return 0, usagef(cmd, "invalid --remind %q: want a time before the shift, more than zero, such as 1h", s)
	case d%time.Minute != 0:
		return 0, usagef(cmd, "invalid --remind %q: want whole minutes, such as 15m", s)
	case d > maxRemindBefore:
		return 0, usagef(cmd, "invalid --remind %q: at most 4 weeks (672h) before", s)
	}
	return d, nil
}
