package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rosteron/rosteron/internal/atomicfile"
)

// addressesFile is where serve keeps its feeds' addresses in the state
// folder, 0600: they hold the token, so they go to a log only when asked.
const addressesFile = "addresses.txt"

const addressUsage = `Usage: rosteron address [--state DIR]

Prints the addresses of the calendar feeds and the page of 'rosteron serve',
as it wrote them at its last start in its state folder (` + addressesFile + `,
readable by its user only):

  rosteron serve: iCalendar feed http://127.0.0.1:8765/TOKEN/roster.ics
  rosteron serve: JSON feed http://127.0.0.1:8765/TOKEN/roster.json
  rosteron serve: page http://127.0.0.1:8765/TOKEN/

They hold the feed's secret token: anyone with them can read the roster.
serve prints them itself only when its standard output is a terminal, so
that they stay out of logs such as the journal or 'docker logs'.

Flags:
  --state DIR         serve's state folder (default $XDG_STATE_HOME/rosteron,
                      else ~/.local/state/rosteron, as serve's)
  -h, --help          print this help

Examples:
  docker compose exec serve rosteron address
  sudo rosteron address --state /var/lib/rosteron    # the systemd unit's
`

func (c *cli) address(_ context.Context, args []string) error {
	const cmd = "address"
	flags := newFlagSet(cmd)
	state := flags.String("state", "", "")
	pos, err := parseArgs(cmd, flags, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(cmd, "address takes no arguments, only flags (got %q)", pos[0])
	}
	dir := *state
	if dir == "" {
		if dir, err = defaultStateDir(c.getenv); err != nil {
			var usage *usageError
			if errors.As(err, &usage) {
				usage.cmd = cmd
			}
			return err
		}
	}
	path := filepath.Join(dir, addressesFile)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("no feed addresses in %s: 'rosteron serve' writes them there as it starts, "+
			"with --state %s; has it started with that folder?", dir, dir)
	case err != nil:
		return fmt.Errorf("reading the feed addresses: %w", err)
	}
	_, err = c.stdout.Write(data)
	return err
}

// writeAddresses keeps lines in the state folder's addressesFile, 0600.
func writeAddresses(dir string, lines []string) error {
	data := strings.Join(lines, "\n") + "\n"
	if err := atomicfile.Replace(filepath.Join(dir, addressesFile), []byte(data), 0o600, true); err != nil {
		return fmt.Errorf("saving the feed addresses: %w", err)
	}
	return nil
}

// addressCommand is the command line that prints the addresses kept in
// dir, for serve to say where they are.
func addressCommand(dir string) string {
	if strings.ContainsAny(dir, " \t\n'\"\\$`*?[]{}()<>|&;#~") {
		dir = "'" + strings.ReplaceAll(dir, "'", `'\''`) + "'"
	}
	return "rosteron address --state " + dir
}
