package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/atomicfile"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

func item(d snapshot.Date, title string, detail ...string) snapshot.Item {
	it := snapshot.Item{Date: d, Title: title, Detail: make([]snapshot.Field, len(detail))}
	for i, s := range detail {
		if s != "" {
			it.Detail[i] = snapshot.Text(s)
		}
	}
	return it
}

// dstNights are Melbourne's two clock changes of 2026 with a night shift
// across each, a day shift and leave.
func dstNights() []snapshot.Item {
	warned := item(snapshot.Date{Year: 2026, Month: time.October, Day: 3}, "Ward 4B", "22:00 - 07:00", "", "Night Shift", "RN")
	warned.Warnings = []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}
	return []snapshot.Item{
		item(snapshot.Date{Year: 2026, Month: time.April, Day: 4}, "Ward 4B", "21:00 - 07:00", "", "Night Shift", "RN"),
		item(snapshot.Date{Year: 2026, Month: time.April, Day: 6}, "Ward 4B", "09:00 - 16:36", "", "Annual Leave", "RN"),
		warned,
		item(snapshot.Date{Year: 2026, Month: time.October, Day: 5}, "Theatre & Recovery", "Oncall (20:30 - 08:30)", "", "On Call", "RN"),
	}
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// Every format written with --output is what standard output gets, and
// the directory holds nothing else afterwards.
func TestParseOutputFile(t *testing.T) {
	page := writePage(t, dstNights(), mtime)
	for _, format := range []string{"table", "json", "ics", "csv"} {
		t.Run(format, func(t *testing.T) {
			want := runWith(t, nil, "", "parse", page, "--format", format, "--tz", "Australia/Melbourne")
			require.Equal(t, exitOK, want.code, want.stderr)
			require.NotEmpty(t, want.stdout)

			dir := t.TempDir()
			out := filepath.Join(dir, "roster."+format)
			r := runWith(t, nil, "", "parse", "--output", out, page, "--format", format, "--tz", "Australia/Melbourne")
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Empty(t, r.stdout)
			assert.Empty(t, r.stderr)
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.Equal(t, want.stdout, string(got))
			assert.Equal(t, []string{"roster." + format}, dirNames(t, dir), "no temporary file left")
			fi, err := os.Stat(out)
			require.NoError(t, err)
			assert.Equal(t, 0o666&^umask(), fi.Mode().Perm(), "a new file is 0666 less the umask, as with >")
		})
	}

	t.Run("replacing keeps the mode", func(t *testing.T) {
		dir := t.TempDir()
		out := filepath.Join(dir, "roster.json")
		require.NoError(t, os.WriteFile(out, []byte("old"), 0o600))
		require.NoError(t, os.Chmod(out, 0o640))
		r := runWith(t, nil, "", "parse", page, "--format", "json", "--output", out)
		require.Equal(t, exitOK, r.code, r.stderr)
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(got), "{\n  \"time\": "), string(got))
		fi, err := os.Stat(out)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o640), fi.Mode().Perm())
		assert.Equal(t, []string{"roster.json"}, dirNames(t, dir))
	})

	t.Run("through a symbolic link", func(t *testing.T) {
		dir := t.TempDir()
		real := filepath.Join(dir, "real.csv")
		require.NoError(t, os.WriteFile(real, []byte("old"), 0o644))
		link := filepath.Join(dir, "link.csv")
		require.NoError(t, os.Symlink("real.csv", link))
		r := runWith(t, nil, "", "parse", page, "--format", "csv", "--output", link)
		require.Equal(t, exitOK, r.code, r.stderr)
		fi, err := os.Lstat(link)
		require.NoError(t, err)
		assert.Equal(t, fs.ModeSymlink, fi.Mode().Type(), "the link stays a link")
		got, err := os.ReadFile(real)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(got), "date,start,end,"), string(got))
		assert.ElementsMatch(t, []string{"real.csv", "link.csv"}, dirNames(t, dir))
	})

	t.Run("dash is standard output", func(t *testing.T) {
		r := runWith(t, nil, "", "parse", page, "--format", "csv", "--output", "-")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.True(t, strings.HasPrefix(r.stdout, "date,start,end,"), r.stdout)
	})
}

