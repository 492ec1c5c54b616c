//go:build unix

package main

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// secureStateDir checks that the state folder dir, which exists, is this
// user's own and open to no one else. It refuses one that belongs to
// another user or is a shared folder (sticky, like /tmp), and makes one
// that others may read, search or write 0700, returning the mode it had
// (0 when it changed nothing).
func secureStateDir(dir string) (was fs.FileMode, err error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, fmt.Errorf("checking the state folder: %w", err)
	}
	if !fi.IsDir() {
		return 0, fmt.Errorf("the state folder %s is not a folder", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return 0, fmt.Errorf("the state folder %s belongs to uid %d, not to uid %d that rosteron runs as: "+
			"its owner could read the roster and the feed's token, or change them; "+
			"use a folder of this user's (--state), or run rosteron as its owner", dir, st.Uid, os.Geteuid())
	}
	if fi.Mode()&fs.ModeSticky != 0 {
		return 0, fmt.Errorf("the state folder %s is a shared folder (sticky, like /tmp): "+
			"give --state a folder of rosteron's own inside it", dir)
	}
	perm := fi.Mode().Perm()
	if perm&0o077 == 0 {
		return 0, nil
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return 0, fmt.Errorf("the state folder %s is mode %04o, open to other users, and making it 0700 failed: %w", dir, perm, err)
	}
	return perm, nil
}
