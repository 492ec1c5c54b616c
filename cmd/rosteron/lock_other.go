//go:build !unix

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// errLocked is a lock another process holds.
var errLocked = errors.New("held by another process")

// lockFile takes the lock at path by making the file, which must not
// exist: without flock, a lock left by a process that crashed must be
// removed by hand.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, errLocked
	}
	if err != nil {
		return nil, fmt.Errorf("making the lock %s: %w", path, err)
	}
	return func() { _ = f.Close(); _ = os.Remove(path) }, nil
}

// lockShared is a no-op without flock: only the exclusive lock is kept.
func lockShared(string) (unlock func(), err error) { return func() {}, nil }