// A failure at any step of writing leaves the old file as it was and no
// temporary file behind; so does a roster that cannot be read.
func TestParseOutputFailureLeavesOldFile(t *testing.T) {
	page := writePage(t, dstNights(), mtime)
	diskFull := errors.New("no space left on device (simulated)")
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string)
		args   []string
		code   int
		errMsg string
	}{
		{
			name: "sync fails",
			setup: func(t *testing.T, dir string) {
				orig := atomicfile.Sync
				atomicfile.Sync = func(*os.File) error { return diskFull }
				t.Cleanup(func() { atomicfile.Sync = orig })
			},
			code: exitError, errMsg: "no space left on device (simulated)",
		},
		{
			name: "rename fails",
			setup: func(t *testing.T, dir string) {
				orig := atomicfile.Rename
				atomicfile.Rename = func(string, string) error { return &os.LinkError{Op: "rename", Err: syscall.EXDEV} }
				t.Cleanup(func() { atomicfile.Rename = orig })
			},
			code: exitError, errMsg: "invalid cross-device link",
		},
		{
			name: "directory not writable",
			setup: func(t *testing.T, dir string) {
				if os.Geteuid() == 0 {
					t.Skip("root writes to any directory")
				}
				require.NoError(t, os.Chmod(dir, 0o555))
				t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
			},
			code: exitError, errMsg: "permission denied",
		},
		{
			name: "not a roster",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "login.html"), []byte(`<div data-role="page" id="account-login"></div>`), 0o644))
			},
			args: cmd("login.html"),
			code: exitBadResponse, errMsg: "not a roster page",
		},
	}
	for _, tc := range tests {
		for _, format := range []string{"ics", "json"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				dir := t.TempDir()
				out := filepath.Join(dir, "roster."+format)
				require.NoError(t, os.WriteFile(out, []byte("the old roster\n"), 0o644))
				tc.setup(t, dir)
				args := cmd("parse", page)
				if tc.args != nil {
					args = cmd("parse", filepath.Join(dir, tc.args[0]))
				}
				r := runWith(t, nil, "", append(args, "--format", format, "--output", out)...)
				assert.Equal(t, tc.code, r.code, r.stderr)
				assertOneErrorLine(t, r)
				assert.Contains(t, r.stderr, tc.errMsg)
				got, err := os.ReadFile(out)
				require.NoError(t, err)
				assert.Equal(t, "the old roster\n", string(got))
				for _, name := range dirNames(t, dir) {
					assert.NotContains(t, name, ".tmp", "temporary file left behind")
				}
			})
		}
	}
}

