package feed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/internal/atomicfile"
	"github.com/rosteron/rosteron/snapshot"
)

// StateFile is the name of the last good roster in the state folder. It is
// a roster's JSON, as `rosteron roster --format json` writes it less the
// interpretation, with a few fields more, so `rosteron parse` and
// `rosteron diff` read it too.
const StateFile = "roster.json"

// state is StateFile's content.
type state struct {
	Time  time.Time        `json:"time"`
	Items *[]snapshot.Item `json:"items"`
	// Fetched is the last fetch that found this roster, Changed the first.
	Fetched time.Time `json:"fetched"`
	Changed time.Time `json:"changed"`
	Source
}

// save writes c to the feed's State, if it has one, atomically.
func (f *Feed) save(c *content) error {
	if f.state == nil {
		return nil
	}
	items := c.snap.Items
	st := state{
		Time:    c.snap.Time.UTC(),
		Items:   &items,
		Fetched: c.fetched.UTC(),
		Changed: c.changed.UTC(),
		Source:  f.source,
	}
	if *st.Items == nil {
		*st.Items = []snapshot.Item{}
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return &SaveError{err}
	}
	if err := f.state.Save(StateFile, append(data, '\n')); err != nil {
		return &SaveError{stateErr(f.state, StateFile, err)}
	}
	// After the roster: a crash between the two leaves the history of the
	// calendar before, which the next calendar follows on from as well.
	if err := f.saveCalendar(c.hist); err != nil {
		return &SaveError{err}
	}
	return nil
}

// SaveError is Update's error when the roster is served but could not be
// saved in the feed's State.
type SaveError struct{ Err error }

func (e *SaveError) Error() string { return "saving the roster: " + e.Err.Error() }
func (e *SaveError) Unwrap() error { return e.Err }

// ErrOtherSource is returned by Load for a saved roster of another user
// or RosterOn instance than the feed's (see WithSource).
var ErrOtherSource = errors.New("the saved roster is another user's or instance's")

// Load reads the roster saved in the feed's State (WithState, or the
// state folder of WithStateDir), so that a feed started while RosterOn is
// down has something to serve, and the calendar's event history, so that
// its events keep their UIDs. It reports whether it found a roster; none
// saved is not an error. The roster counts as
// stale until a refresh succeeds. A roster is not loaded over one the feed
// already has.
//
// A *HistoryError means that the history alone could not be used (see
// HistoryError): the roster, if found, was loaded all the same.
func (f *Feed) Load() (bool, error) {
	if f.state == nil {
		return false, nil
	}
	hist, histErr := f.loadCalendar()
	loaded, err := f.loadRoster(hist)
	if err != nil {
		return false, err
	}
	if histErr != nil {
		return loaded, histErr
	}
	return loaded, nil
}

func (f *Feed) loadRoster(hist *export.ICSHistory) (bool, error) {
	f.mu.Lock()
	if f.cur == nil {
		f.hist = hist
	}
	f.mu.Unlock()
	path := stateWhere(f.state, StateFile)
	data, err := f.state.Load(StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the saved roster%s: %w", loadWhere(f.state, StateFile), err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return false, fmt.Errorf("reading the saved roster %s: %w", path, err)
	}
	if st.Items == nil {
		return false, fmt.Errorf("reading the saved roster %s: no \"items\"", path)
	}
	if !sameSource(st.Source, f.source) {
		return false, fmt.Errorf("%s: %w", stateName(f.state, StateFile), ErrOtherSource)
	}
	if st.Fetched.IsZero() {
		st.Fetched = st.Time
	}
	if st.Changed.IsZero() {
		st.Changed = st.Fetched
	}
	snap := &snapshot.Snapshot{Time: st.Time, Items: *st.Items}
	items, err := json.Marshal(nonNil(snap.Items))
	if err != nil {
		return false, fmt.Errorf("reading the saved roster %s: %w", path, err)
	}
	c, err := f.render(snap, items, st.Fetched, st.Changed.Truncate(time.Second), hist)
	if err != nil {
		return false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur != nil {
		return false, nil
	}
	f.cur = c
	f.hist = c.hist
	f.lastOK = false
	return true, nil
}

// TrustLoaded serves the roster Load read as the last good refresh's,
// not marked stale, with the next refresh due at next: for a scheduler
// that keeps an account's place in its spread rather than reading every
// roster again at a start. It does nothing unless the roster served is
// the one loaded, fetched less than an interval before now (the feed's
// refresh interval); it reports whether it trusted it.
func (f *Feed) TrustLoaded(next time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur == nil || f.lastOK || f.fails > 0 || f.stopped || f.refresh <= 0 {
		return false
	}
	if age := f.now().Sub(f.cur.fetched); age < 0 || age >= f.refresh {
		return false
	}
	f.lastOK = true
	f.next = next
	return true
}

// sameSource tells whether a saved roster belongs to the feed. Sources not
// named on either side match anything; usernames match in any case, as
// RosterOn's do.
func sameSource(saved, want Source) bool {
	if saved.URL != "" && want.URL != "" && strings.TrimRight(saved.URL, "/") != strings.TrimRight(want.URL, "/") {
		return false
	}
	if saved.Username != "" && want.Username != "" && !strings.EqualFold(saved.Username, want.Username) {
		return false
	}
	return true
}

// writeFileAtomic replaces the file at path with data, readable by the
// owner only (0600), so that a reader, or the next start after a crash,
// finds the old file or the new one and never a part of one: data goes to
// a new hidden file in the same folder, which is flushed to disk, closed and
// renamed over path. On any error the new file is removed and path is left
// as it was.
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.Replace(path, data, 0o600, true)
}
