package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

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

// ICSOption changes what WriteICS writes.
type ICSOption func(*icsConfig)

type icsConfig struct {
	name string
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
//     name or title changes gets a new UID: importing then adds an event
//     beside the old one, which only a subscription (a calendar replaced
//     as a whole) removes.
//   - DTSTAMP is the snapshot's Time, so the same snapshot always gives
//     the same bytes.
//   - SUMMARY is the shift name, marked "On call: " for an on-call shift
//     whose name does not already say so; without a name, the title, or
//     else the first non-empty detail, or else "Shift".
//   - LOCATION is the title; DESCRIPTION holds the role, the warnings and
//     every detail, one a line, "(empty)" for an empty one.
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
	cfg := icsConfig{name: DefaultCalendarName}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}

	cal := ics.NewCalendar()
	cal.SetProductId(icsProductID)
	cal.SetCalscale("GREGORIAN")
	cal.SetName(cfg.name) // NAME and X-WR-CALNAME

	stamp := s.Time.UTC()
	occurrences := make(map[string]int)
	for _, sh := range s.Shifts(loc) {
		base := shiftUID(sh)
		occurrences[base]++
		uid := base
		if n := occurrences[base]; n > 1 {
			uid += "-" + strconv.Itoa(n)
		}
		ev := ics.NewEvent(uid + uidDomain)
		ev.SetDtStampTime(stamp)
		if sh.HasTimes() {
			icsSetTime(ev, ics.ComponentPropertyDtStart, sh.Start)
			// RFC 5545 wants DTEND after DTSTART; without one the event
			// ends when it starts, which is what a zero-length shift is.
			if sh.End.After(sh.Start) {
				icsSetTime(ev, ics.ComponentPropertyDtEnd, sh.End)
			}
		} else {
			ev.SetAllDayStartAt(sh.Date.Time(time.UTC))
			ev.SetAllDayEndAt(sh.Date.AddDays(1).Time(time.UTC))
		}
		ev.SetSummary(icsSummary(sh))
		if title := icsLine(sh.Title); title != "" {
			ev.SetLocation(title)
		}
		ev.SetDescription(icsDescription(sh))
		if sh.Kind == snapshot.KindLeave {
			ev.SetTimeTransparency(ics.TransparencyTransparent)
		} else {
			ev.SetTimeTransparency(ics.TransparencyOpaque)
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
	if snapshot.IsFloating(t) {
		ev.SetProperty(p, t.Format("20060102T150405"))
		return
	}
	ev.SetProperty(p, t.UTC().Format("20060102T150405Z"))
}

// shiftUID hashes what identifies a shift for a person: its date, when it
// starts, what it is called and where. Fields are length-prefixed so that
// no text can run into the next field and forge another shift's UID.
func shiftUID(sh snapshot.Shift) string {
	var start string
	if sh.HasTimes() {
		start, _ = sh.Item().Clock()
	}
	h := sha256.New()
	for _, f := range [...]string{"rosteron shift v1", sh.Date.String(), start, sh.Name, sh.Title} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	// 128 bits: collisions among a person's shifts are out of the question.
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func icsSummary(sh snapshot.Shift) string {
	text := icsLine(sh.Name)
	if text == "" {
		text = icsLine(sh.Title)
	}
	for _, f := range sh.Detail {
		if text != "" {
			break
		}
		text = icsLine(f.Value)
	}
	if text == "" {
		text = "Shift"
	}
	if sh.Kind == snapshot.KindOnCall && !icsSaysOnCall(text) {
		text = "On call: " + text
	}
	return text
}

// icsSaysOnCall reports whether text already reads as on-call, so the summary
// does not say it twice ("On call: On Call").
func icsSaysOnCall(text string) bool {
	squeezed := strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, text)
	return strings.Contains(squeezed, "oncall")
}

func icsDescription(sh snapshot.Shift) string {
	var lines []string
	if !sh.HasTimes() && sh.Kind != snapshot.KindLeave {
		lines = append(lines, "The roster's times could not be read, so this is shown as an all-day event.")
	}
	if role := icsText(sh.Role); role != "" {
		lines = append(lines, "Role: "+role)
	}
	for _, w := range sh.Warnings {
		lines = append(lines, "Warning: "+icsText(w))
	}
	if len(sh.Detail) > 0 {
		lines = append(lines, "Roster details:")
		for _, f := range sh.Detail {
			if f.Valid {
				lines = append(lines, icsText(f.Value))
			} else {
				lines = append(lines, "(empty)")
			}
		}
	}
	return strings.Join(lines, "\n")
}

// icsText makes roster text fit an iCalendar TEXT value: valid UTF-8, line
// breaks as "\n" (which the library escapes), no other control characters,
// which RFC 5545 forbids and a bare CR would turn into a broken line.
func icsText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
}

// icsLine is icsText with line breaks and tabs as single spaces, for values
// that calendar programs show on one line.
func icsLine(s string) string {
	return strings.Join(strings.Fields(icsText(s)), " ")
}
