//go:build unix

package main

import (
	"io/fs"
	"syscall"
)

// umask returns the process's umask, which new files are created under.
func umask() fs.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return fs.FileMode(m)
}
