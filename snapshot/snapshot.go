// Package snapshot holds a RosterOn roster as values: a Snapshot is the
// server's time plus every shift on the roster page, each an Item with its
// date, title and ordered details.
//
// The package is pure Go. Parse reads a roster page's HTML; it never needs a
// browser, so saved pages can be read offline and tests run in milliseconds.
//
// The String methods print values the way the original Python library
// (python-rosteron) printed its objects, so output and logs stay comparable;
// the JSON forms are what the command line tools write and read back.
package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/internal/pyrepr"
)

// Snapshot is a roster as it stood at Time.
type Snapshot struct {
	// Time is when the roster was true: the roster response's Date header
	// in UTC, or the client's clock when the server sent none.
	Time time.Time `json:"time"`
	// Items are the shifts in page order. A nil or empty slice is a valid,
	// empty roster.
	Items []Item `json:"items"`
}

// Item is one shift on the roster.
type Item struct {
	// Date is the day of the list divider the shift sits under.
	Date Date `json:"date"`
	// Title is the divider's text after the date and the first " - "
	// (it may itself contain " - "), e.g. "ABCDE - Melbourne Office".
	Title string `json:"title"`
	// Detail holds one Field per <p> of the shift, in document order:
	// usually the times, an often empty right-hand cell, the shift name
	// and the role. Positions matter, so empty fields are kept.
	Detail []Field `json:"detail"`
	// Warnings are the notices (e.g. "BLOGGS, JOE: Minimum 10 hours
	// between Allocations") that stood between the divider and this shift.
	Warnings []string `json:"warnings,omitempty"`
}

// Field is the text of one <p> of a shift. Valid is false for an empty
// <p></p>, which the original Python library reports as None; Value is then "".
type Field struct {
	Value string
	Valid bool
}

// Text returns a valid Field holding s.
func Text(s string) Field { return Field{Value: s, Valid: true} }

// Empty is the Field of an empty <p>.
var Empty = Field{}

// String returns the field's text; an empty field gives "".
func (f Field) String() string { return f.Value }

// MarshalJSON writes a valid field as a JSON string and an empty one as null,
// so that "" (a valid, empty string, never produced by Parse) and an empty
// <p> stay distinct. Valid alone decides: Value is ignored when it is false.
func (f Field) MarshalJSON() ([]byte, error) {
	if !f.Valid {
		return []byte("null"), nil
	}
	return marshal(f.Value)
}

// UnmarshalJSON reads a JSON string or null.
func (f *Field) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*f = Field{}
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("snapshot: detail field must be a string or null, got %s: %w", oneline.Truncate(string(data), maxFound), err)
	}
	*f = Text(s)
	return nil
}

// marshal is json.Marshal without HTML escaping. The MarshalJSON methods
// use it because encoding/json never undoes the \u0026 of a nested
// json.Marshal: this way "&" in a shift stays readable when the caller's
// Encoder has SetEscapeHTML(false), and json.Marshal still escapes it.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// jsonItem has Item's fields and tags but none of its methods, so Item's
// JSON methods can delegate to encoding/json without recursing.
type jsonItem Item

// MarshalJSON writes the item with "detail" always an array: readers of the
// JSON should not have to tell null from [] for a shift without <p>.
func (it Item) MarshalJSON() ([]byte, error) {
	j := jsonItem(it)
	if j.Detail == nil {
		j.Detail = []Field{}
	}
	return marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes. An item without a valid date
// is rejected: every shift on a roster page has one.
func (it *Item) UnmarshalJSON(data []byte) error {
	var j jsonItem
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	if !j.Date.Valid() {
		return errors.New("snapshot: roster item has no valid date")
	}
	if j.Detail == nil {
		j.Detail = []Field{}
	}
	// MarshalJSON leaves out an item's warnings when it has none, which
	// read back as nil; "warnings": [], as Shift's JSON writes it, reads
	// back the same way, so that an interpreted snapshot reads back equal
	// to the snapshot it was made from.
	if len(j.Warnings) == 0 {
		j.Warnings = nil
	}
	*it = Item(j)
	return nil
}

type jsonSnapshot Snapshot

// MarshalJSON writes the snapshot with "items" always an array, so an empty
// roster reads as [] rather than null.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	j := jsonSnapshot(s)
	if j.Items == nil {
		j.Items = []Item{}
	}
	return marshal(j)
}

// String prints the snapshot as the original Python library's repr did, e.g.
// <Snapshot (time=2019-06-10T08:03:12+00:00, len=19)>.
func (s Snapshot) String() string {
	var b strings.Builder
	b.WriteString("<Snapshot (time=")
	writeISOFormat(&b, s.Time)
	b.WriteString(", len=")
	b.WriteString(strconv.Itoa(len(s.Items)))
	b.WriteString(")>")
	return b.String()
}

// String prints the item as the original Python library's repr did, e.g.
// <Item (date=2019-06-11, title='ABCDE - Melbourne Office', detail=('10:30 - 18:06', None, 'XYZ', 'Assistant'))>.
// Warnings are not shown: the original had none.
func (it Item) String() string {
	var b strings.Builder
	b.WriteString("<Item (date=")
	b.WriteString(it.Date.String())
	b.WriteString(", title=")
	pyrepr.Write(&b, it.Title)
	b.WriteString(", detail=(")
	for i, f := range it.Detail {
		if i > 0 {
			b.WriteString(", ")
		}
		if f.Valid {
			pyrepr.Write(&b, f.Value)
		} else {
			b.WriteString("None")
		}
	}
	if len(it.Detail) == 1 {
		b.WriteByte(',') // Python spells a 1-tuple ('x',)
	}
	b.WriteString("))>")
	return b.String()
}
