package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/snapshot"
)

func writeCSV(t *testing.T, s *snapshot.Snapshot, loc *time.Location) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteCSV(&b, s, loc))
	return b.String()
}

func TestWriteCSVGolden(t *testing.T) {
	t.Parallel()
	goldenFile(t, "shifts.csv", writeCSV(t, shiftsRoster(), melbourne(t)))
}

// TestWriteCSVReadBack reads the CSV back and checks every cell against
// the shift it came from: nothing of the roster is lost.
func TestWriteCSVReadBack(t *testing.T) {
	t.Parallel()
	mel := melbourne(t)
	snap := shiftsRoster()
	shifts := snap.Shifts(mel)
	rows, err := csv.NewReader(strings.NewReader(writeCSV(t, snap, mel))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, len(shifts)+1)
	assert.Equal(t, []string{"date", "start", "end", "title", "name", "role", "kind", "warnings", "detail"}, rows[0])

	for i, row := range rows[1:] {
		sh := shifts[i]
		assert.Equal(t, sh.Date.String(), row[0])
		if sh.HasTimes() {
			start, err := time.Parse(time.RFC3339, row[1])
			require.NoError(t, err)
			end, err := time.Parse(time.RFC3339, row[2])
			require.NoError(t, err)
			assert.True(t, sh.Start.Equal(start), "row %d", i+1)
			assert.True(t, sh.End.Equal(end), "row %d", i+1)
			_, off := sh.Start.Zone()
			_, gotOff := start.Zone()
			assert.Equal(t, off, gotOff, "row %d keeps the zone's offset", i+1)
		} else {
			assert.Empty(t, row[1]+row[2], "row %d", i+1)
		}
		// Text is written as it is; encoding/csv's reader alone turns a
		// quoted CRLF into LF.
		crlf := strings.NewReplacer("\r\n", "\n")
		assert.Equal(t, []string{crlf.Replace(sh.Title), sh.Name, sh.Role, string(sh.Kind)}, row[3:7], "row %d", i+1)
		assert.Equal(t, strings.Join(sh.Warnings, " | "), row[7])

		var detail []snapshot.Field
		require.NoError(t, json.Unmarshal([]byte(row[8]), &detail), row[8])
		assert.Equal(t, sh.Detail, detail, "row %d", i+1)
	}

	// The kinds and the daylight-saving nights, as a person reads them.
	assert.Equal(t, []string{"2026-04-04", "2026-04-04T21:00:00+11:00", "2026-04-05T07:00:00+10:00"}, rows[1][:3])
	assert.Equal(t, []string{"2026-10-03", "2026-10-03T22:00:00+10:00", "2026-10-04T07:00:00+11:00"}, rows[12][:3])
	kinds := make([]string, 0, len(rows)-1)
	for _, row := range rows[1:] {
		kinds = append(kinds, row[6])
	}
	assert.Equal(t, []string{"work", "work", "on-call", "on-call", "leave", "unknown", "work", "work", "work", "work",
		"work", "work", "work", "work", "work", "unknown"}, kinds)
}

func TestWriteCSVEmpty(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "date,start,end,title,name,role,kind,warnings,detail\n", writeCSV(t, &snapshot.Snapshot{}, nil))
}

func TestWriteCSVErrors(t *testing.T) {
	t.Parallel()
	assert.Error(t, WriteCSV(&bytes.Buffer{}, nil, nil))
	assert.ErrorContains(t, WriteCSV(failingWriter{}, shiftsRoster(), nil), "disk full")
}
