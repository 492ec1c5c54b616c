package export

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/snapshot"
)

// The JSON writers must write exactly what encoding/json writes through
// writeJSON, the way they wrote before: these tests compare the two, byte
// for byte, on awkward input.

// nastyStrings are the strings encoding/json treats specially, and some it
// does not.
var nastyStrings = []string{
	"", "plain", `quote " and \ backslash`, "O'Brien & <Co>", "tab\there\nnew line\r\f\b",
	"\x00\x01\x1f\x7f", "Zoë NGỮ 🚑", "\u2028 and \u2029", "bad \xff utf-8 \xe2\x82", "\xed\xa0\x80 surrogate",
	"&amp;", "ends in \\",
}

func randomSnapshot(rng *rand.Rand) *snapshot.Snapshot {
	str := func() string {
		if rng.IntN(3) == 0 {
			return nastyStrings[rng.IntN(len(nastyStrings))]
		}
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	times := []string{"07:00 - 15:30", "21:00 - 07:00", "", "Oncall", "10:30 - 18:06"}
	s := &snapshot.Snapshot{Time: time.Date(2026, 4, 1, 8, 3, 12, rng.IntN(2)*123456789, time.FixedZone("", rng.IntN(3)*3600-3600))}
	if rng.IntN(5) == 0 {
		s.Time = time.Time{}
	}
	n := rng.IntN(6)
	for i := 0; i < n; i++ {
		it := snapshot.Item{Date: snapshot.Date{Year: 2026, Month: time.Month(1 + rng.IntN(12)), Day: 1 + rng.IntN(28)}, Title: str()}
		switch rng.IntN(4) {
		case 0: // nil detail
		case 1:
			it.Detail = []snapshot.Field{}
		default:
			it.Detail = []snapshot.Field{snapshot.Text(times[rng.IntN(len(times))])}
			for range rng.IntN(4) {
				if rng.IntN(3) == 0 {
					it.Detail = append(it.Detail, snapshot.Empty)
				} else {
					it.Detail = append(it.Detail, snapshot.Text(str()))
				}
			}
		}
		switch rng.IntN(3) {
		case 0:
		case 1:
			it.Warnings = []string{}
		default:
			it.Warnings = []string{str(), str()}
		}
		s.Items = append(s.Items, it)
	}
	if n == 0 && rng.IntN(2) == 0 {
		s.Items = []snapshot.Item{}
	}
	return s
}

func checkSameJSON(t *testing.T, s *snapshot.Snapshot) {
	t.Helper()
	var want, got bytes.Buffer
	require.NoError(t, writeJSON(&want, s))
	ok, err := writeSnapshotJSON(&got, s)
	require.True(t, ok)
	require.NoError(t, err)
	require.Equal(t, want.String(), got.String())

	mel, err := time.LoadLocation("Australia/Melbourne")
	require.NoError(t, err)
	for _, loc := range []*time.Location{nil, time.UTC, mel, snapshot.Floating} {
		want.Reset()
		got.Reset()
		shifts := s.Shifts(loc)
		require.NoError(t, writeJSON(&want, interpreted{Time: s.Time, Items: nonNil(shifts)}))
		ok, err := writeShiftsJSON(&got, s.Time, shifts)
		require.True(t, ok)
		require.NoError(t, err)
		require.Equal(t, want.String(), got.String(), "in %v", loc)
	}
}

func TestJSONWriterMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	checkSameJSON(t, &snapshot.Snapshot{})
	for _, s := range nastyStrings {
		checkSameJSON(t, &snapshot.Snapshot{Items: []snapshot.Item{{Date: snapshot.Date{Year: 2019, Month: 6, Day: 11},
			Title: s, Detail: []snapshot.Field{snapshot.Text(s), snapshot.Empty}, Warnings: []string{s}}}})
	}
	// Dates at the ends of what the writer writes in place.
	for _, d := range []snapshot.Date{{Year: 1, Month: 1, Day: 1}, {Year: 999, Month: 9, Day: 9}, {Year: 9999, Month: 12, Day: 31}} {
		checkSameJSON(t, &snapshot.Snapshot{Items: []snapshot.Item{{Date: d, Title: "T"}}})
	}
	rng := rand.New(rand.NewPCG(1, 16))
	for range 500 {
		checkSameJSON(t, randomSnapshot(rng))
	}
}

func FuzzJSONWriter(f *testing.F) {
	for _, s := range nastyStrings {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, title, field string) {
		checkSameJSON(t, &snapshot.Snapshot{Items: []snapshot.Item{{Date: snapshot.Date{Year: 2019, Month: 6, Day: 11},
			Title: title, Detail: []snapshot.Field{snapshot.Text(field), snapshot.Empty, snapshot.Text(title)}, Warnings: []string{field}}}})
	})
}

// What encoding/json refuses, the writers refuse with its words.
func TestJSONWriterErrors(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]*snapshot.Snapshot{
		"invalid date": {Items: []snapshot.Item{{Date: snapshot.Date{Year: 2019, Month: 2, Day: 30}}}},
		"year 10000":   {Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(name, func(t *testing.T) {
			var want bytes.Buffer
			wantErr := writeJSON(&want, s)
			require.Error(t, wantErr)
			var got bytes.Buffer
			ok, _ := writeSnapshotJSON(&got, s)
			require.False(t, ok)
			require.Zero(t, got.Len(), "wrote before giving up")
			err := WriteJSON(&got, s)
			require.EqualError(t, err, wantErr.Error())
			require.Zero(t, got.Len())
			err = WriteShiftsJSON(&got, s, time.UTC)
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), "json: "), "%v", err)
			require.Zero(t, got.Len())
		})
	}
}
