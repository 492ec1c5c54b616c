//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// errLocked is a lock another process holds.
var errLocked = errors.New("held by another process")

// lockFile takes an exclusive lock on the file at path, made 0600 if need
// be, without waiting: errLocked when another process holds it. The lock
// goes with the process, whatever ends it; unlock lets it go sooner.
func lockFile(path string) (unlock func(), err error) { return flock(path, syscall.LOCK_EX) }

// lockShared takes a shared lock on the file at path, without waiting:
// errLocked while another process holds it exclusively. Any number of
// processes may hold it shared at once.
func lockShared(path string) (unlock func(), err error) { return flock(path, syscall.LOCK_SH) }

func flock(path string, how int) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { _ = f.Close() }, nil
}
