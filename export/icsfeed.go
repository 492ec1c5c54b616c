package export

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

// ICSHistory is what a calendar feed remembers of the calendar it served
// last, so that the next one updates its events in place: a shift that
// changes keeps its event's UID, with a higher SEQUENCE, rather than being
// deleted and added again by calendar apps, with its alarms and notes.
// Its JSON form is what a feed keeps on disk between runs.
//
// The zero value, or nil, is no history: the calendar a roster then gives
// has the UIDs WriteICS gives it.
type ICSHistory struct {
	// Events are the calendar's events, in roster order.
	Events []ICSEvent `json:"events"`
	// Gone are events removed from the calendar since, kept so that a
	// shift that comes back continues its event's SEQUENCE. A gone event
	// is forgotten once the roster no longer reaches back to its date.
	Gone []ICSEvent `json:"gone,omitempty"`
}

// ICSEvent is one event of a calendar as it was served.
type ICSEvent struct {
	// UID is the event's UID without "@rosteron".
	UID string `json:"uid"`
	// Sequence is its SEQUENCE: 0 when first served, one more for each
	// change to what it says.
	Sequence int `json:"sequence"`
	// Modified is its LAST-MODIFIED: when it was first served or last
	// changed.
	Modified time.Time `json:"modified"`
	// Digest is a hash of what it said (times, summary, location,
	// description, transparency), to tell a changed event from the same:
	// Event.Digest, or for an event with reminders (WithReminders) a hash
	// of that and its reminders.
	Digest string `json:"digest"`
	// Item is the shift it was made from, to match with the next roster's.
	Item snapshot.Item `json:"item"`
}

// maxGone bounds how many removed events a history remembers.
const maxGone = 1000

// Check reports whether h could have been written by WriteICSFeed: every
// UID present and unique. A feed that finds otherwise on disk starts
// afresh rather than serve a calendar with two events under one UID.
func (h *ICSHistory) Check() error {
	if h == nil {
		return nil
	}
	seen := make(map[string]bool, len(h.Events))
	for _, ev := range h.Events {
		switch {
		case ev.UID == "" || strings.ContainsAny(ev.UID, "@\r\n"):
			return fmt.Errorf("export: calendar history: event with UID %q", ev.UID)
		case seen[ev.UID]:
			return fmt.Errorf("export: calendar history: UID %s twice", ev.UID)
		case ev.Sequence < 0:
			return fmt.Errorf("export: calendar history: UID %s has SEQUENCE %d", ev.UID, ev.Sequence)
		}
		seen[ev.UID] = true
	}
	for _, ev := range h.Gone {
		if ev.UID == "" || ev.Sequence < 0 {
			return errors.New("export: calendar history: a removed event without a UID or with a negative SEQUENCE")
		}
	}
	return nil
}

// WriteICSFeed writes s as WriteICS does, as the next calendar of a feed
// whose last calendar prev describes, and returns the history to give the
// next call. now is when this calendar is made: the LAST-MODIFIED of
// events that are new or changed.
//
// Shifts are followed from prev's roster to s with snapshot.Match, so
// exactly as `rosteron diff` pairs them:
//
//   - A shift paired with one of prev's keeps that event's UID, whatever
//     changed: its times, its name, its title. If what the event says
//     changed, its SEQUENCE rises by one and LAST-MODIFIED is now;
//     otherwise both stay as they were.
//   - A new shift gets the UID WriteICS would give it, or, when an event
//     kept from prev already has that UID, the next free "-2", "-3"…
//     form. If that UID is one of a removed event that prev remembers, the
//     event comes back with the SEQUENCE after that one's, so a UID's
//     SEQUENCE never goes down.
//   - A shift moved to another date is one removed and one added, as in
//     diff: its event is replaced. Pairing across dates would be a guess
//     (a Tuesday shift gone and a Thursday one new may be two decisions).
//
// With a nil prev every event is new, with the UIDs WriteICS gives: a
// feed that starts without history keeps the events of calendars that
// subscribed to it before. Every event of a feed has SEQUENCE and
// LAST-MODIFIED, which WriteICS leaves out, and its DTSTAMP is its
// LAST-MODIFIED, as RFC 5545 has it for a calendar without METHOD, so an
// event that did not change is written the same byte for byte.
//
// Reminders (WithReminders) are part of what an event says: an event
// whose reminders were turned on, changed or turned off gets a new
// revision, and an event updated keeps them.
//
// prev is not changed. Nothing is written when an error is returned.
func WriteICSFeed(w io.Writer, s *snapshot.Snapshot, loc *time.Location, prev *ICSHistory, now time.Time, opts ...ICSOption) (*ICSHistory, error) {
	if s == nil {
		return nil, errNilSnapshot
	}
	if err := prev.Check(); err != nil {
		return nil, err
	}
	contents := icsContents(s, loc)
	cfg := newICSConfig(opts)
	next := nextHistory(prev, s, contents, now.UTC().Truncate(time.Second), cfg.digest)
	ids := make([]eventID, len(next.Events))
	for i, ev := range next.Events {
		ids[i] = eventID{uid: ev.UID, sequence: ev.Sequence, modified: ev.Modified}
	}
	if err := writeCalendar(w, s, contents, ids, opts); err != nil {
		return nil, err
	}
	return next, nil
}

