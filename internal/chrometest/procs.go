package chrometest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Tree returns pid and the ids of all its descendant processes, read from
// /proc: Chrome's renderers, GPU and utility processes, zygotes and the
// crashpad handler.
func Tree(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f := Stat(p)
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], p)
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// Alive returns those of pids that still run (zombies count as gone).
func Alive(pids []int) []int {
	var alive []int
	for _, p := range pids {
		// A process is in /proc while it runs (read there rather than
		// with kill(2), which only unix has, so that the package vets
		// on every system).
		if f := Stat(p); len(f) == 0 || f[0] == "Z" {
			continue
		}
		alive = append(alive, p)
	}
	return alive
}

// Stat returns the fields of /proc/PID/stat that follow the command name,
// numbered from 0: [0] is the state, [1] the parent's id, [11] and [12]
// the user and system time (fields 3, 4, 14 and 15 of proc(5)). It is nil
// when the process is gone. The command name is skipped whole, as it may
// hold spaces and parentheses; the fields after its closing parenthesis
// are plain.
func Stat(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// CPU reads a process's own processor time and that of the children it
// has reaped, from its Stat; ok is false when the process is gone.
func CPU(pid int) (self, reaped time.Duration, ok bool) {
	f := Stat(pid)
	if len(f) < 15 {
		return 0, 0, false
	}
	ticks := func(k int) time.Duration {
		v, _ := strconv.ParseInt(f[k], 10, 64)
		return time.Duration(v) * time.Second / 100 // USER_HZ is 100 on Linux
	}
	return ticks(11) + ticks(12), ticks(13) + ticks(14), true
}

// Args returns pid's command line as words, nil when the process is gone.
// Chrome rewrites its helpers' titles into one line, so words are split
// at spaces as well as at NULs.
func Args(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return nil
	}
	return strings.FieldsFunc(string(b), func(r rune) bool { return r == 0 || r == ' ' })
}

// Mentioning returns the running processes (zombies aside) whose command
// line holds s, such as a Chrome profile folder that every process of one
// Chrome names.
func Mentioning(s string) []int {
	var found []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), s) {
			found = append(found, p)
		}
	}
	return Alive(found)
}

// Environ returns a process's environment as /proc shows it,
// NUL-separated, or "" for a process that is gone since, or that may not
// be read: a sandboxed helper of Chrome's, when the tests are not root.
// Any other failure to read it fails the test. A caller checks that the
// environment of the process it cares most about was read, so that a
// check of environments never passes for having read none.
//
// The kernel shows a process's environment only once its exec has set it
// up: read straight after a start, it can be empty. So an empty one is
// read again until it is not, the process is gone, or environWait passes.
func Environ(t testing.TB, pid int) string {
	t.Helper()
	deadline := time.Now().Add(environWait)
	for {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
		if os.IsNotExist(err) || os.IsPermission(err) {
			return ""
		}
		if err != nil {
			t.Fatalf("reading process %d's environment: %v", pid, err)
		}
		if len(b) > 0 || time.Now().After(deadline) {
			return string(b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// environWait bounds Environ's wait for an environment to appear.
const environWait = 5 * time.Second