// Times are read in --tz: Melbourne's clock changes give nights of 11 and
// 8 hours, whichever format.
func TestParseTimeZone(t *testing.T) {
	page := writePage(t, dstNights(), mtime)

	r := runWith(t, nil, "", "parse", page, "--format", "json", "--tz", "Australia/Melbourne")
	require.Equal(t, exitOK, r.code, r.stderr)
	var got struct {
		Time  time.Time
		Items []struct {
			Date     string
			Warnings []string
			Start    *time.Time
			End      *time.Time
			AllDay   bool `json:"all_day"`
			Kind     string
			Name     string
			Role     string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	require.Len(t, got.Items, 4)
	night := got.Items[0]
	require.NotNil(t, night.Start)
	assert.Equal(t, "2026-04-04T21:00:00+11:00", night.Start.Format(time.RFC3339))
	assert.Equal(t, "2026-04-05T07:00:00+10:00", night.End.Format(time.RFC3339))
	assert.Equal(t, 11*time.Hour, night.End.Sub(*night.Start))
	assert.Equal(t, "work", night.Kind)
	assert.Equal(t, "Night Shift", night.Name)
	assert.Equal(t, "RN", night.Role)
	assert.Equal(t, []string{}, night.Warnings)

	leave := got.Items[1]
	assert.Equal(t, "leave", leave.Kind)
	assert.True(t, leave.AllDay)
	assert.Nil(t, leave.Start)
	assert.Nil(t, leave.End)

	spring := got.Items[2]
	assert.Equal(t, "2026-10-03T22:00:00+10:00", spring.Start.Format(time.RFC3339))
	assert.Equal(t, "2026-10-04T07:00:00+11:00", spring.End.Format(time.RFC3339))
	assert.Equal(t, 8*time.Hour, spring.End.Sub(*spring.Start))
	assert.Equal(t, []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}, spring.Warnings)
	assert.Equal(t, "on-call", got.Items[3].Kind)
	assert.Contains(t, r.stdout, `"title": "Theatre & Recovery"`, "no HTML escaping")
	assert.Equal(t, mtime.UTC(), got.Time, "the roster's time stays in UTC")

	// The same wall-clock times elsewhere are other instants.
	r = runWith(t, nil, "", "parse", page, "--format", "json", "--tz", "UTC")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"start": "2026-04-04T21:00:00Z"`)
	assert.Contains(t, r.stdout, `"end": "2026-04-05T07:00:00Z"`)

	// Without --tz, the zone $TZ names: one the user chose.
	r = runWith(t, map[string]string{"TZ": "Australia/Melbourne"}, "", "parse", page, "--format", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"start": "2026-04-04T21:00:00+11:00"`)
	r = runWith(t, map[string]string{"TZ": ":Australia/Perth"}, "", "parse", page, "--format", "csv")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "2026-04-04,2026-04-04T21:00:00+08:00,2026-04-05T07:00:00+08:00,")
	r = runWith(t, map[string]string{"TZ": "Australia/Melbourne"}, "", "parse", page, "--format", "json", "--tz", "UTC")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"start": "2026-04-04T21:00:00Z"`, "--tz wins over $TZ")

	// With neither, never the machine's zone (UTC in containers, which
	// would move every shift): the roster's clock times, without an
	// offset, whatever zone this process is in.
	for _, format := range []string{"json", "csv", "ics"} {
		r = runWith(t, nil, "", "parse", page, "--format", format)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.NotContains(t, r.stdout, "21:00:00Z", format)
		assert.NotContains(t, r.stdout, "21:00:00+", format)
		assert.NotContains(t, r.stdout, "T210000Z", format)
		switch format {
		case "json":
			assert.Contains(t, r.stdout, `"start": "2026-04-04T21:00:00",`)
			assert.Contains(t, r.stdout, `"end": "2026-04-05T07:00:00",`)
		case "csv":
			assert.Contains(t, r.stdout, "2026-04-04,2026-04-04T21:00:00,2026-04-05T07:00:00,")
		case "ics":
			assert.Contains(t, r.stdout, "\r\nDTSTART:20260404T210000\r\nDTEND:20260405T070000\r\n")
		}
	}

	// A $TZ that is not a zone name is a usage error that names --tz,
	// not a guess.
	r = runWith(t, map[string]string{"TZ": "AEST-10AEDT,M10.1.0,M4.1.0/3"}, "", "parse", page, "--format", "json")
	assert.Equal(t, exitUsage, r.code)
	assertOneErrorLine(t, r)
	assert.Contains(t, r.stderr, "--tz")

	// CSV: instants with the zone's offsets.
	r = runWith(t, nil, "", "parse", page, "--format", "csv", "--tz", "Australia/Melbourne")
	require.Equal(t, exitOK, r.code, r.stderr)
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 5)
	assert.Equal(t, []string{"2026-04-04", "2026-04-04T21:00:00+11:00", "2026-04-05T07:00:00+10:00"}, rows[1][:3])
	assert.Equal(t, []string{"2026-04-06", "", "", "Ward 4B", "Annual Leave", "RN", "leave"}, rows[2][:7])

	// iCalendar: UTC instants, leave all day, the calendar's name.
	r = runWith(t, nil, "", "parse", page, "--format", "ics", "--tz", "Australia/Melbourne", "--calendar-name", "Joe's shifts")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "\r\nDTSTART:20260404T100000Z\r\nDTEND:20260404T210000Z\r\n")
	assert.Contains(t, r.stdout, "\r\nDTSTART:20261003T120000Z\r\nDTEND:20261003T200000Z\r\n")
	assert.Contains(t, r.stdout, "\r\nDTSTART;VALUE=DATE:20260406\r\n")
	assert.Contains(t, r.stdout, "\r\nX-WR-CALNAME:Joe's shifts\r\n")
	assert.Equal(t, 4, strings.Count(r.stdout, "BEGIN:VEVENT"))

	// The table shows the times on the roster's clock, and the heading's
	// time in the zone.
	r = runWith(t, nil, "", "parse", page, "--tz", "Australia/Melbourne")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "Roster as of Mon 10 Jun 2019 18:03 AEST: 4 shifts\n"), r.stdout)
	assert.Contains(t, r.stdout, "21:00–07:00")
}

// parse reads back what --format json writes, so JSON converts to the
// other formats offline.
func TestParseJSONInput(t *testing.T) {
	page := writePage(t, dstNights(), mtime)
	saved := filepath.Join(t.TempDir(), "roster.json")
	r := runWith(t, nil, "", "parse", page, "--format", "json", "--tz", "Australia/Melbourne", "--output", saved)
	require.Equal(t, exitOK, r.code, r.stderr)
	later := mtime.Add(48 * time.Hour)
	require.NoError(t, os.Chtimes(saved, later, later))

	fromPage := runWith(t, nil, "", "parse", page, "--format", "ics", "--tz", "Australia/Melbourne")
	fromJSON := runWith(t, nil, "", "parse", saved, "--format", "ics", "--tz", "Australia/Melbourne")
	require.Equal(t, exitOK, fromJSON.code, fromJSON.stderr)
	assert.Equal(t, fromPage.stdout, fromJSON.stdout, "the JSON's own time, not the file's")

	data, err := os.ReadFile(saved)
	require.NoError(t, err)
	again := runWith(t, nil, string(data), "parse", "-", "--format", "json", "--tz", "Australia/Melbourne")
	require.Equal(t, exitOK, again.code, again.stderr)
	assert.Equal(t, string(data), again.stdout)

	r = runWith(t, nil, `{"old_time":"2026-04-01T08:00:00Z","new_time":"2026-04-01T08:00:00Z","changes":[]}`, "parse", "-")
	assert.Equal(t, exitError, r.code)
	assertOneErrorLine(t, r)
	assert.Contains(t, r.stderr, `standard input: snapshot: reading JSON: not a roster snapshot`)
}

// changedRoster is dstNights with the first night moved, the leave gone
// and a shift added.
func changedRoster() []snapshot.Item {
	items := dstNights()
	items[0].Detail[0] = snapshot.Text("22:00 - 08:00")
	items = append(items[:1], items[2:]...)
	return append(items, item(snapshot.Date{Year: 2026, Month: time.October, Day: 9}, "Ward 4B", "07:00 - 15:30", "", "Day Shift", "RN"))
}

func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	oldPage := writePage(t, dstNights(), mtime)
	newPage := writePage(t, changedRoster(), mtime.Add(24*time.Hour))
	// The old roster as the CLI saves it: the round trip through JSON.
	oldJSON := filepath.Join(dir, "old.json")
	r := runWith(t, nil, "", "parse", oldPage, "--format", "json", "--output", oldJSON)
	require.Equal(t, exitOK, r.code, r.stderr)
	newJSON := filepath.Join(dir, "new.json")
	r = runWith(t, nil, "", "parse", newPage, "--format", "json", "--tz", "America/New_York", "--output", newJSON)
	require.Equal(t, exitOK, r.code, r.stderr)

	t.Run("equal", func(t *testing.T) {
		for _, args := range [][]string{
			cmd("diff", oldJSON, oldJSON),
			cmd("diff", oldJSON, oldPage),
			cmd("diff", oldPage, oldJSON, "--tz", "Europe/London"),
			cmd("diff", "--format", "text", oldPage, oldPage),
		} {
			r := runWith(t, nil, "", args...)
			assert.Equal(t, exitOK, r.code, "%v: %s", args, r.stderr)
			assert.Empty(t, r.stdout, "%v", args)
			assert.Empty(t, r.stderr, "%v", args)
		}
		r := runWith(t, nil, "", "diff", oldJSON, oldPage, "--format", "json")
		assert.Equal(t, exitOK, r.code, r.stderr)
		assert.Empty(t, r.stderr)
		var got struct {
			Changes []json.RawMessage `json:"changes"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
		assert.NotNil(t, got.Changes)
		assert.Empty(t, got.Changes)
	})

	t.Run("different", func(t *testing.T) {
		want := "~ Sat 2026-04-04  21:00 - 07:00 → 22:00 - 08:00  Night Shift  Ward 4B\n" +
			"- Mon 2026-04-06  09:00 - 16:36  Annual Leave  Ward 4B\n" +
			"+ Fri 2026-10-09  07:00 - 15:30  Day Shift  Ward 4B\n"
		for _, args := range [][]string{
			cmd("diff", oldJSON, newPage),
			cmd("diff", oldJSON, newJSON),
			cmd("diff", oldPage, newJSON),
			cmd("diff", "--tz", "UTC", oldPage, "--format=text", newPage),
		} {
			r := runWith(t, nil, "", args...)
			assert.Equal(t, 1, r.code, "%v: %s", args, r.stderr)
			assert.Equal(t, want, r.stdout, "%v", args)
			assert.Empty(t, r.stderr, "%v", args)
		}
		// The other way round.
		r := runWith(t, nil, "", "diff", newJSON, oldJSON)
		assert.Equal(t, 1, r.code, r.stderr)
		assert.Contains(t, r.stdout, "+ Mon 2026-04-06  09:00 - 16:36  Annual Leave  Ward 4B\n")
	})

	t.Run("json", func(t *testing.T) {
		r := runWith(t, nil, "", "diff", oldJSON, newPage, "--format", "json", "--tz", "Australia/Melbourne")
		assert.Equal(t, 1, r.code, r.stderr)
		assert.Empty(t, r.stderr)
		assert.True(t, strings.HasPrefix(r.stdout, "{\n  \"old_time\": \"2019-06-10T08:03:12Z\",\n  \"new_time\": \"2019-06-11T08:03:12Z\",\n"), r.stdout)
		var got struct {
			Changes []struct {
				Change string
				Date   string
				Parts  []string
				Old    *struct {
					Detail []*string
					Start  *time.Time
					End    *time.Time
					Kind   string
				}
				New *struct {
					Start *time.Time
					End   *time.Time
				}
			}
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
		require.Len(t, got.Changes, 3)
		c := got.Changes[0]
		assert.Equal(t, "changed", c.Change)
		assert.Equal(t, "2026-04-04", c.Date)
		assert.Equal(t, []string{"times"}, c.Parts)
		assert.Equal(t, "2026-04-04T21:00:00+11:00", c.Old.Start.Format(time.RFC3339))
		assert.Equal(t, 11*time.Hour, c.Old.End.Sub(*c.Old.Start))
		assert.Equal(t, "2026-04-05T08:00:00+10:00", c.New.End.Format(time.RFC3339))
		assert.Nil(t, got.Changes[1].New)
		assert.Equal(t, "leave", got.Changes[1].Old.Kind)
		assert.Nil(t, got.Changes[1].Old.Detail[1], "an empty field is null")
		assert.Nil(t, got.Changes[2].Old)
		assert.Equal(t, "added", got.Changes[2].Change)
	})

	t.Run("standard input", func(t *testing.T) {
		data, err := os.ReadFile(newJSON)
		require.NoError(t, err)
		r := runWith(t, nil, string(data), "diff", oldJSON, "-")
		assert.Equal(t, 1, r.code, r.stderr)
		assert.Contains(t, r.stdout, "2026-10-09")
		r = runWith(t, nil, string(data), "diff", "-", newPage)
		assert.Equal(t, exitOK, r.code, r.stderr)
	})

	t.Run("trouble", func(t *testing.T) {
		login := filepath.Join(dir, "login.html")
		require.NoError(t, os.WriteFile(login, []byte(`<div data-role="page" id="account-login"></div>`), 0o644))
		broken := filepath.Join(dir, "broken.json")
		require.NoError(t, os.WriteFile(broken, []byte(`{"time":"2026-04-01T08:00:00Z","items":[`), 0o644))
		var changes bytes.Buffer
		r := runWith(t, nil, "", "diff", oldJSON, newJSON, "--format", "json")
		changes.WriteString(r.stdout)
		diffOut := filepath.Join(dir, "changes.json")
		require.NoError(t, os.WriteFile(diffOut, changes.Bytes(), 0o644))
		empty := filepath.Join(dir, "empty.json")
		require.NoError(t, os.WriteFile(empty, nil, 0o644))

		for _, tc := range []struct {
			args []string
			want string
		}{
			{cmd("diff", oldJSON, filepath.Join(dir, "missing.json")), "missing.json: no such file or directory"},
			{cmd("diff", filepath.Join(dir, "missing.json"), oldJSON), "missing.json: no such file or directory"},
			{cmd("diff", oldJSON, login), login + ": snapshot: not a roster page"},
			{cmd("diff", broken, oldJSON), broken + ": snapshot: reading JSON: "},
			{cmd("diff", oldJSON, diffOut), `not a roster snapshot: no "items" array`},
			{cmd("diff", oldJSON, empty), "empty input"},
			{cmd("diff", oldJSON, dir), "is a directory"},
			{cmd("diff", oldJSON), "diff takes two files"},
			{cmd("diff", oldJSON, newJSON, "--format", "html"), `invalid --format "html"`},
		} {
			r := runWith(t, nil, "", tc.args...)
			assert.Equal(t, 2, r.code, "%v: %s", tc.args, r.stderr)
			assertOneErrorLine(t, r)
			assert.Contains(t, r.stderr, tc.want, "%v", tc.args)
		}
	})
}

