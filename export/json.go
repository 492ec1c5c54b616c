// Package export writes roster snapshots in forms for people and for other
// programs: an aligned text table that fits a terminal (WriteTable),
// indented JSON of the raw snapshot (WriteJSON) or of its shifts read in a
// time zone (WriteShiftsJSON), iCalendar (WriteICS) and CSV (WriteCSV), and
// the differences between two snapshots as JSON (WriteChangesJSON).
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
	return writeJSON(w, s)
}

// WriteShiftsJSON writes s with its shifts read in loc (nil means UTC,
// snapshot.Floating no zone), as snapshot.Interpreted's JSON form, in WriteJSON's layout: each item has
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
// Unmarshalling it into a snapshot.Snapshot, or snapshot.LoadReader, gives
// s back.
func WriteShiftsJSON(w io.Writer, s *snapshot.Snapshot, loc *time.Location) error {
	if s == nil {
		return errNilSnapshot
	}
	return writeJSON(w, s.Interpret(loc))
}

// WriteChangesJSON writes c in WriteJSON's layout, as
// snapshot.InterpretedChanges' JSON form: "old_time", "new_time" and
// "changes", each change's "old" and "new" shifts read in loc (nil means
// UTC) as WriteShiftsJSON writes them.
func WriteChangesJSON(w io.Writer, c snapshot.Changes, loc *time.Location) error {
	return writeJSON(w, c.Interpret(loc))
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
