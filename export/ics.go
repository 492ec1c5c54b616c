package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/rosteron/rosteron/snapshot"
)

// DefaultCalendarName is the calendar name WriteICS gives without
// WithCalendarName.
const DefaultCalendarName = "RosterOn roster"

// icsProductID names the program that made the calendar, as RFC 5545 asks.
const icsProductID = "-//rosteron//RosterOn roster export//EN"

// uidDomain ends every UID, as RFC 5545 suggests, so that ours cannot
// collide with another program's.
const uidDomain = "@rosteron"

// ICSOption changes what WriteICS and WriteICSFeed write.
type ICSOption func(*icsConfig)

type icsConfig struct {
	name    string
	refresh time.Duration
	// remind are the reminders' times before the start (WithReminders),
	// ascending, each once; remindLeave gives leave them too.
	remind      []time.Duration
	remindLeave bool
}

// newICSConfig applies opts to the defaults.
func newICSConfig(opts []ICSOption) icsConfig {
	cfg := icsConfig{name: DefaultCalendarName}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return cfg
}

// WithCalendarName names the calendar (NAME and X-WR-CALNAME), as calendar
// programs show it on import or subscription. An empty name keeps
// DefaultCalendarName.
func WithCalendarName(name string) ICSOption {
	return func(c *icsConfig) {
		if name = icsLine(name); name != "" {
			c.name = name
		}
	}
}

// WithRefreshInterval tells calendar apps how often to fetch the calendar
// again, with REFRESH-INTERVAL (RFC 7986) and X-PUBLISHED-TTL (which
// Outlook and Apple Calendar read), as a duration in whole seconds, at
// least one. Zero or less writes neither.
func WithRefreshInterval(d time.Duration) ICSOption {
	return func(c *icsConfig) { c.refresh = d }
}

// WithReminders gives each work, on-call and unknown shift's event a
// reminder, a VALARM, for each of before: that long before the event
// starts, or for an all-day event before the start of its day
// (TRIGGER:-PT1H, relative to DTSTART). Leave gets them only when leave is
// true. Each is ACTION:DISPLAY with the event's SUMMARY as its
// DESCRIPTION, and is marked X-ROSTERON-ALARM:1 as rosteron's own (see
// calendar.PropAlarm). Times of zero or less are left out; the rest are
// written in ascending order, each once, rounded up to whole seconds.
// Without reminders nothing about the calendar changes.
//
// In WriteICSFeed, reminders are part of what an event says: turning
// them on or changing them is a new revision of every event that has
// them (its SEQUENCE rises), so that calendar apps take them in.
func WithReminders(before []time.Duration, leave bool) ICSOption {
	before = normalReminders(before)
	return func(c *icsConfig) { c.remind, c.remindLeave = before, leave }
}

// Reminders returns the reminders WithReminders(before, leave) gives e:
// before, ascending, each once and all above zero, or none for leave when
// leave is false. A writer into another calendar gives the event these.
func Reminders(e Event, before []time.Duration, leave bool) []time.Duration {
	if e.Kind == snapshot.KindLeave && !leave {
		return nil
	}
	return normalReminders(before)
}

