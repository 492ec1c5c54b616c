package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

const parseUsage = `Usage: rosteron parse FILE [flags]
       rosteron parse - [flags]

Prints a roster page saved from RosterOn Mobile, offline: no browser, no
network. FILE is the page's HTML, as a browser saves it, or the
...-roster-0.txt file of 'rosteron roster --save-logs', or JSON written by
--format json (to turn it into another format); "-" reads it from standard
input.

JSON keeps its roster's time. A page has none: its time is the file's
modification time, in UTC, or for standard input the time now.

Flags:
` + outputFlagsUsage + `  -h, --help          print this help

Example:
  rosteron parse roster.json --format ics --output roster.ics

Exit status: 0 success, 1 error (such as a file that cannot be read, or
JSON that is not a roster), 2 usage error, 4 not a roster page, or one
that cannot be read with certainty.
`

// maxPage bounds what parse reads: real roster pages are tens of
// kilobytes, and snapshot.Parse holds the whole page in memory.
const maxPage = 64 << 20

func (c *cli) parse(ctx context.Context, args []string) error {
	const cmd = "parse"
	fs := newFlagSet(cmd)
	var o outputFlags
	o.register(fs)
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef(cmd, "parse takes one FILE, or - for standard input (got %d arguments)", len(pos))
	}
	if err := o.check(cmd, c.getenv); err != nil {
		return err
	}

	// A short run that allocates a few times its input: the collector
	// starts at a heap five times the live one rather than twice, which
	// spares it most of its cycles (see docs/speed.md), and is as it was
	// after, for a caller that runs on (the tests).
	defer debug.SetGCPercent(debug.SetGCPercent(400))

	snap, err := c.readSnapshot(ctx, pos[0])
	if err != nil {
		return err
	}
	return c.emit(snap, &o)
}

// readSnapshot reads the roster in the file name, or standard input when
// name is "-": a saved roster page or JSON written by --format json (see
// snapshot.LoadReader). A roster without a time, as a page is, gets the
// file's modification time in UTC, or the time now for standard input.
func (c *cli) readSnapshot(ctx context.Context, name string) (*snapshot.Snapshot, error) {
	var r io.Reader
	var when time.Time
	regular := false
	if name == "-" {
		name, r, when = "standard input", c.stdin, time.Now().UTC()
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		if fi.IsDir() {
			return nil, fmt.Errorf("%s is a directory, not a saved roster", name)
		}
		r, when, regular = f, fi.ModTime().UTC(), fi.Mode().IsRegular()
	}
	var data []byte
	var err error
	if f, ok := r.(*os.File); ok && regular {
		data, err = readFile(f)
	} else {
		data, err = readAll(ctx, r, maxPage, false)
	}
	if errors.Is(err, errTooLong) {
		return nil, &pageError{name, fmt.Errorf("%w: over %d MiB, far more than any roster", snapshot.ErrNotRoster, maxPage>>20)}
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	snap, err := snapshot.LoadReader(bytes.NewReader(data))
	if err != nil {
		return nil, &pageError{name, err}
	}
	if snap.Time.IsZero() {
		// A page, or JSON without a time.
		snap.Time = when
	}
	return snap, nil
}

// readFile reads a regular file whole, as readAll does but into one
// buffer of the file's size: a roster of 2,000 shifts is 1.5 MB, which
// readAll would copy several times over as its buffer grows. A regular
// file's read does not wait on anyone, so it needs no context; a pipe's
// or a terminal's goes through readAll.
func readFile(f *os.File) ([]byte, error) {
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil && fi.Size() <= maxPage {
		buf.Grow(int(fi.Size()) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, maxPage+1)); err != nil {
		return nil, err
	}
	if buf.Len() > maxPage {
		return nil, errTooLong
	}
	return buf.Bytes(), nil
}

// pageError names the page that could not be read as a roster.
type pageError struct {
	name string
	err  error
}

func (e *pageError) Error() string { return e.name + ": " + e.err.Error() }
func (e *pageError) Unwrap() error { return e.err }
