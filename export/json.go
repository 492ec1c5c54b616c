// Package export writes roster snapshots in forms for people and for other
// programs, among them an aligned text table that fits a terminal
// (WriteTable) and indented JSON (WriteJSON).
//
// The package is pure Go and never needs a browser.
package export

import (
	"encoding/json"
	"errors"
	"io"

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
	enc := json.NewEncoder(w)
	// snapshot's MarshalJSON methods keep "&" as is; json.Marshal would
	// escape it again when compacting their output, so only an Encoder
	// with HTML escaping off keeps a shift called "Theatre & Recovery"
	// readable.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}
