package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// errHelp is returned by parseArgs for -h, -help and --help.
var errHelp = errors.New("help requested")

// usageError is a mistake in the command line: exit status 2.
type usageError struct {
	cmd string // the command whose --help to point to; "" for the top level
	msg string
}

func (e *usageError) Error() string {
	if e.cmd == "" {
		return e.msg + " (see 'rosteron help')"
	}
	return e.msg + " (see 'rosteron " + e.cmd + " --help')"
}

func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// newFlagSet returns a flag set that reports nothing itself: run prints
// one line per error, and help text of its own.
func newFlagSet(cmd string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseArgs parses args with fs, allowing flags before, between and after
// the positional arguments, which it returns in order. As with the flag
// package, -flag and --flag are the same, and a value is given as
// --flag=value or --flag value (booleans only the first way); "--" ends the
// flags and a lone "-" is an argument (standard input, by convention).
//
// The flag package stops at the first argument that is not a flag, so
// parseArgs sorts args into flags and arguments first and hands fs only
// the flags. An unknown flag is reported by name alone: whatever follows
// "=" may be a secret typed in the wrong place.
func parseArgs(cmd string, fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			pos = append(pos, arg)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimPrefix(arg[1:], "-"), "=")
		if name == "h" || name == "help" {
			return nil, errHelp
		}
		f := fs.Lookup(name)
		if f == nil {
			return nil, unknownFlag(cmd, name)
		}
		flags = append(flags, arg)
		if hasValue || isBool(f) {
			continue
		}
		if i+1 == len(args) {
			return nil, usagef(cmd, "flag --%s needs a value", name)
		}
		i++
		flags = append(flags, args[i])
	}
	if err := fs.Parse(flags); err != nil {
		// The flag package's messages name flags with one dash; say it
		// the way the help text does.
		msg := strings.NewReplacer("flag -", "flag --", "for -", "for --").Replace(err.Error())
		return nil, usagef(cmd, "%s", msg)
	}
	return pos, nil
}

func unknownFlag(cmd, name string) error {
	if name == "password" {
		return usagef(cmd, "there is no --password flag, so that passwords stay out of shell history and process lists: "+
			"use --password-file or --password-stdin, set ROSTERON_PASSWORD, or type it at the prompt")
	}
	return usagef(cmd, "unknown flag --%s", name)
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
