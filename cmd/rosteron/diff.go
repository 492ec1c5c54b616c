package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/snapshot"
)

const diffUsage = `Usage: rosteron diff OLD NEW [flags]

Compares two rosters and prints the shifts added, removed and changed,
date by date. OLD and NEW are each JSON written by --format json (of
roster, parse or demo) or a roster page saved from RosterOn; "-" reads one
of them from standard input. A shift whose times or details change on the
same date is changed, not removed and added. The rosters' times and the
order of their shifts do not count.

The text output has a line per shift: "-" removed, "+" added, "~" changed,
then the date, the times, the shift's name and the title, with "old → new"
where they changed; indented lines below give other changed details and
warnings:

  ~ Tue 2026-04-07  07:00 - 15:30 → 09:00 - 17:30  Day Shift  Ward 4B
  - Wed 2026-04-08  13:00 - 21:30  Late Shift  Ward 4B
  + Thu 2026-04-09  07:00 - 15:30  Day Shift  Ward 4B

It is empty when the rosters hold the same shifts. The JSON output is
{"old_time", "new_time", "changes"}, "changes" an empty array when the
rosters hold the same shifts; each change has "change" (added, removed or
changed), "date", "parts" (what changed) and "old" and "new" as --format
json writes a shift, read in --tz, or null.

Flags:
  --format FORMAT     text or json (default text)
  --tz ZONE           the time zone the JSON output reads the shifts' times
                      in, as an IANA name such as Australia/Melbourne
                      (default $TZ, else none: times without an offset)
  -h, --help          print this help

Example, a cron job that mails the changes:
  rosteron roster --format json --output new.json || exit
  rosteron diff old.json new.json > changes.txt
  [ $? = 1 ] && mail -s "Roster changed" me@example.com < changes.txt
  mv new.json old.json

Exit status, as diff(1)'s: 0 the rosters hold the same shifts, 1 they
differ, 2 trouble: a usage error, or a file that cannot be read or is not
a roster; 130 or 143 when interrupted by SIGINT or SIGTERM.
`

// diffTrouble is diff's exit status for any error, as diff(1)'s is: 1
// means the rosters differ.
const diffTrouble = 2

// errDiffer ends a diff whose rosters differ: exit status 1, with nothing
// on stderr.
var errDiffer = quietExit(1)

func (c *cli) diff(ctx context.Context, args []string) error {
	err := c.runDiff(ctx, args)
	var quiet quietExit
	if err == nil || errors.As(err, &quiet) {
		return err
	}
	return &statusError{err: err, code: diffTrouble}
}

func (c *cli) runDiff(ctx context.Context, args []string) error {
	const cmd = "diff"
	fs := newFlagSet(cmd)
	format := fs.String("format", "text", "")
	tz := fs.String("tz", "", "")
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef(cmd, "diff takes two files, OLD and NEW (got %d arguments)", len(pos))
	}
	if pos[0] == "-" && pos[1] == "-" {
		return usagef(cmd, "only one of OLD and NEW can be - (standard input)")
	}
	*format = strings.ToLower(*format)
	if *format != "text" && *format != "json" {
		return usagef(cmd, "invalid --format %q: want text or json", *format)
	}
	loc, err := loadZone(cmd, *tz, c.getenv)
	if err != nil {
		return err
	}

	before, err := c.readSnapshot(ctx, pos[0])
	if err != nil {
		return err
	}
	after, err := c.readSnapshot(ctx, pos[1])
	if err != nil {
		return err
	}
	changes := snapshot.Diff(before, after)

	var buf bytes.Buffer
	if *format == "json" {
		err = export.WriteChangesJSON(&buf, changes, loc)
	} else {
		err = export.WriteChangesText(&buf, changes)
	}
	if err != nil {
		return err
	}
	if _, err := c.stdout.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the differences: %w", err)
	}
	if !changes.Empty() {
		return errDiffer
	}
	return nil
}

// quietExit ends a command with an exit status other than 0 that is not
// an error to report, such as diff's 1.
type quietExit int

func (q quietExit) Error() string { return fmt.Sprintf("exit status %d", int(q)) }

// statusError is an error whose exit status its command sets, following
// a convention other than rosteron's (diff's, diff(1)'s).
type statusError struct {
	err  error
	code int
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }
