// Command rosteron reads a shift worker's roster from a RosterOn Mobile web
// app by driving headless Chrome, prints saved roster pages offline, serves
// the roster as a calendar feed, and serves a mock RosterOn to try it
// against. Run "rosteron help" for usage.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	_ "time/tzdata" // --tz takes any IANA zone, whatever the machine has
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	// First of all: a crash from here on leaves no core file, which
	// could hold the password.
	if err := disableCoreDumps(); err != nil {
		fmt.Fprintf(os.Stderr, "rosteron: warning: could not turn off core dumps: %v\n", err)
	}
	ctx, stop := withSignals(context.Background())
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// buildVersion is version, or when the build did not set it, the module
// version the go command recorded (as with go install …@v1.2.3).
func buildVersion() string {
	if version != "dev" && version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// signalError is the cause of a context cancelled by a signal, so that run
// can exit with the shell's code for it (128 + the signal's number).
type signalError struct{ sig os.Signal }

func (e *signalError) Error() string {
	if e.sig == syscall.SIGTERM {
		return "terminated"
	}
	return "interrupted"
}

func (e *signalError) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// withSignals returns a context cancelled, with a *signalError cause, by
// the first SIGINT or SIGTERM. Work in progress then winds down: the
// session logs out and Chrome is stopped. The handler is removed at once,
// so a second signal kills the process the usual way, for someone who
// does not want to wait.
func withSignals(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			signal.Stop(ch)
			cancel(&signalError{sig})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}
