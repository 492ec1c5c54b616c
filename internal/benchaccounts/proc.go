package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rosteron/rosteron/internal/chrometest"
)

// cpuUse is processor time: this process's own, and that of its children
// (Chrome and every process it started, those that exited included,
// through the parent that reaped them).
type cpuUse struct{ self, chrome time.Duration }

func (c cpuUse) total() time.Duration { return c.self + c.chrome }

func (c cpuUse) sub(o cpuUse) cpuUse { return cpuUse{c.self - o.self, c.chrome - o.chrome} }

// readCPU reads the processor time of this process's tree from /proc.
func readCPU() cpuUse {
	me := os.Getpid()
	var u cpuUse
	for _, p := range chrometest.Tree(me) {
		own, reaped, ok := chrometest.CPU(p)
		if !ok {
			continue
		}
		if p == me {
			u.self += own
		} else {
			u.chrome += own
		}
		u.chrome += reaped
	}
	return u
}

// status reads a field of /proc/PID/status in bytes: VmRSS, VmHWM.
func status(pid int, field string) int64 { return procField(pid, "status", field) }

// procField reads a field in kB of a /proc/PID file, in bytes.
func procField(pid int, file, field string) int64 {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), file))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// selfHWM is this process's peak RSS.
func selfHWM() int64 { return status(os.Getpid(), "VmHWM") }

// chromeMemory returns the memory a Chrome's processes use now, the sum
// of their proportional set sizes (each shared page divided among those
// that share it, so the sum counts it once), and the largest peak RSS of
// any one of them.
func chromeMemory(pid int) (sum, largest int64) {
	for _, p := range chrometest.Tree(pid) {
		sum += procField(p, "smaps_rollup", "Pss")
		largest = max(largest, status(p, "VmHWM"))
	}
	return sum, largest
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
