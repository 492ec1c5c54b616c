package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/rosteron/rosteron/mockserver"
)

// parseShifts is the roster size the parse timing uses: far above any real
// roster (100 to 200 shifts), so that reading and writing, not starting
// the process, are what is timed.
const parseShifts = 2000

// runParse times `rosteron parse PAGE --format json` as whole processes on
// the mock server's roster of parseShifts shifts, for each binary in bins,
// runs times each, alternating, and writes each binary's median and range
// of wall time and of processor time (user and system) to w. Every run's
// output is checked to hold every shift.
func runParse(w io.Writer, bins []string, runs int) error {
	dir, err := os.MkdirTemp("", "benchcli-parse-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	today := time.Date(2026, time.April, 1, 0, 0, 0, 0, time.UTC)
	var page bytes.Buffer
	if err := mockserver.RenderRoster(&page, mockserver.DemoRosterOf(today, parseShifts)); err != nil {
		return err
	}
	path := filepath.Join(dir, "roster.html")
	if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil {
		return err
	}
	wall := make([][]float64, len(bins))
	cpu := make([][]float64, len(bins))
	for round := -1; round < runs; round++ { // round -1 warms the page cache
		for k := range bins {
			i := (k + round + 1) % len(bins) // turn the order from round to round
			d, c, err := parseOnce(bins[i], path)
			if err != nil {
				return err
			}
			if round >= 0 {
				wall[i] = append(wall[i], d)
				cpu[i] = append(cpu[i], c)
			}
		}
	}
	fmt.Fprintf(w, "rosteron parse --format json of %d shifts (%d KB page), %d runs each, alternating; load average %s\n",
		parseShifts, page.Len()>>10, runs, loadAverage())
	for i, bin := range bins {
		ws, cs := statsOf(wall[i]), statsOf(cpu[i])
		fmt.Fprintf(w, "  %s: wall %.1f ms (%.1f–%.1f), processor %.1f ms (%.1f–%.1f)\n",
			bin, ws.median, ws.min, ws.max, cs.median, cs.min, cs.max)
	}
	return nil
}

// parseOnce runs bin parse on path and returns its wall and processor
// time in milliseconds, having checked that it printed every shift.
func parseOnce(bin, path string) (wall, cpu float64, err error) {
	cmd := exec.Command(bin, "parse", path, "--format", "json")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("%s parse: %w", bin, err)
	}
	wall = float64(time.Since(start)) / 1e6
	ps := cmd.ProcessState
	cpu = float64(ps.UserTime()+ps.SystemTime()) / 1e6
	var got struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		return 0, 0, fmt.Errorf("%s parse printed no roster: %w", bin, err)
	}
	if len(got.Items) != parseShifts {
		return 0, 0, fmt.Errorf("%s parse printed %d shifts, want %d", bin, len(got.Items), parseShifts)
	}
	return wall, cpu, nil
}
