//go:build unix

package main

import (
	"os"
	"os/exec"
	"syscall"
)

// noFollow has open refuse a symbolic link as the file's last component,
// and not wait on a FIFO planted in its place.
const noFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// fileModes: files' permission bits mean what they say here.
const fileModes = true

// ownGroup starts the command in a process group of its own, so that a
// Ctrl-C at a terminal reaches rosteron, which stops Chrome itself, and so
// that killGroup reaches every process Chrome started.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(cmd.SysProcAttr)
}

// killGroup kills the command's process group: Chrome and its helpers.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// fileOwner is the uid owning fi's file.
func fileOwner(fi os.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
