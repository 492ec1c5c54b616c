package feed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memState is a State in memory, as a store's would be: no files.
type memState struct {
	mu      sync.Mutex
	blobs   map[string][]byte
	saves   int
	failErr error // when set, every Save fails with it
}

func newMemState() *memState { return &memState{blobs: make(map[string][]byte)} }

func (m *memState) Load(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.blobs[name]
	if !ok {
		return nil, fmt.Errorf("nothing saved as %s: %w", name, fs.ErrNotExist)
	}
	return slices.Clone(data), nil
}

func (m *memState) Save(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failErr != nil {
		return m.failErr
	}
	m.blobs[name] = slices.Clone(data)
	m.saves++
	return nil
}

func (m *memState) names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.blobs))
}

func (m *memState) get(name string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.blobs[name]
}

func (m *memState) put(name string, data []byte) {
	m.mu.Lock()
	m.blobs[name] = data
	m.mu.Unlock()
}

// A feed with a State of its own keeps there, and finds there after a
// restart, all it kept in the state folder: the roster, the calendar's
// event history, the alerts' state and the lock-out guard's count.
func TestStateInMemoryAcrossRestart(t *testing.T) {
	t.Parallel()
	st := newMemState()
	opts := []Option{WithState(st), WithSource(testURL, testUser), WithLoginKey(testPassword)}
	f, c := newTestFeed(t, opts...)
	n := NewNotifier(f, target(t, "http://127.0.0.1:1/topic"))
	require.NoError(t, n.Load())

	v1 := snap(c.Now(), "Ward 4B", "Ward 5")
	refused := Refused(errors.New("RosterOn showed a page it does not know"))
	fake := (&script{}).then(v1, nil).then(moveFirst(v1, "09:00 - 17:30", c.Now()), nil).then(nil, refused)
	r := &Refresher{Feed: f, Fetch: fake.fetch, Notify: n, rand: func() float64 { return 0.5 }}
	require.False(t, r.Start())
	for range 3 {
		_, stopped := r.Step(t.Context())
		require.False(t, stopped)
		c.Add(time.Minute)
	}
	uids, seqs, body := served(t, f)
	assert.Equal(t, []int{1, 0}, seqs, "the moved shift's event was revised")
	assert.Equal(t, []string{"Shift moved: Sat 4 Apr"}, outboxTitles(n))
	assert.Equal(t, []string{CalendarFile, GuardFile, NotifyFile, StateFile}, st.names())
	assert.NotContains(t, string(st.get(GuardFile)), testPassword)
	for _, name := range st.names() {
		assert.True(t, json.Valid(st.get(name)), name)
	}

	// A restart with the same State.
	g, c2 := newTestFeed(t, opts...)
	c2.Add(time.Hour)
	loaded, err := g.Load()
	require.NoError(t, err)
	require.True(t, loaded, "the roster saved")
	uids2, seqs2, body2 := served(t, g)
	assert.Equal(t, uids, uids2)
	assert.Equal(t, seqs, seqs2)
	assert.Equal(t, body, body2, "the same calendar at once")
	assert.True(t, g.Status().Stale, "stale until a refresh succeeds")

	n2 := NewNotifier(g, target(t, "http://127.0.0.1:1/topic"))
	require.NoError(t, n2.Load())
	assert.Equal(t, []string{"Shift moved: Sat 4 Apr"}, outboxTitles(n2), "the alert not yet delivered")
	n2.Observe(moveFirst(v1, "09:00 - 17:30", c2.Now()))
	assert.Len(t, outboxTitles(n2), 1, "the baseline kept: the same roster is no change")

	gd, err := g.loadGuard()
	require.NoError(t, err)
	assert.Equal(t, 1, gd.st.Refusals, "the refused login counted across the restart")

	// The next change goes on from the history saved.
	_, err = g.Update(moveFirst(v1, "10:00 - 18:30", c2.Now()))
	require.NoError(t, err)
	uids3, seqs3, _ := served(t, g)
	assert.Equal(t, uids, uids3)
	assert.Equal(t, []int{2, 0}, seqs3)
}

// Without WithState or WithStateDir nothing is saved, and nothing is
// loaded; WithStateDir("") is the same.
func TestNoState(t *testing.T) {
	t.Parallel()
	for _, opts := range [][]Option{nil, {WithStateDir("")}, {WithState(newMemState()), WithStateDir("")}, {WithState(nil)}} {
		f, c := newTestFeed(t, append(opts, WithLoginKey(testPassword))...)
		assert.Nil(t, f.state)
		_, err := f.Update(snap(c.Now(), "Ward 4B"))
		require.NoError(t, err)
		loaded, err := New(opts...).Load()
		require.NoError(t, err)
		assert.False(t, loaded)
	}
	dir := t.TempDir()
	st := newMemState()
	f := New(WithStateDir(dir), WithState(st))
	assert.Same(t, st, f.state, "the last option wins")
	f = New(WithState(st), WithStateDir(dir))
	assert.Equal(t, DirState(dir), f.state)
}

// The errors of a State other than a folder name the blob, not a path;
// those of a DirState name the file, as they did.
func TestStateErrorsNameWhatFailed(t *testing.T) {
	t.Parallel()
	st := newMemState()
	st.put(StateFile, []byte("{not json"))
	st.put(CalendarFile, []byte("[]"))
	st.put(NotifyFile, []byte("nope"))
	st.put(GuardFile, []byte("nope"))
	f, _ := newTestFeed(t, WithState(st), WithLoginKey(testPassword))
	_, err := f.Load()
	require.Error(t, err)
	assert.Regexp(t, `^reading the saved roster \(roster.json\): `, err.Error())
	err = NewNotifier(f).Load()
	assert.Regexp(t, `^reading the alerts' state \(notify.json\): `, err.Error())
	_, err = f.loadGuard()
	assert.Regexp(t, `^reading the lock-out guard's state \(login-guard.json\): `, err.Error())

	st = newMemState()
	st.put(CalendarFile, []byte("[]"))
	_, err = New(WithState(st)).Load()
	var he *HistoryError
	require.ErrorAs(t, err, &he)
	assert.Contains(t, err.Error(), "reading calendar.json: ")

	st.put(StateFile, []byte(`{"url":"https://other.example/Mobile","items":[]}`))
	_, err = New(WithState(st), WithSource(testURL, testUser)).Load()
	assert.EqualError(t, err, "roster.json: "+ErrOtherSource.Error())

	st = newMemState()
	st.failErr = errors.New("database is locked")
	f, c := newTestFeed(t, WithState(st))
	_, err = f.Update(snap(c.Now(), "Ward 4B"))
	var se *SaveError
	require.ErrorAs(t, err, &se)
	assert.EqualError(t, err, "saving the roster: roster.json: database is locked")
	assert.Equal(t, 1, f.Status().Shifts, "served all the same")

	// A folder: the path, as before.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, StateFile), []byte("{not json"), 0o600))
	_, err = New(WithStateDir(dir)).Load()
	assert.Regexp(t, `^reading the saved roster `+regexp.QuoteMeta(filepath.Join(dir, StateFile))+`: `, err.Error())
}

// DirState keeps each blob in a file of its own, readable by the owner
// only, replaced whole.
func TestDirState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := DirState(dir)
	_, err := st.Load(StateFile)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	require.NoError(t, st.Save(StateFile, []byte("one\n")))
	require.NoError(t, st.Save(StateFile, []byte("two\n")))
	data, err := st.Load(StateFile)
	require.NoError(t, err)
	assert.Equal(t, "two\n", string(data))
	fi, err := os.Stat(filepath.Join(dir, StateFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")
}
