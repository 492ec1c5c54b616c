package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

const parseUsage = `Usage: rosteron parse FILE [--format table|json]
       rosteron parse - [--format table|json]

Prints a roster page saved from RosterOn Mobile, offline: no browser, no
network. FILE is the page's HTML, as a browser saves it, or the
...-roster-0.txt file of 'rosteron roster --save-logs'; "-" reads it from
standard input.

The roster's time is the file's modification time, in UTC; for standard
input it is the time now.

Flags:
  --format FORMAT  table or json (default table)
  -h, --help       print this help

Exit status: 0 success, 1 error (such as a file that cannot be read),
2 usage error, 4 not a roster page, or one that cannot be read with
certainty.
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
	if err := o.check(cmd); err != nil {
		return err
	}

	name := pos[0]
	var r io.Reader
	var when time.Time
	if name == "-" {
		name, r, when = "standard input", c.stdin, time.Now().UTC()
	} else {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory, not a saved roster page", name)
		}
		r, when = f, fi.ModTime().UTC()
	}
	page, err := readAll(ctx, r, maxPage, false)
	if errors.Is(err, errTooLong) {
		return &pageError{name, fmt.Errorf("%w: over %d MiB, far more than any roster page", snapshot.ErrNotRoster, maxPage>>20)}
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	items, err := snapshot.Parse(bytes.NewReader(page))
	if err != nil {
		return &pageError{name, err}
	}
	return c.print(&snapshot.Snapshot{Time: when, Items: items}, o.format)
}

// pageError names the page that could not be read as a roster.
type pageError struct {
	name string
	err  error
}

func (e *pageError) Error() string { return e.name + ": " + e.err.Error() }
func (e *pageError) Unwrap() error { return e.err }