// NextICSHistory returns the history WriteICSFeed would return for the
// same arguments, without writing the calendar: the UIDs, SEQUENCEs and
// LAST-MODIFIEDs the events of s's shifts get when prev describes the
// events a calendar holds now. Its Events are in s's order, as Events(s,
// loc) returns their contents. A calendar sync that keeps no state of its
// own builds prev from the events it finds in the calendar. Its digests
// are Event.Digest, without reminders, which such a sync compares itself.
func NextICSHistory(s *snapshot.Snapshot, loc *time.Location, prev *ICSHistory, now time.Time) (*ICSHistory, error) {
	if s == nil {
		return nil, errNilSnapshot
	}
	if err := prev.Check(); err != nil {
		return nil, err
	}
	return nextHistory(prev, s, icsContents(s, loc), now.UTC().Truncate(time.Second), Event.Digest), nil
}

// digest is what a feed's history keeps of what e says: Event.Digest,
// and when e has reminders, they too, so that turning them on or changing
// them is a new revision. An event without any keeps Event.Digest, which
// a calendar sync stores as it is.
func (c *icsConfig) digest(e Event) string {
	before := c.reminders(e)
	if len(before) == 0 {
		return e.Digest()
	}
	fields := []string{"rosteron event with alarms v1", e.Digest()}
	for _, d := range before {
		fields = append(fields, alarmTrigger(d))
	}
	return hashFields(fields...)
}

// nextHistory follows prev to s's shifts; digest is what an event's
// history keeps of what it says.
func nextHistory(prev *ICSHistory, s *snapshot.Snapshot, contents []Event, now time.Time, digest func(Event) string) *ICSHistory {
	if prev == nil {
		prev = &ICSHistory{}
	}
	before := &snapshot.Snapshot{Items: make([]snapshot.Item, len(prev.Events))}
	for i, ev := range prev.Events {
		before.Items[i] = ev.Item
	}
	pairs := snapshot.Match(before, s)

	next := &ICSHistory{Events: make([]ICSEvent, len(s.Items))}
	uids := newUIDSet(len(s.Items))
	kept := make([]bool, len(s.Items))
	gone := make(map[string]ICSEvent, len(prev.Gone))
	var goneOrder []string
	forget := func(ev ICSEvent) {
		if _, ok := gone[ev.UID]; !ok {
			goneOrder = append(goneOrder, ev.UID)
		}
		gone[ev.UID] = ev
	}
	for _, ev := range prev.Gone {
		forget(ev)
	}

	// Shifts that were there before keep their events.
	for _, p := range pairs {
		switch {
		case p.Old >= 0 && p.New >= 0:
			old := prev.Events[p.Old]
			ev := old
			ev.Item, ev.Digest = s.Items[p.New], digest(contents[p.New])
			if ev.Digest != old.Digest {
				ev.Sequence++
				ev.Modified = now
			}
			next.Events[p.New] = ev
			uids.used[ev.UID], kept[p.New] = true, true
		case p.Old >= 0:
			forget(prev.Events[p.Old])
		}
	}
	// New shifts get the UIDs a roster without history gives them.
	for j := range s.Items {
		if kept[j] {
			continue
		}
		ev := ICSEvent{
			UID:      uids.free(contents[j].uidBase),
			Modified: now,
			Digest:   digest(contents[j]),
			Item:     s.Items[j],
		}
		if g, ok := gone[ev.UID]; ok {
			ev.Sequence = g.Sequence + 1
			delete(gone, ev.UID)
		}
		next.Events[j] = ev
	}

	// Forget what can no longer come back: events before the roster's
	// first date, and the oldest beyond maxGone.
	first, ok := firstDate(s.Items)
	for _, uid := range goneOrder {
		g, there := gone[uid]
		if !there || uids.used[uid] || (ok && g.Item.Date.Before(first)) {
			continue
		}
		next.Gone = append(next.Gone, g)
	}
	if n := len(next.Gone); n > maxGone {
		next.Gone = slices.Clone(next.Gone[n-maxGone:])
	}
	return next
}

// firstDate is the earliest valid date among items.
func firstDate(items []snapshot.Item) (snapshot.Date, bool) {
	var first snapshot.Date
	found := false
	for _, it := range items {
		if it.Date.Valid() && (!found || it.Date.Before(first)) {
			first, found = it.Date, true
		}
	}
	return first, found
}
