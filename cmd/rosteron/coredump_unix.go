//go:build unix

package main

import "syscall"

// disableCoreDumps sets RLIMIT_CORE to 0, soft and hard, so that neither
// rosteron nor the Chrome it starts (which inherits the limit) leaves a
// core file holding the password when it crashes. Not PR_SET_DUMPABLE,
// which would also make /proc/PID/environ unreadable to the user.
func disableCoreDumps() error {
	return syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{Cur: 0, Max: 0})
}
