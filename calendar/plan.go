package calendar

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/snapshot"
)

// Options are what a sync needs besides the roster and the calendar.
type Options struct {
	// Account names the account whose roster is synced (see AccountID):
	// only its events are touched.
	Account string
	// Location is the roster's zone, which its shifts are read in and
	// which says what day it is today; nil means UTC, and
	// snapshot.Floating no zone (see Today).
	Location *time.Location
	// Now is the time of the sync: what day it is, and the LAST-MODIFIED
	// of the events it writes. Zero means time.Now().
	Now time.Time
	// Alarms are the reminders of work, on-call and unknown shifts, each
	// a time before the event's start (see Event.Alarms), in whole
	// seconds, as export.Reminders gives them; none when empty. Leave
	// gets them only with AlarmLeave.
	Alarms []time.Duration
	// AlarmLeave gives leave the Alarms too.
	AlarmLeave bool
	// AllowEmpty lets a roster with no shift from today on delete every
	// upcoming event of the account. Without it such a plan is refused
	// with ErrEmptyRoster, as one empty read is more often a glitch than
	// news.
	AllowEmpty bool
	// DryRun plans and reports the changes without writing any (Sync,
	// Syncer).
	DryRun bool
}

// now is Options.Now, or the clock's time.
func (o *Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

// check validates the options that the caller chose.
func (o *Options) check() error {
	if o.Account == "" || strings.ContainsAny(o.Account, "\r\n") {
		return errors.New("calendar: no account to sync (see AccountID)")
	}
	for _, a := range o.Alarms {
		if a <= 0 {
			return fmt.Errorf("calendar: a reminder at %v: want times before the start, such as 1h", a)
		}
	}
	return nil
}

// alarms is the reminders of e: the Alarms, as export gives them in a
// feed (export.Reminders), so that a synced event and the feed's agree.
func (o *Options) alarms(e export.Event) []time.Duration {
	return export.Reminders(e, o.Alarms, o.AlarmLeave)
}

// normAlarms is alarms ascending, each once; nil when there are none.
func normAlarms(alarms []time.Duration) []time.Duration {
	if len(alarms) == 0 {
		return nil
	}
	out := slices.Clone(alarms)
	slices.Sort(out)
	return slices.Compact(out)
}

// latestZone is the zone whose date is the latest on Earth, which is
// what day it is "today" for a roster read without a zone.
var latestZone = time.FixedZone("UTC+14", 14*3600)

// Today is the date it is at now in the roster's zone loc: a sync
// deletes no event, and undoes no edit made in the calendar, on a day
// before it, since the roster page may no longer list those days. nil
// means UTC. For a roster read in snapshot.Floating, whose zone is not
// known, it is the date in the zone that is furthest ahead (UTC+14): a
// day that may still be today somewhere is not taken for past. Shifts
// the roster lists are written whatever their date.
func Today(now time.Time, loc *time.Location) snapshot.Date {
	switch loc {
	case nil:
		loc = time.UTC
	case snapshot.Floating:
		loc = latestZone
	}
	return snapshot.DateOf(now.In(loc))
}

// ErrEmptyRoster is a plan refused because the roster has no shift from
// today on where the calendar has upcoming events of the account: one
// read like that is more often a glitch than news. Read the roster again,
// and sync with Options.AllowEmpty only if that read agrees.
var ErrEmptyRoster = errors.New("calendar: the roster has no shift from today on, but the calendar has upcoming events: not deleting them on one read")

// Op is what an Action does to the calendar.
type Op string

// The operations of a plan.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// The reasons an Action gives, as Action.Reason says them.
const (
	ReasonNew       = "new shift"
	ReasonChanged   = "changed on the roster"
	ReasonReplaced  = "changed on the roster; the edit made in the calendar is replaced"
	ReasonEdited    = "edited in the calendar: restored from the roster"
	ReasonAlarms    = "reminders changed"
	ReasonItem      = "the roster's record of the shift changed"
	ReasonRestored  = "shift back on the roster: the cancelled event restored"
	ReasonGone      = "shift gone from the roster"
	ReasonDuplicate = "a second event with the UID of another: duplicate removed"
)

// Action is one write of a plan.
type Action struct {
	// Op is what is done.
	Op Op
	// Event is the event as it will be (create, update) or as the
	// calendar holds it (delete).
	Event Event
	// Old is the event as the calendar holds it (update, delete); zero
	// for a create.
	Old Stored
	// Reason says why, for people: one of the Reason constants.
	Reason string

	loc *time.Location
}

// String is the action as one line for people: what, the date, the
// times on the roster's clock, the summary, and why:
// "update 2026-12-07 Mon 08:00–16:30 Early: changed on the roster".
func (a Action) String() string {
	return fmt.Sprintf("%s %s: %s", a.Op, describe(a.Event, a.loc), a.Reason)
}

// describe is an event's date, times and summary, one line.
func describe(ev Event, loc *time.Location) string {
	d := ev.Item.Date
	if !d.Valid() {
		d = ev.Date
	}
	var b strings.Builder
	b.WriteString(d.String())
	if d.Valid() {
		b.WriteString(" " + d.Weekday().String()[:3])
	}
	if ev.Item.Date.Valid() {
		sh := ev.Item.Shift(loc)
		if when := export.Times(sh, " (+1)"); when != "" {
			b.WriteString(" " + when)
		}
	}
	if s := oneline.Text(ev.Summary); s != "" {
		b.WriteString(" " + oneline.Truncate(s, 80))
	}
	return b.String()
}

// Plan is what a sync writes to bring one account's events in a calendar
// up to date with a roster: made by MakePlan, carried out by Apply. It
// holds no connection to the calendar and may be printed, stored or
// discarded.
type Plan struct {
	// Actions are the writes, by date and start.
	Actions []Action
	// Unchanged counts the events from today on that already say what
	// the roster does.
	Unchanged int
	// Past counts the events before today left as they are: unchanged,
	// edited in the calendar (not undone), or with their shift gone from
	// the roster (not deleted).
	Past int
	// Ignored counts events of the account that the plan did not take
	// for rosteron's, for a UID of a form it does not write (an event
	// copied by hand, say) or no roster record: they are left alone.
	Ignored int

	opts  Options
	today snapshot.Date
}

// Empty reports whether the plan writes nothing.
func (p *Plan) Empty() bool { return p == nil || len(p.Actions) == 0 }

// Today is the date the plan starts from (see Today).
func (p *Plan) Today() snapshot.Date { return p.today }

// Count returns the number of actions that do op.
func (p *Plan) Count(op Op) int {
	n := 0
	for _, a := range p.Actions {
		if a.Op == op {
			n++
		}
	}
	return n
}

// MakePlan compares the roster snap with stored, the account's events as
// the calendar holds them (Calendar.List), and returns the writes that
// bring them in line. It keeps no state: everything it needs of earlier
// syncs, which event is which shift's and at what SEQUENCE, it reads from
// the events themselves.
//
// Shifts are paired with events as export's feed pairs them across
// rosters (export.NextICSHistory, and so snapshot.Match): a shift whose
// times, name or title changed keeps its event, updated in place with
// the same UID, SEQUENCE one higher and LAST-MODIFIED now. Then:
//
//   - a shift without an event gets one (create), or, where the calendar
//     keeps a cancelled event under its UID (Google), that one is restored
//     (update, SEQUENCE above the cancelled one's);
//   - an event is updated when what it should say differs from what it
//     says: the roster changed (its digest), someone edited it in the
//     calendar (its content no longer has the digest rosteron wrote: the
//     roster wins, and the reason says so), its reminders differ from
//     Options.Alarms, or its record of the shift is stale;
//   - an event whose shift is gone is deleted;
//   - of two events with one UID (a copy, or a sync cut short) one is
//     kept: one not cancelled, else one not edited, else the highest
//     SEQUENCE; the others are deleted.
//
// Before Today, only changes on the roster are written (creates, and
// updates for a changed shift): an event there is not deleted, nor an
// edit made to it in the calendar undone, nor its reminders changed,
// since the roster page may no longer list those days.
// Events of the account whose UID is not of rosteron's form are ignored,
// as are cancelled ones no shift comes back to.
//
// A roster with no shift from today on, where the calendar holds upcoming
// events of the account, is refused with ErrEmptyRoster unless
// Options.AllowEmpty.
func MakePlan(snap *snapshot.Snapshot, stored []Stored, opts Options) (*Plan, error) {
	if snap == nil {
		return nil, errors.New("calendar: no roster to plan from")
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	opts.Alarms = normAlarms(opts.Alarms)
	now := opts.now()
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	p := &Plan{opts: opts, today: Today(now, loc)}
	p.opts.Location, p.opts.Now = loc, now
	tag := accountTag(opts.Account)

	// The account's events by feed UID, in the calendar's order.
	byUID := make(map[string][]Stored)
	var uids []string
	for _, s := range stored {
		uid, ok := feedUID(s.UID, tag)
		if !ok || s.Account != opts.Account || !s.Item.Date.Valid() {
			p.Ignored++
			continue
		}
		if _, seen := byUID[uid]; !seen {
			uids = append(uids, uid)
		}
		byUID[uid] = append(byUID[uid], s)
	}
	kept := make(map[string]Stored, len(uids))
	var dups []Stored
	for _, uid := range uids {
		k, rest := keepOne(byUID[uid])
		kept[uid] = k
		dups = append(dups, rest...)
	}

	// What the calendar holds, as the feed's history of it: its events in
	// the order of their shifts, the cancelled ones as removed.
	hist := &export.ICSHistory{}
	order := slices.Clone(uids)
	slices.SortStableFunc(order, func(a, b string) int { return compareEvents(kept[a].Event, kept[b].Event) })
	for _, uid := range order {
		s := kept[uid]
		ev := export.ICSEvent{UID: uid, Sequence: max(s.Sequence, 0), Modified: s.Modified, Digest: s.Digest, Item: s.Item}
		if s.Cancelled {
			hist.Gone = append(hist.Gone, ev)
		} else {
			hist.Events = append(hist.Events, ev)
		}
	}
	next, err := export.NextICSHistory(snap, loc, hist, now)
	if err != nil {
		return nil, fmt.Errorf("calendar: pairing the roster with the calendar's events: %w", err)
	}
	contents := export.Events(snap, loc)
	if len(contents) != len(next.Events) {
		return nil, errors.New("calendar: the roster's events and their UIDs do not line up")
	}

	if !opts.AllowEmpty {
		shifts, events := 0, 0
		for _, c := range contents {
			if !c.Date.Before(p.today) {
				shifts++
			}
		}
		for _, s := range kept {
			if !s.Cancelled && !s.Item.Date.Before(p.today) {
				events++
			}
		}
		if shifts == 0 && events > 0 {
			return nil, fmt.Errorf("%w (%d upcoming)", ErrEmptyRoster, events)
		}
	}

	stamp := now.UTC().Truncate(time.Second)
	wanted := make(map[string]bool, len(next.Events))
	for j, ne := range next.Events {
		wanted[ne.UID] = true
		want := Event{
			Event:    contents[j],
			UID:      calendarUID(ne.UID, tag),
			Account:  opts.Account,
			Sequence: ne.Sequence,
			Modified: ne.Modified,
			Digest:   ne.Digest,
			Item:     ne.Item,
			Alarms:   p.opts.alarms(contents[j]),
		}
		past := want.Item.Date.Before(p.today)
		old, there := kept[ne.UID]
		if !there {
			// Every shift the roster lists has its event, whatever
			// its date: "today" may be wrong by a day (a roster read
			// in no zone), and the shift is on the roster.
			p.add(Action{Op: OpCreate, Event: want, Reason: ReasonNew})
			continue
		}
		reason := updateReason(old, want)
		if reason == "" || (past && !fromRoster(reason)) {
			if past {
				p.Past++
			} else {
				p.Unchanged++
			}
			continue
		}
		// Every write is a revision: SEQUENCE above the calendar's,
		// whatever the feed's history made of it.
		want.Sequence = max(want.Sequence, old.Sequence+1)
		want.Modified = stamp
		p.add(Action{Op: OpUpdate, Event: want, Old: old, Reason: reason})
	}
	for _, uid := range order {
		s := kept[uid]
		if wanted[uid] || s.Cancelled {
			continue
		}
		if s.Item.Date.Before(p.today) {
			p.Past++
			continue
		}
		p.add(Action{Op: OpDelete, Event: s.Event, Old: s, Reason: ReasonGone})
	}
	for _, s := range dups {
		if s.Cancelled {
			continue
		}
		if s.Item.Date.Before(p.today) {
			p.Past++
			continue
		}
		p.add(Action{Op: OpDelete, Event: s.Event, Old: s, Reason: ReasonDuplicate})
	}
	slices.SortStableFunc(p.Actions, func(a, b Action) int { return compareEvents(a.Event, b.Event) })
	return p, nil
}

func (p *Plan) add(a Action) {
	a.loc = p.opts.Location
	p.Actions = append(p.Actions, a)
}

// updateReason says why old is to be rewritten as want, "" when it says
// what want does.
func updateReason(old Stored, want Event) string {
	edited := old.Event.Event.Digest() != old.Digest
	switch {
	case old.Cancelled:
		return ReasonRestored
	case want.Digest != old.Digest && edited:
		return ReasonReplaced
	case want.Digest != old.Digest:
		return ReasonChanged
	case edited:
		return ReasonEdited
	case !slices.Equal(normAlarms(old.Alarms), want.Alarms):
		return ReasonAlarms
	case !sameItem(old.Item, want.Item):
		return ReasonItem
	}
	return ""
}

// fromRoster reports whether an update for reason brings a change on
// the roster to the calendar, which is written whatever the shift's
// date; the others (an edit made in the calendar undone, reminders) are
// left alone before today.
func fromRoster(reason string) bool {
	switch reason {
	case ReasonChanged, ReasonReplaced, ReasonItem, ReasonRestored:
		return true
	}
	return false
}

// keepOne picks, of events with one UID, the one to keep: one not
// cancelled, else one that says what rosteron wrote, else the highest
// SEQUENCE, else the first listed. The rest are returned in order.
func keepOne(events []Stored) (Stored, []Stored) {
	best := 0
	rank := func(s Stored) [3]int {
		var r [3]int
		if !s.Cancelled {
			r[0] = 1
		}
		if s.Event.Event.Digest() == s.Digest {
			r[1] = 1
		}
		r[2] = s.Sequence
		return r
	}
	for i := 1; i < len(events); i++ {
		if r, b := rank(events[i]), rank(events[best]); slices.Compare(r[:], b[:]) > 0 {
			best = i
		}
	}
	rest := make([]Stored, 0, len(events)-1)
	rest = append(rest, events[:best]...)
	rest = append(rest, events[best+1:]...)
	return events[best], rest
}

// compareEvents orders events by their shift's date, then start, then
// UID, so that a plan reads in roster order whatever order the calendar
// lists them in.
func compareEvents(a, b Event) int {
	if c := a.Item.Date.Compare(b.Item.Date); c != 0 {
		return c
	}
	sa, _ := a.Item.Clock()
	sb, _ := b.Item.Clock()
	if c := strings.Compare(sa, sb); c != 0 {
		return c
	}
	return strings.Compare(a.UID, b.UID)
}

// sameItem reports whether two roster records are the same shift, as
// snapshot.Match's equality has it: a record read back from a calendar
// may have nil where the roster had empty.
func sameItem(a, b snapshot.Item) bool {
	return a.Date == b.Date && a.Title == b.Title &&
		slices.Equal(a.Detail, b.Detail) && slices.Equal(a.Warnings, b.Warnings)
}
