// Package export writes roster snapshots in forms for people and for other
// programs: an aligned text table that fits a terminal (WriteTable),
// indented JSON of the raw snapshot (WriteJSON) or of its shifts read in a
// time zone (WriteShiftsJSON), iCalendar (WriteICS) and CSV (WriteCSV), and
// the differences between two snapshots as text (WriteChangesText) or JSON
// (WriteChangesJSON).
//
// The package is pure Go and never needs a browser.
package export

import (
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

var errNilSnapshot = errors.New("export: nil snapshot")

// WriteJSON writes s as snapshot's JSON form, indented by two spaces and
// ending in a newline:
//
//	{
//	  "time": "2019-06-10T08:03:12Z",
//	  "items": [
//	    {
//	      "date": "2019-06-11",
//	      "title": "ABCDE - Melbourne Office",
//	      "detail": [
//	        "10:30 - 18:06",
//	        null,
//	        "XYZ",
//	        "Assistant"
//	      ]
//	    }
//	  ]
//	}
//
// "&", "<" and ">" are written as themselves: the output is meant to be read
// by people and programs, never pasted into HTML.
func WriteJSON(w io.Writer, s *snapshot.Snapshot) error {
	if s == nil {
		return errNilSnapshot
	}
	if ok, err := writeSnapshotJSON(w, s); ok {
		return err
	}
	return writeJSON(w, s)
}

// WriteShiftsJSON writes s with its shifts read in loc (nil means UTC,
// snapshot.Floating no zone), in WriteJSON's layout, with the snapshot's
// field names: each item has
// its raw fields ("date", "title", "detail", "warnings", always an array)
// followed by "start", "end" (RFC 3339 with loc's offset, none in
// snapshot.Floating, null without times), "all_day", "kind", "name" and "role":
//
//	{
//	  "time": "2026-04-01T08:03:12Z",
//	  "items": [
//	    {
//	      "date": "2026-04-04",
//	      "title": "Ward 4B",
//	      "detail": [
//	        "21:00 - 07:00",
//	        null,
//	        "Night Shift",
//	        "RN"
//	      ],
//	      "warnings": [],
//	      "start": "2026-04-04T21:00:00+11:00",
//	      "end": "2026-04-05T07:00:00+10:00",
//	      "all_day": false,
//	      "kind": "work",
//	      "name": "Night Shift",
//	      "role": "RN"
//	    }
//	  ]
//	}
//
// Each item is in snapshot.Shift's JSON form. Unmarshalling the whole into
// a snapshot.Snapshot, or snapshot.LoadReader, gives s back, the
// interpretation ignored: such files can be compared with Diff or Load.
func WriteShiftsJSON(w io.Writer, s *snapshot.Snapshot, loc *time.Location) error {
	if s == nil {
		return errNilSnapshot
	}
	shifts := s.Shifts(loc)
	if ok, err := writeShiftsJSON(w, s.Time, shifts); ok {
		return err
	}
	return writeJSON(w, interpreted{Time: s.Time, Items: nonNil(shifts)})
}

// interpreted is a snapshot with its items read in one zone.
type interpreted struct {
	Time  time.Time        `json:"time"`
	Items []snapshot.Shift `json:"items"`
}

// WriteChangesJSON writes c in WriteJSON's layout as snapshot.Changes'
// JSON form ("old_time", "new_time" and "changes", always an array), except
// that each change's "old" and "new" shifts are read in loc (nil means UTC)
// and written as WriteShiftsJSON writes them, null when absent:
//
//	{"change":"changed","date":"2026-04-07","parts":["times"],"old":{…,"start":…},"new":{…}}
func WriteChangesJSON(w io.Writer, c snapshot.Changes, loc *time.Location) error {
	shift := func(it *snapshot.Item) *snapshot.Shift {
		if it == nil {
			return nil
		}
		s := it.Shift(loc)
		return &s
	}
	changes := make([]interpretedChange, len(c.Shifts))
	for i, ch := range c.Shifts {
		changes[i] = interpretedChange{Kind: ch.Kind, Date: ch.Date, Parts: nonNil(ch.Parts), Old: shift(ch.Old), New: shift(ch.New)}
	}
	return writeJSON(w, interpretedChanges{OldTime: c.OldTime, NewTime: c.NewTime, Changes: changes})
}

// interpretedChanges is Changes with every shift read in one zone.
type interpretedChanges struct {
	OldTime time.Time           `json:"old_time"`
	NewTime time.Time           `json:"new_time"`
	Changes []interpretedChange `json:"changes"`
}

// interpretedChange is snapshot.Change's JSON form with shifts for items.
type interpretedChange struct {
	Kind  snapshot.ChangeKind `json:"change"`
	Date  snapshot.Date       `json:"date"`
	Parts []string            `json:"parts"`
	Old   *snapshot.Shift     `json:"old"`
	New   *snapshot.Shift     `json:"new"`
}

// nonNil makes a nil slice an empty one, which JSON writes as [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// writeJSON writes v indented by two spaces, ending in a newline, without
// escaping "&", "<" and ">", in a single Write.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	// snapshot's MarshalJSON methods keep "&" as is; json.Marshal would
	// escape it again when compacting their output, so only an Encoder
	// with HTML escaping off keeps a shift called "Theatre & Recovery"
	// readable.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