// The demo roster's JSON goes through Load and back unchanged: what cron
// jobs compare day after day.
func TestDiffDemoRoundTrip(t *testing.T) {
	page := writePage(t, demoItems, mtime)
	saved := filepath.Join(t.TempDir(), "roster.json")
	r := runWith(t, nil, "", "parse", page, "--format", "json", "--output", saved)
	require.Equal(t, exitOK, r.code, r.stderr)
	snap, err := snapshot.Load(saved)
	require.NoError(t, err)
	assert.Equal(t, demoItems, snap.Items)
	assert.Equal(t, mtime.UTC(), snap.Time)

	r = runWith(t, nil, "", "diff", saved, page)
	assert.Equal(t, exitOK, r.code, r.stderr)

	var other bytes.Buffer
	require.NoError(t, mockserver.RenderRoster(&other, mockserver.DemoRoster(mtime.AddDate(0, 0, 1))))
	r = runWith(t, nil, other.String(), "diff", saved, "-")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.NotEmpty(t, r.stdout)
}

// roster touches --output only once it has the roster: a failed login
// leaves the old file as it was.
func TestRosterOutputOnlyAfterFetch(t *testing.T) {
	needChrome(t)
	mock := mockserver.New()
	ts := httptest.NewServer(mock)
	defer ts.Close()
	env := chromeEnv(map[string]string{
		"ROSTERON_URL":      ts.URL + mock.BasePath(),
		"ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": "not-the-Pa55word",
	})
	dir := t.TempDir()
	out := filepath.Join(dir, "roster.ics")
	require.NoError(t, os.WriteFile(out, []byte("the old calendar\n"), 0o644))

	r := runWith(t, env, "", "roster", "--format", "ics", "--output", out, "--timeout", "30s")
	assert.Equal(t, exitBadCredentials, r.code, r.stderr)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "the old calendar\n", string(got))
	assert.Equal(t, []string{"roster.ics"}, dirNames(t, dir))

	env["ROSTERON_PASSWORD"] = mockserver.DemoPassword
	r = runWith(t, env, "", "roster", "--format", "ics", "--output", out, "--timeout", "30s", "--tz", "Australia/Melbourne")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	got, err = os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(got), "BEGIN:VCALENDAR\r\n"), string(got))
	assert.Equal(t, []string{"roster.ics"}, dirNames(t, dir))
	assert.Zero(t, mock.Sessions(), "logged out")
}
