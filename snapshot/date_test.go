package snapshot

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDateBasics(t *testing.T) {
	t.Parallel()
	d := Date{2019, time.June, 11}
	assert.Equal(t, "2019-06-11", d.String())
	assert.Equal(t, "0001-01-01", Date{1, 1, 1}.String())
	assert.Equal(t, time.Tuesday, d.Weekday())
	assert.False(t, d.IsZero())
	assert.True(t, Date{}.IsZero())
	assert.False(t, Date{}.Valid())

	melbourne := time.FixedZone("AEST", 10*3600)
	assert.Equal(t, time.Date(2019, 6, 11, 0, 0, 0, 0, melbourne), d.Time(melbourne))
	assert.Equal(t, time.Date(2019, 6, 11, 0, 0, 0, 0, time.UTC), d.Time(nil))

	// DateOf takes the day in the time's own zone, not UTC's.
	assert.Equal(t, d, DateOf(time.Date(2019, 6, 11, 7, 30, 0, 0, melbourne)))
	assert.Equal(t, Date{2019, 6, 10}, DateOf(time.Date(2019, 6, 11, 7, 30, 0, 0, melbourne).UTC()))

	assert.Equal(t, Date{2019, 7, 1}, Date{2019, 6, 30}.AddDays(1))
	assert.Equal(t, Date{2020, 2, 29}, Date{2020, 3, 1}.AddDays(-1))
	assert.Equal(t, Date{2020, 1, 1}, Date{2019, 12, 31}.AddDays(1))
}

func TestDateCompare(t *testing.T) {
	t.Parallel()
	a, b, c := Date{2019, 6, 11}, Date{2019, 6, 12}, Date{2020, 1, 1}
	assert.Equal(t, -1, a.Compare(b))
	assert.Equal(t, 1, c.Compare(b))
	assert.Equal(t, 0, a.Compare(Date{2019, 6, 11}))
	assert.Equal(t, -1, Date{2019, 5, 30}.Compare(a))
	assert.True(t, a.Before(b))
	assert.False(t, b.Before(a))
	assert.True(t, c.After(a))
	assert.False(t, a.After(a))
}

func TestDateValid(t *testing.T) {
	t.Parallel()
	for d, want := range map[Date]bool{
		{2019, 6, 11}:  true,
		{2020, 2, 29}:  true,
		{2019, 2, 29}:  false,
		{1900, 2, 29}:  false,
		{2000, 2, 29}:  true,
		{2019, 4, 31}:  false,
		{2019, 12, 31}: true,
		{2019, 13, 1}:  false,
		{2019, 0, 1}:   false,
		{2019, 1, 0}:   false,
		{0, 1, 1}:      false,
		{1, 1, 1}:      true,
		{9999, 12, 31}: true,
		{10000, 1, 1}:  false,
		{-1, 1, 1}:     false,
	} {
		assert.Equal(t, want, d.Valid(), "%v", d)
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	d, err := ParseDate("2019-06-11")
	require.NoError(t, err)
	assert.Equal(t, Date{2019, 6, 11}, d)

	for _, s := range []string{"", "2019-6-11", "2019-06-1", "19-06-11", "2019-02-30", "2019-13-01",
		"0000-01-01", "11/06/2019", "2019-06-11T00:00:00Z", " 2019-06-11", "2019-06-11 ", "+2019-06-11"} {
		_, err := ParseDate(s)
		assert.Error(t, err, "%q", s)
	}
}

func TestDateText(t *testing.T) {
	t.Parallel()
	text, err := Date{2019, 6, 11}.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "2019-06-11", string(text))

	var d Date
	require.NoError(t, d.UnmarshalText([]byte("2020-02-29")))
	assert.Equal(t, Date{2020, 2, 29}, d)
	assert.Error(t, d.UnmarshalText([]byte("2019-02-29")))

	_, err = Date{}.MarshalText()
	assert.Error(t, err)

	// As a map key, for callers that group shifts by day.
	out, err := json.Marshal(map[Date]int{{2019, 6, 11}: 2})
	require.NoError(t, err)
	assert.JSONEq(t, `{"2019-06-11": 2}`, string(out))
	var m map[Date]int
	require.NoError(t, json.Unmarshal(out, &m))
	assert.Equal(t, map[Date]int{{2019, 6, 11}: 2}, m)
}

func TestDateJSON(t *testing.T) {
	t.Parallel()
	out, err := json.Marshal(Date{2019, 6, 11})
	require.NoError(t, err)
	assert.Equal(t, `"2019-06-11"`, string(out))

	_, err = json.Marshal(Date{2019, 2, 30})
	assert.Error(t, err)

	var d Date
	require.NoError(t, json.Unmarshal([]byte(`"2019-06-11"`), &d))
	assert.Equal(t, Date{2019, 6, 11}, d)

	require.NoError(t, json.Unmarshal([]byte(`null`), &d))
	assert.Equal(t, Date{2019, 6, 11}, d, "null leaves the date as it was")

	for _, in := range []string{`"2019-02-30"`, `"11/06/2019"`, `20190611`, `{}`, `""`, `true`} {
		var d Date
		assert.Error(t, json.Unmarshal([]byte(in), &d), in)
	}
}

// TestDateStringMatchesFmt pins String's fast path to the fmt layout it
// replaced, across and beyond its edges.
func TestDateStringMatchesFmt(t *testing.T) {
	t.Parallel()
	for _, y := range []int{-10000, -1, 0, 1, 9, 10, 99, 100, 999, 1000, 2019, 9999, 10000, 123456} {
		for _, m := range []time.Month{-1, 0, 1, 9, 10, 12, 13, 99, 100} {
			for _, d := range []int{-5, 0, 1, 9, 10, 31, 99, 100} {
				want := fmt.Sprintf("%04d-%02d-%02d", y, int(m), d)
				if got := (Date{y, m, d}).String(); got != want {
					t.Errorf("Date{%d, %d, %d}.String() = %q, want %q", y, m, d, got, want)
				}
			}
		}
	}
}
