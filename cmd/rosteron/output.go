package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/internal/atomicfile"
	"github.com/rosteron/rosteron/snapshot"
)

// outputFlags are the flags of every command that prints a roster.
type outputFlags struct {
	format       string
	tz           string
	output       string
	calendarName string
	remind       remindFlags

	// loc is the zone --tz names, set by check.
	loc *time.Location
	// before and remindLeave are --remind and --remind-leave, set by
	// check.
	before      []time.Duration
	remindLeave bool
}

// outputFlagsUsage documents outputFlags in the commands' help texts.
const outputFlagsUsage = `  --format FORMAT     table, json, ics (iCalendar) or csv (default table)
  --tz ZONE           the roster's time zone, an IANA name such as
                      Australia/Melbourne (default $TZ): json, ics and csv
                      give each shift's start and end as instants in it;
                      with no zone they give the times as the roster
                      shows them, without an offset (floating); the
                      table, the roster's clock times
  --output FILE       write FILE instead of standard output, replacing it
                      in one step: it is left as it was if anything fails
  --calendar-name NAME
                      the calendar's name, with --format ics (default
                      "` + export.DefaultCalendarName + `")
` + remindUsage

func (o *outputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.format, "format", "table", "")
	fs.StringVar(&o.tz, "tz", "", "")
	fs.StringVar(&o.output, "output", "", "")
	fs.StringVar(&o.calendarName, "calendar-name", "", "")
	o.remind.register(fs)
}

// check validates the flags, loads the zone and makes sure --output can be
// written to, before anything is fetched or read.
func (o *outputFlags) check(cmd string, getenv func(string) string) error {
	switch strings.ToLower(o.format) {
	case "table", "json", "ics", "csv":
		o.format = strings.ToLower(o.format)
	default:
		return usagef(cmd, "invalid --format %q: want table, json, ics or csv", o.format)
	}
	loc, err := loadZone(cmd, o.tz, getenv)
	if err != nil {
		return err
	}
	o.loc = loc
	if o.calendarName != "" && o.format != "ics" {
		return usagef(cmd, "--calendar-name goes with --format ics only")
	}
	if o.before, o.remindLeave, err = o.remind.parse(cmd); err != nil {
		return err
	}
	if o.before != nil && o.format != "ics" {
		return usagef(cmd, "--remind goes with --format ics only")
	}
	if !o.toStdout() {
		return checkOutputPath(cmd, o.output)
	}
	return nil
}

// loadZone returns the zone the roster's times are read in: the one --tz
// names, else the one $TZ names, else none at all, snapshot.Floating,
// where times are written as the roster shows them, without an offset.
//
// The machine's own zone is never used: in containers and on most servers
// it is UTC, and a 07:00 shift read in UTC lands at 18:00 in Melbourne,
// silently. A zone from TZ is one the user chose. The zone database is
// built into the program (time/tzdata), so any IANA name works on any
// machine.
func loadZone(cmd, name string, getenv func(string) string) (*time.Location, error) {
	if name != "" {
		loc, err := time.LoadLocation(name)
		if err != nil {
			return nil, usagef(cmd, "invalid --tz %q: want an IANA time zone name such as Australia/Melbourne or UTC", name)
		}
		return loc, nil
	}
	tz := getenv("TZ")
	if tz == "" {
		return snapshot.Floating, nil
	}
	loc, err := zoneFromTZ(tz)
	if err != nil {
		return nil, usagef(cmd, "the zone in $TZ, %q, is not an IANA time zone name: give the roster's zone with --tz, such as --tz Australia/Melbourne", tz)
	}
	return loc, nil
}

// zoneFromTZ reads a TZ value as the C library and Go do for a zone
// name: an IANA name, optionally after ":", or the path of a zone file.
// POSIX rules such as "AEST-10AEDT,M10.1.0,M4.1.0/3" are refused rather
// than half understood.
func zoneFromTZ(tz string) (*time.Location, error) {
	tz = strings.TrimPrefix(tz, ":")
	if !filepath.IsAbs(tz) {
		return time.LoadLocation(tz)
	}
	data, err := os.ReadFile(tz)
	if err != nil {
		return nil, err
	}
	name := tz
	if _, after, ok := strings.Cut(tz, "zoneinfo/"); ok {
		name = after
	}
	return time.LoadLocationFromTZData(name, data)
}

