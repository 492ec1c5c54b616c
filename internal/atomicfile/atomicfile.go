// Package atomicfile replaces files so that a reader, or the next start
// after a crash, finds the old file or the new one and never a part of one.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Seams for tests that need a step to fail, such as a full disk or a
// rename across devices.
var (
	Sync   = (*os.File).Sync
	Rename = os.Rename
)

// Replace writes data to a new hidden file beside target, flushes it to
// disk, closes it and renames it over target; on any error the new file is
// removed and target is left as it was. With exact, the file gets mode
// perm as given; without, perm less the umask, as the shell's > gives.
func Replace(target string, data []byte, perm fs.FileMode, exact bool) (err error) {
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	createPerm := perm
	if exact {
		// Private until the mode is set, whatever the umask.
		createPerm = 0o600
	}
	f, tmp, err := createTemp(dir, base, createPerm)
	if err != nil {
		return err
	}
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				_ = f.Close()
			}
			_ = os.Remove(tmp)
		}
	}()
	if exact {
		if err := f.Chmod(perm); err != nil {
			return err
		}
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := Sync(f); err != nil {
		return err
	}
	closed = true
	if err := f.Close(); err != nil {
		return err
	}
	if err := Rename(tmp, target); err != nil {
		return err
	}
	// The rename lasts once the folder is on disk too. Not every system
	// can sync a folder; the file is in place either way.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// createTemp creates a new hidden file in dir named after base, so that
// renaming it over base is atomic.
func createTemp(dir, base string, perm fs.FileMode) (*os.File, string, error) {
	// Room for the suffix within the 255 bytes most file systems allow.
	if len(base) > 200 {
		base = base[:200]
	}
	for range 100 {
		var r [6]byte
		_, _ = rand.Read(r[:])
		name := filepath.Join(dir, "."+base+".rosteron-"+hex.EncodeToString(r[:])+".tmp")
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
	return nil, "", errors.New("cannot create a temporary file: too many tries")
}
