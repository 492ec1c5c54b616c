package feed

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	ical "github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/snapshot"
)

// served reads the feed's calendar with both readers and returns each
// event's UID and SEQUENCE, in order.
func served(t *testing.T, f *Feed) (uids []string, seqs []int, body string) {
	t.Helper()
	rec := get(Handler(f, testToken), "GET", "/"+testToken+"/"+ICSName)
	require.Equal(t, http.StatusOK, rec.Code)
	body = rec.Body.String()
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	require.NoError(t, err)
	other, err := ical.NewDecoder(strings.NewReader(body)).Decode()
	require.NoError(t, err)
	require.Len(t, other.Events(), len(cal.Events()))
	for i, ev := range cal.Events() {
		seq, err := strconv.Atoi(ev.GetProperty(ics.ComponentPropertySequence).Value)
		require.NoError(t, err)
		uid, err := other.Events()[i].Props.Text(ical.PropUID)
		require.NoError(t, err)
		require.Equal(t, ev.Id(), uid)
		oseq, err := other.Events()[i].Props.Get(ical.PropSequence).Int()
		require.NoError(t, err)
		require.Equal(t, seq, oseq)
		uids, seqs = append(uids, ev.Id()), append(seqs, seq)
	}
	return uids, seqs, body
}

// moveFirst returns s's roster with its first shift at another time.
func moveFirst(s *snapshot.Snapshot, times string, at time.Time) *snapshot.Snapshot {
	items := append([]snapshot.Item(nil), s.Items...)
	items[0].Detail = append([]snapshot.Field(nil), items[0].Detail...)
	items[0].Detail[0] = snapshot.Text(times)
	return &snapshot.Snapshot{Time: at, Items: items}
}

// A moved shift keeps its event, with a rising SEQUENCE, across refreshes
// and across a restart, whose feed serves what was served before.
func TestCalendarHistoryAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	url, user := "https://rosteron.example.com/RosterOnProd/Mobile", "joe.bloggs"
	f, c := newTestFeed(t, WithStateDir(dir), WithSource(url, user))
	v1 := snap(c.Now(), "Ward 4B", "Ward 5")
	_, err := f.Update(v1)
	require.NoError(t, err)
	uids1, seqs1, _ := served(t, f)
	assert.Equal(t, []int{0, 0}, seqs1)

	c.Add(30 * time.Minute)
	_, err = f.Update(moveFirst(v1, "09:00 - 17:30", c.Now()))
	require.NoError(t, err)
	uids2, seqs2, body2 := served(t, f)
	assert.Equal(t, uids1, uids2, "the moved shift keeps its UID")
	assert.Equal(t, []int{1, 0}, seqs2)
	assert.Contains(t, body2, "LAST-MODIFIED:20260401T083312Z", "the moved shift's event was modified now")

	// A restart: the same calendar at once, and the next change goes on
	// from it.
	g, c2 := newTestFeed(t, WithStateDir(dir), WithSource(url, user))
	c2.Add(time.Hour)
	loaded, err := g.Load()
	require.NoError(t, err)
	require.True(t, loaded)
	_, _, body := served(t, g)
	assert.Equal(t, body2, body)
	_, err = g.Update(moveFirst(v1, "10:00 - 18:30", c2.Now()))
	require.NoError(t, err)
	uids3, seqs3, _ := served(t, g)
	assert.Equal(t, uids1, uids3)
	assert.Equal(t, []int{2, 0}, seqs3)
}

// A roster with no history, as from a version before the history or an
// empty state folder, gives the UIDs WriteICS gives: calendars that
// subscribed before keep their events.
func TestCalendarWithoutHistory(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	f, c := newTestFeed(t, WithStateDir(dir))
	s := snap(c.Now(), "Ward 4B", "Ward 4B", "Ward 5")
	_, err := f.Update(s)
	require.NoError(t, err)
	uids, _, _ := served(t, f)
	var plain strings.Builder
	require.NoError(t, export.WriteICS(&plain, s, nil))
	cal, err := ics.ParseCalendar(strings.NewReader(plain.String()))
	require.NoError(t, err)
	for i, ev := range cal.Events() {
		assert.Equal(t, ev.Id(), uids[i])
	}

	// The history gone, a restart loads the roster with those UIDs.
	require.NoError(t, os.Remove(filepath.Join(dir, CalendarFile)))
	g, _ := newTestFeed(t, WithStateDir(dir))
	loaded, err := g.Load()
	require.NoError(t, err)
	require.True(t, loaded)
	again, seqs, _ := served(t, g)
	assert.Equal(t, uids, again)
	assert.Equal(t, []int{0, 0, 0}, seqs)
}

// A history that cannot be used is set aside, said so, and the roster is
// served all the same: another user's, or a damaged file.
func TestCalendarHistorySetAside(t *testing.T) {
	t.Parallel()
	url := "https://rosteron.example.com/RosterOnProd/Mobile"
	dir := stateDir(t)
	ann, c := newTestFeed(t, WithStateDir(dir), WithSource(url, "ann.nurse"))
	v1 := snap(c.Now(), "Ward 4B")
	_, err := ann.Update(v1)
	require.NoError(t, err)
	c.Add(time.Minute)
	_, err = ann.Update(moveFirst(v1, "09:00 - 17:30", c.Now()))
	require.NoError(t, err)
	annUIDs, annSeqs, _ := served(t, ann)
	require.Equal(t, []int{1}, annSeqs)

	// Joe's feed on Ann's state folder (her roster taken away) neither
	// serves her roster nor follows on from her events.
	require.NoError(t, os.Remove(filepath.Join(dir, StateFile)))
	joe, c2 := newTestFeed(t, WithStateDir(dir), WithSource(url, "joe.bloggs"))
	loaded, err := joe.Load()
	assert.False(t, loaded)
	var histErr *HistoryError
	require.ErrorAs(t, err, &histErr)
	assert.Contains(t, err.Error(), "another user's")
	_, err = joe.Update(moveFirst(v1, "09:00 - 17:30", c2.Now()))
	require.NoError(t, err)
	joeUIDs, joeSeqs, _ := served(t, joe)
	assert.Equal(t, []int{0}, joeSeqs, "a history of his own, from nothing")
	assert.NotEqual(t, annUIDs, joeUIDs, "the UID of 09:00, not the one Ann's 07:00 shift kept")

	// A damaged history: the roster is loaded and served, with the UIDs
	// a roster without history gets.
	require.NoError(t, os.WriteFile(filepath.Join(dir, CalendarFile), []byte(`{"events": [{"uid": "a"}, {"uid": "a"}]}`), 0o600))
	again, _ := newTestFeed(t, WithStateDir(dir), WithSource(url, "joe.bloggs"))
	loaded, err = again.Load()
	assert.True(t, loaded)
	require.ErrorAs(t, err, &histErr)
	assert.Contains(t, err.Error(), "twice")
	uids, seqs, _ := served(t, again)
	assert.Equal(t, joeUIDs, uids)
	assert.Equal(t, []int{0}, seqs)

	require.NoError(t, os.WriteFile(filepath.Join(dir, CalendarFile), []byte("{not json"), 0o600))
	_, err = again.Load() // it has a roster: nothing replaced, but said
	require.ErrorAs(t, err, &histErr)
	assert.False(t, errors.Is(err, ErrOtherSource))
}