// normalReminders is before ascending, each once, all above zero, in
// whole seconds as written; a new slice, or nil.
func normalReminders(before []time.Duration) []time.Duration {
	var out []time.Duration
	for _, d := range before {
		if d > 0 {
			out = append(out, (d + time.Second - 1).Truncate(time.Second))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// reminders is what the config gives e.
func (c *icsConfig) reminders(e Event) []time.Duration {
	if len(c.remind) == 0 || (e.Kind == snapshot.KindLeave && !c.remindLeave) {
		return nil
	}
	return c.remind
}

// alarmProp marks rosteron's own VALARMs; it is calendar.PropAlarm,
// which this package cannot import.
const alarmProp = "X-ROSTERON-ALARM"

// alarmTrigger is the TRIGGER of a reminder d before the start.
func alarmTrigger(d time.Duration) string { return "-" + icsDuration(d) }

// WriteICS writes s as an iCalendar (RFC 5545) calendar, its shifts read
// in loc (nil means UTC, snapshot.Floating no zone; see
// snapshot.Item.Shift), with one VEVENT per
// shift in roster order:
//
//   - UID is stable across runs and independent of the other shifts, so
//     that importing a newer roster updates events rather than duplicating
//     them: a hash of the date, the start as the roster writes it ("07:00",
//     whatever loc is; none for all-day entries), the shift name and the
//     title, ending "@rosteron". Shifts for which all four are the same
//     (the same shift listed twice on a date) would share it, so the
//     second such shift in roster order gets "-2" before the "@", the
//     third "-3", and so on; the first keeps the plain UID, so a repeat
//     added later leaves the existing event alone. A shift whose start,
//     name or title changes gets a new UID here; WriteICSFeed, which
//     remembers the calendar it wrote before, keeps it.
//   - DTSTAMP is the snapshot's Time, so the same snapshot always gives
//     the same bytes.
//   - SUMMARY is the shift name, marked "On call: " for an on-call shift
//     whose name does not already say so; without a name, the title, or
//     else the first non-empty detail, or else "Shift".
//   - LOCATION is the title; DESCRIPTION says the rest as a person would
//     write it, one thing a line (see icsDescription): the times on the
//     roster's clock, the role, the note, the warnings and any further
//     details; empty details are left out.
//   - A shift with times has DTSTART and DTEND in UTC, the exact instants
//     whatever zone the calendar program shows them in, or, read in
//     snapshot.Floating, as floating local times (a zero-length
//     shift, which only a start in a skipped hour makes, has no DTEND,
//     since RFC 5545 wants DTEND after DTSTART). Leave is an
//     all-day event (VALUE=DATE, DTEND the next day) marked TRANSPARENT
//     (free); a shift whose times cannot be read is an all-day event too,
//     busy, and its DESCRIPTION says why.
//
// The calendar has VERSION, PRODID, CALSCALE:GREGORIAN and a name (see
// WithCalendarName). Lines end in CRLF and are folded at 75 octets, as
// RFC 5545 requires. Control characters in the roster's text are dropped;
// line breaks survive in DESCRIPTION only.
//
// Nothing is written when an error is returned.
func WriteICS(w io.Writer, s *snapshot.Snapshot, loc *time.Location, opts ...ICSOption) error {
	if s == nil {
		return errNilSnapshot
	}
	contents := icsContents(s, loc)
	ids := make([]eventID, len(contents))
	uids := newUIDSet(len(contents))
	for i, c := range contents {
		ids[i] = eventID{uid: uids.free(c.uidBase)}
	}
	return writeCalendar(w, s, contents, ids, opts)
}

// eventID is what identifies an event to a calendar program from one
// calendar to the next: its UID, and in a feed its revision.
type eventID struct {
	uid      string // without uidDomain
	sequence int
	modified time.Time // zero: no SEQUENCE or LAST-MODIFIED written
}

// uidSet is the UIDs of one calendar.
type uidSet struct {
	used map[string]bool
	next map[string]int // per base, the suffix to try first
}

func newUIDSet(n int) *uidSet {
	return &uidSet{used: make(map[string]bool, n), next: make(map[string]int)}
}

// free returns base, or base-2, base-3… whichever is first not used, and
// marks it used. Suffixes once taken stay taken, so the search goes on
// from the last one: a roster of many equal shifts stays linear.
func (u *uidSet) free(base string) string {
	for n := max(u.next[base], 1); ; n++ {
		uid := base
		if n > 1 {
			uid += "-" + strconv.Itoa(n)
		}
		if !u.used[uid] {
			u.used[uid], u.next[base] = true, n+1
			return uid
		}
	}
}

// Event is everything a calendar event made from one shift says: what a
// calendar program shows, and a change to which is a new revision of the
// event. WriteICS writes these; Events returns them for a writer into
// another calendar.
type Event struct {
	// Date is the shift's date on the roster.
	Date snapshot.Date
	// Start and End are the shift's instants (see snapshot.Shift); a zero
	// Start is an all-day event on Date, a zero End an event that ends
	// when it starts.
	Start, End time.Time
	// Summary, Location and Description are the event's texts, as
	// WriteICS writes them.
	Summary, Location, Description string
	// Transparent marks time that is free (leave).
	Transparent bool
	// Kind is the shift's kind.
	Kind snapshot.Kind

	uidBase string
}

// AllDay reports whether e is an all-day event, on Date.
func (e Event) AllDay() bool { return e.Start.IsZero() }

// Events returns the events WriteICS would write for s's shifts read in
// loc, in roster order.
func Events(s *snapshot.Snapshot, loc *time.Location) []Event {
	if s == nil {
		return nil
	}
	return icsContents(s, loc)
}

func icsContents(s *snapshot.Snapshot, loc *time.Location) []Event {
	shifts := s.Shifts(loc)
	out := make([]Event, len(shifts))
	for i, sh := range shifts {
		c := Event{
			uidBase:     shiftUID(sh),
			Date:        sh.Date,
			Summary:     icsSummary(sh),
			Location:    icsLine(sh.Title),
			Description: icsDescription(sh),
			Transparent: sh.Kind == snapshot.KindLeave,
			Kind:        sh.Kind,
		}
		if sh.HasTimes() {
			c.Start = sh.Start
			// RFC 5545 wants DTEND after DTSTART; without one the event
			// ends when it starts, which is what a zero-length shift is.
			if sh.End.After(sh.Start) {
				c.End = sh.End
			}
		}
		out[i] = c
	}
	return out
}

// Digest hashes what the event says, so that a feed or a calendar sync
// can tell a changed event from the same one: 32 hex digits. Fields are
// length-prefixed, as in shiftUID.
func (e Event) Digest() string {
	var start, end string
	if !e.Start.IsZero() {
		start = icsTime(e.Start)
	}
	if !e.End.IsZero() {
		end = icsTime(e.End)
	}
	transp := "opaque"
	if e.Transparent {
		transp = "transparent"
	}
	return hashFields("rosteron event v1", e.Date.String(), start, end, e.Summary, e.Location, e.Description, transp)
}

// writeCalendar writes the events with their ids, in order.
func writeCalendar(w io.Writer, s *snapshot.Snapshot, contents []Event, ids []eventID, opts []ICSOption) error {
	cfg := newICSConfig(opts)
	cal := ics.NewCalendar()
	cal.SetProductId(icsProductID)
	cal.SetCalscale("GREGORIAN")
	cal.SetName(cfg.name) // NAME and X-WR-CALNAME
	if cfg.refresh > 0 {
		d := icsDuration(cfg.refresh)
		cal.CalendarProperties = append(cal.CalendarProperties, ics.CalendarProperty{BaseProperty: ics.BaseProperty{
			IANAToken: "REFRESH-INTERVAL", ICalParameters: map[string][]string{"VALUE": {"DURATION"}}, Value: d,
		}})
		cal.SetXPublishedTTL(d)
	}

	stamp := s.Time.UTC()
	for i, c := range contents {
		ev := ics.NewEvent(ids[i].uid + uidDomain)
		if m := ids[i].modified; !m.IsZero() {
			// In a calendar without METHOD, DTSTAMP is the same as
			// LAST-MODIFIED (RFC 5545, 3.8.7.2).
			ev.SetDtStampTime(m)
			ev.SetSequence(ids[i].sequence)
			ev.SetLastModifiedAt(m)
		} else {
			ev.SetDtStampTime(stamp)
		}
		if !c.Start.IsZero() {
			icsSetTime(ev, ics.ComponentPropertyDtStart, c.Start)
			if !c.End.IsZero() {
				icsSetTime(ev, ics.ComponentPropertyDtEnd, c.End)
			}
		} else {
			ev.SetAllDayStartAt(c.Date.Time(time.UTC))
			ev.SetAllDayEndAt(c.Date.AddDays(1).Time(time.UTC))
		}
		ev.SetSummary(c.Summary)
		if c.Location != "" {
			ev.SetLocation(c.Location)
		}
		ev.SetDescription(c.Description)
		if c.Transparent {
			ev.SetTimeTransparency(ics.TransparencyTransparent)
		} else {
			ev.SetTimeTransparency(ics.TransparencyOpaque)
		}
		for _, d := range cfg.reminders(c) {
			a := ev.AddAlarm()
			a.SetAction(ics.ActionDisplay)
			a.SetProperty(ics.ComponentPropertyDescription, c.Summary)
			a.SetTrigger(alarmTrigger(d))
			a.SetProperty(alarmProp, "1")
		}
		cal.AddVEvent(ev)
	}

	var buf bytes.Buffer
	// The library's default line ending is the platform's, "\n" on Unix;
	// RFC 5545 and strict readers want CRLF.
	if err := cal.SerializeTo(&buf, ics.WithNewLineWindows); err != nil {
		return fmt.Errorf("export: writing iCalendar: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// icsSetTime sets a DTSTART or DTEND: the instant in UTC, or for a time
// read in no zone (snapshot.Floating) the clock time alone, a floating
// time that calendar programs show as it is wherever they are.
func icsSetTime(ev *ics.VEvent, p ics.ComponentProperty, t time.Time) {
	ev.SetProperty(p, icsTime(t))
}

// icsTime is t as icsSetTime writes it.
func icsTime(t time.Time) string {
	if snapshot.IsFloating(t) {
		return t.Format("20060102T150405")
	}
	return t.UTC().Format("20060102T150405Z")
}

// icsDuration writes d as an RFC 5545 duration in whole seconds, rounded
// up: "PT30M", "PT1H30M", "P1DT12H". The grammar lets a unit be followed
// only by the next smaller one, so "PT1H0M5S", not "PT1H5S".
func icsDuration(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	secs = max(secs, 1)
	days, rest := secs/86400, secs%86400
	parts := [3]int64{rest / 3600, rest % 3600 / 60, rest % 60}
	units := [3]string{"H", "M", "S"}
	var b strings.Builder
	b.WriteByte('P')
	if days > 0 {
		b.WriteString(strconv.FormatInt(days, 10) + "D")
	}
	first, last := -1, -1
	for i, v := range parts {
		if v > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first >= 0 {
		b.WriteByte('T')
		for i := first; i <= last; i++ {
			b.WriteString(strconv.FormatInt(parts[i], 10) + units[i])
		}
	}
	return b.String()
}

// shiftUID hashes what identifies a shift for a person: its date, when it
// starts, what it is called and where. Fields are length-prefixed so that
// no text can run into the next field and forge another shift's UID.
func shiftUID(sh snapshot.Shift) string {
	var start string
	if sh.HasTimes() {
		start, _ = sh.Item().Clock()
	}
	return hashFields("rosteron shift v1", sh.Date.String(), start, sh.Name, sh.Title)
}

// hashFields hashes fields, each length-prefixed so that no text can run
// into the next field and forge another's hash, into 128 bits of hex:
// collisions among a person's shifts are out of the question.
func hashFields(fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
