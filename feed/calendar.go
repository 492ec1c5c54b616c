package feed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/rosteron/rosteron/export"
)

// CalendarFile is the name, in the state folder, of what the iCalendar
// feed remembers of the events it served (an export.ICSHistory with the
// feed's Source), so that across refreshes and restarts each shift keeps
// its event's UID and its SEQUENCE only rises.
const CalendarFile = "calendar.json"

// calendarState is CalendarFile's content.
type calendarState struct {
	Source
	export.ICSHistory
}

// HistoryError is Load's error when the roster could be loaded (or there
// was none) but the calendar history could not be: it is set aside, and
// the feed starts a new one, whose events have the UIDs a roster without
// history gets. Calendar apps then replace the events of shifts that
// changed since the history was written, and keep the others.
type HistoryError struct{ Err error }

func (e *HistoryError) Error() string {
	return "the calendar's event history was set aside: " + e.Err.Error()
}
func (e *HistoryError) Unwrap() error { return e.Err }

// saveCalendar writes h to the feed's State, if it has one, atomically.
func (f *Feed) saveCalendar(h *export.ICSHistory) error {
	if f.state == nil || h == nil {
		return nil
	}
	st := calendarState{Source: f.source, ICSHistory: *h}
	if st.Events == nil {
		st.Events = []export.ICSEvent{}
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return stateErr(f.state, CalendarFile, f.state.Save(CalendarFile, append(data, '\n')))
}

// loadCalendar reads the history saved in the feed's State: nil, and no
// error, when there is none.
func (f *Feed) loadCalendar() (*export.ICSHistory, error) {
	if f.state == nil {
		return nil, nil
	}
	data, err := f.state.Load(CalendarFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &HistoryError{stateErr(f.state, CalendarFile, err)}
	}
	path := stateName(f.state, CalendarFile)
	var st calendarState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, &HistoryError{fmt.Errorf("reading %s: %w", path, err)}
	}
	if !sameSource(st.Source, f.source) {
		return nil, &HistoryError{fmt.Errorf("%s: %w", path, errOtherCalendar)}
	}
	if err := st.ICSHistory.Check(); err != nil {
		return nil, &HistoryError{fmt.Errorf("%s: %w", path, err)}
	}
	return &st.ICSHistory, nil
}

var errOtherCalendar = errors.New("it is another user's or instance's")
