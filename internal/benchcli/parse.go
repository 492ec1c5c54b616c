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

// parseTiming is what timeParse measured for one binary: wall and
// processor time (user and system) of each run, in milliseconds.
type parseTiming struct {
	bin       string
	wall, cpu []float64
}

// timeParse times `rosteron parse PAGE --format json` as whole processes
// on the mock server's roster of parseShifts shifts, for each binary in
// bins, runs times each after one warm-up, alternating and in turned
// order from round to round. Every run's output is checked to hold every
// shift. It returns the page's size with the timings.
func timeParse(bins []string, runs int) (pageSize int, timings []parseTiming, err error) {
	dir, err := os.MkdirTemp("", "benchcli-parse-")
	if err != nil {
		return 0, nil, err
	}
	defer os.RemoveAll(dir)
	today := time.Date(2026, time.April, 1, 0, 0, 0, 0, time.UTC)
	var page bytes.Buffer
	if err := mockserver.RenderRoster(&page, mockserver.DemoRosterOf(today, parseShifts)); err != nil {
		return 0, nil, err
	}
	path := filepath.Join(dir, "roster.html")
	if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil {
		return 0, nil, err
	}
	timings = make([]parseTiming, len(bins))
	for round := -1; round < runs; round++ { // round -1 warms up
		for k := range bins {
			i := (k + round + 1) % len(bins)
			wall, cpu, err := parseOnce(bins[i], path)
			if err != nil {
				return 0, nil, err
			}
			if round >= 0 {
				timings[i].bin = bins[i]
				timings[i].wall = append(timings[i].wall, wall)
				timings[i].cpu = append(timings[i].cpu, cpu)
			}
		}
	}
	return page.Len(), timings, nil
}

// runParse is benchcli -parse: timeParse's figures, written to w.
func runParse(w io.Writer, bins []string, runs int) error {
	size, timings, err := timeParse(bins, runs)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "rosteron parse --format json of %d shifts (%d KB page), %d runs each, alternating; load average %s\n",
		parseShifts, size>>10, runs, loadAverage())
	for _, t := range timings {
		ws, cs := statsOf(t.wall), statsOf(t.cpu)
		fmt.Fprintf(w, "  %s: wall %.1f ms (%.1f–%.1f), processor %.1f ms (%.1f–%.1f)\n",
			t.bin, ws.median, ws.min, ws.max, cs.median, cs.min, cs.max)
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
