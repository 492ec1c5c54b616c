//go:build !unix && !windows

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// errLocked is a lock another process holds.
var errLocked = errors.New("held by another process")

// A fallback for systems with neither flock (lock_unix.go) nor LockFileEx
// (lock_windows.go), such as Plan 9 and wasip1. Its limits, which
// docs/cli.md tells too:
//   - the lock is the file's existence, so a process that crashes, or is
//     killed, leaves it behind: remove serve.lock by hand once sure that
//     no serve runs;
//   - lockShared takes nothing, so `accounts add` and `rotate-key` do not
//     exclude each other: never run them at once.

// lockFile takes the lock at path by making the file, which must not
// exist.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%w (%s exists: if no rosteron runs on it, one that crashed left it behind, and removing it is safe)", errLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("making the lock %s: %w", path, err)
	}
	return func() { _ = f.Close(); _ = os.Remove(path) }, nil
}

// lockShared takes nothing here: see above.
func lockShared(string) (unlock func(), err error) { return func() {}, nil }
