//go:build windows

package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// errLocked is a lock another process holds.
var errLocked = errors.New("held by another process")

// lockFile takes an exclusive lock on the file at path, made if need be,
// without waiting: errLocked when another process holds it. It is
// LockFileEx's lock on the file's first byte, which Windows lets go when
// the handle is closed or the process ends, whatever ends it (a crash
// leaves no lock behind); unlock lets it go sooner.
func lockFile(path string) (unlock func(), err error) {
	return lockEx(path, windows.LOCKFILE_EXCLUSIVE_LOCK)
}

// lockShared takes a shared lock on the file at path, without waiting:
// errLocked while another process holds it exclusively. Any number of
// processes may hold it shared at once.
func lockShared(path string) (unlock func(), err error) { return lockEx(path, 0) }

func lockEx(path string, how uint32) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the lock %s: %w", path, err)
	}
	ol := new(windows.Overlapped)
	if err := windows.LockFileEx(windows.Handle(f.Fd()), how|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol); err != nil {
		_ = f.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() {
		_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
		_ = f.Close()
	}, nil
}