// zoneLine says, for people, which zone shifts are read in and why.
func zoneLine(loc *time.Location, tzFlag string) string {
	switch {
	case loc == snapshot.Floating:
		return "shift times as the roster shows them, in no time zone (floating): give --tz ZONE, such as --tz Australia/Melbourne, for exact instants"
	case tzFlag != "":
		return "shift times in " + loc.String() + " (--tz)"
	default:
		return "shift times in " + loc.String() + " (from $TZ)"
	}
}

func (o *outputFlags) toStdout() bool { return o.output == "" || o.output == "-" }

// checkOutputPath reports, as a usage error, an --output that can never be
// written: a directory, or a file in a directory that does not exist.
// Whether the directory is writable is left to the writing, since only
// trying tells for sure.
func checkOutputPath(cmd, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usagef(cmd, "invalid --output %s: it is a directory; name a file", path)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usagef(cmd, "invalid --output %s: there is no directory %s", path, dir)
	}
	return nil
}

// emit writes the roster in the chosen format to stdout, in one write so
// that a failure leaves no half table behind, or to the --output file,
// which is replaced atomically.
func (c *cli) emit(snap *snapshot.Snapshot, o *outputFlags) error {
	var buf bytes.Buffer
	var err error
	switch o.format {
	case "json":
		err = export.WriteShiftsJSON(&buf, snap, o.loc)
	case "ics":
		err = export.WriteICS(&buf, snap, o.loc, export.WithCalendarName(o.calendarName),
			export.WithReminders(o.before, o.remindLeave))
	case "csv":
		err = export.WriteCSV(&buf, snap, o.loc)
	default:
		// People read the table: its heading's time is on their clock
		// (the machine's, when no zone was given: that time is an
		// instant, labelled with its zone, not a shift's). The shifts'
		// times stay as the roster writes them.
		local := *snap
		if o.loc == snapshot.Floating {
			local.Time = local.Time.Local()
		} else {
			local.Time = local.Time.In(o.loc)
		}
		width := export.DefaultWidth
		if o.toStdout() {
			width = c.tableWidth()
		}
		err = export.WriteTable(&buf, &local, width)
	}
	if err != nil {
		return err
	}
	if !o.toStdout() {
		return writeFileAtomic(o.output, buf.Bytes())
	}
	if _, err := c.stdout.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the roster: %w", err)
	}
	return nil
}

// writeFileAtomic replaces the file at path with data so that a reader
// sees the old file or the new one, never a part of one, and so that
// after a failure the old file is as it was: data goes to a new file in
// the same directory, which is flushed to disk, closed and renamed over
// path; on any error the new file is removed.
//
// The file keeps the permissions of the file it replaces; a new file gets
// 0666 less the umask, as the shell's > gives. A symbolic link at path is
// followed, so that the file it points to is replaced and the link kept.
// A path that exists and is not a regular file, such as a named pipe or
// /dev/stdout, is written in place, since it cannot be replaced.
func writeFileAtomic(path string, data []byte) (err error) {
	target := path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if resolved, err := filepath.EvalSymlinks(path); err == nil {
			target = resolved
		}
	}
	perm, keep := fs.FileMode(0o666), false
	if fi, err := os.Stat(target); err == nil {
		switch {
		case fi.IsDir():
			return fmt.Errorf("writing %s: it is a directory", path)
		case !fi.Mode().IsRegular():
			return writeInPlace(path, data)
		}
		perm, keep = fi.Mode().Perm(), true
	}

	if err := atomicfile.Replace(target, data, perm, keep); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeInPlace writes data to a file that cannot be replaced, such as a
// named pipe.
func writeInPlace(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
