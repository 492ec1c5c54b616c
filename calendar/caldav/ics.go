package caldav

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/snapshot"
)

// productID is the PRODID of the objects rosteron writes.
const productID = "-//rosteron//rosteron calendar sync//EN"

const (
	utcLayout      = "20060102T150405Z"
	floatingLayout = "20060102T150405"
	dateLayout     = "20060102"
)

// owned are the VEVENT properties rosteron writes and so replaces on an
// update; every other property the event has is the person's, and kept.
// Besides its own, rosteron owns what would contradict them: recurrence
// (a shift happens once), and the richer forms of its texts that calendar
// apps add and show in place of them (Outlook's X-ALT-DESC, Apple's
// structured location).
var owned = map[string]bool{
	ical.PropUID:                  true,
	ical.PropDateTimeStamp:        true,
	ical.PropSequence:             true,
	ical.PropLastModified:         true,
	ical.PropDateTimeStart:        true,
	ical.PropDateTimeEnd:          true,
	ical.PropDuration:             true,
	ical.PropSummary:              true,
	ical.PropLocation:             true,
	ical.PropDescription:          true,
	ical.PropTransparency:         true,
	ical.PropRecurrenceRule:       true,
	ical.PropRecurrenceDates:      true,
	ical.PropExceptionDates:       true,
	ical.PropRecurrenceID:         true,
	"X-ALT-DESC":                  true,
	"X-APPLE-STRUCTURED-LOCATION": true,
}

func isOwned(name string) bool {
	return owned[name] || strings.HasPrefix(name, "X-ROSTERON-")
}

// resourceName is the file name of the event with uid in its calendar:
// the UID's part before UIDDomain when it is a plain name, else a hash of
// the UID.
func resourceName(uid string) string {
	local := strings.TrimSuffix(uid, calendar.UIDDomain)
	if plainName.MatchString(local) {
		return local + ".ics"
	}
	sum := sha256.Sum256([]byte(uid))
	return hex.EncodeToString(sum[:16]) + ".ics"
}

var plainName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$`)

// checkEvent refuses an event that cannot be written as rosteron's.
func checkEvent(ev calendar.Event) error {
	switch {
	case !strings.HasSuffix(ev.UID, calendar.UIDDomain) || len(ev.UID) == len(calendar.UIDDomain):
		return fmt.Errorf("the UID %q does not end in %s", ev.UID, calendar.UIDDomain)
	case strings.ContainsAny(ev.UID, "\r\n"):
		return errors.New("a UID with a line break")
	case ev.Account == "" || strings.ContainsAny(ev.Account, "\r\n"):
		return errors.New("no account, or one with a line break")
	case ev.AllDay() && !ev.Date.Valid():
		return fmt.Errorf("an all-day event without a valid date (%v)", ev.Date)
	case ev.Sequence < 0:
		return fmt.Errorf("a negative SEQUENCE %d", ev.Sequence)
	}
	return nil
}

// escapeText writes s as an iCalendar TEXT value (RFC 5545, 3.3.11). A
// line break is "\n" whatever it was.
func escapeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unescapeText reads a TEXT value. It is lenient, as the value may come
// from any calendar app: an unknown escape, or a comma not escaped, is
// kept as it stands.
func unescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		case '\\', ';', ',', ':', '"':
			b.WriteByte(s[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func textProp(name, value string) *ical.Prop {
	p := ical.NewProp(name)
	p.Value = escapeText(value)
	return p
}

func valueProp(name, value string) *ical.Prop {
	p := ical.NewProp(name)
	p.Value = value
	return p
}

// timeProp is a DTSTART or DTEND: the instant in UTC, or for a time read
// in no zone (snapshot.Floating) the clock time alone, as export writes
// them.
func timeProp(name string, t time.Time) *ical.Prop {
	if snapshot.IsFloating(t) {
		return valueProp(name, t.Format(floatingLayout))
	}
	return valueProp(name, t.UTC().Format(utcLayout))
}

func dateProp(name string, d snapshot.Date) *ical.Prop {
	p := valueProp(name, d.Time(time.UTC).Format(dateLayout))
	p.Params.Set(ical.ParamValue, string(ical.ValueDate))
	return p
}

// formatTrigger writes an alarm d before the start as an RFC 5545
// duration: "-PT1H", "-PT15M", "-P1D".
func formatTrigger(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	if secs <= 0 {
		return "PT0S"
	}
	days, rest := secs/86400, secs%86400
	var b strings.Builder
	b.WriteString("-P")
	if days > 0 {
		b.WriteString(strconv.FormatInt(days, 10) + "D")
	}
	if rest > 0 {
		b.WriteByte('T')
		h, m, s := rest/3600, rest%3600/60, rest%60
		if h > 0 {
			b.WriteString(strconv.FormatInt(h, 10) + "H")
		}
		if m > 0 || (h > 0 && s > 0) {
			b.WriteString(strconv.FormatInt(m, 10) + "M")
		}
		if s > 0 {
			b.WriteString(strconv.FormatInt(s, 10) + "S")
		}
	}
	return b.String()
}

// newEvent is the VEVENT rosteron writes for ev, at now when ev has no
// Modified time.
func newEvent(ev calendar.Event, now time.Time) *ical.Component {
	e := ical.NewComponent(ical.CompEvent)
	modified := ev.Modified
	if modified.IsZero() {
		modified = now
	}
	modified = modified.UTC().Truncate(time.Second)
	add := func(p *ical.Prop) { e.Props.Add(p) }
	add(valueProp(ical.PropUID, ev.UID))
	// In a calendar without METHOD, DTSTAMP is the same as LAST-MODIFIED
	// (RFC 5545, 3.8.7.2).
	add(valueProp(ical.PropDateTimeStamp, modified.Format(utcLayout)))
	add(valueProp(ical.PropLastModified, modified.Format(utcLayout)))
	add(valueProp(ical.PropSequence, strconv.Itoa(ev.Sequence)))
	if ev.AllDay() {
		add(dateProp(ical.PropDateTimeStart, ev.Date))
		add(dateProp(ical.PropDateTimeEnd, ev.Date.AddDays(1)))
	} else {
		add(timeProp(ical.PropDateTimeStart, ev.Start))
		if !ev.End.IsZero() {
			add(timeProp(ical.PropDateTimeEnd, ev.End))
		}
	}
	add(textProp(ical.PropSummary, ev.Summary))
	if ev.Location != "" {
		add(textProp(ical.PropLocation, ev.Location))
	}
	if ev.Description != "" {
		add(textProp(ical.PropDescription, ev.Description))
	}
	if ev.Transparent {
		add(valueProp(ical.PropTransparency, "TRANSPARENT"))
	} else {
		add(valueProp(ical.PropTransparency, "OPAQUE"))
	}
	add(textProp(calendar.PropAccount, ev.Account))
	if ev.Digest != "" {
		add(textProp(calendar.PropDigest, ev.Digest))
	}
	if item, err := json.Marshal(ev.Item); err == nil {
		add(textProp(calendar.PropItem, string(item)))
	}
	alarms := slices.Clone(ev.Alarms)
	slices.Sort(alarms)
	alarms = slices.Compact(alarms)
	for _, d := range alarms {
		a := ical.NewComponent(ical.CompAlarm)
		a.Props.Add(valueProp(ical.PropAction, "DISPLAY"))
		a.Props.Add(valueProp(ical.PropTrigger, formatTrigger(d)))
		desc := ev.Summary
		if desc == "" {
			desc = "Shift"
		}
		a.Props.Add(textProp(ical.PropDescription, desc))
		a.Props.Add(valueProp(calendar.PropAlarm, "1"))
		e.Children = append(e.Children, a)
	}
	return e
}

func newCalendarObject(events ...*ical.Component) *ical.Calendar {
	cal := ical.NewCalendar()
	cal.Props.Add(valueProp(ical.PropProductID, productID))
	cal.Props.Add(valueProp(ical.PropVersion, "2.0"))
	cal.Props.Add(valueProp(ical.PropCalendarScale, "GREGORIAN"))
	cal.Children = append(cal.Children, events...)
	return cal
}

// encode writes ev as a calendar object. When stored, the object the
// calendar holds now, is given and can be read, the person's additions to
// it are kept: every property of its event that rosteron does not own,
// its alarms that are not rosteron's, and the object's other components
// (time zones) and properties.
func encode(ev calendar.Event, stored []byte, now time.Time) ([]byte, error) {
	fresh := newEvent(ev, now)
	cal := newCalendarObject(fresh)
	if old, err := decodeObject(stored); err == nil && stored != nil {
		cal = merge(old, fresh)
	}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, fmt.Errorf("writing the event as iCalendar: %w", err)
	}
	return fold(buf.Bytes()), nil
}

func decodeObject(data []byte) (*ical.Calendar, error) {
	if data == nil {
		return nil, errors.New("no object")
	}
	return ical.NewDecoder(bytes.NewReader(data)).Decode()
}

func merge(old *ical.Calendar, fresh *ical.Component) *ical.Calendar {
	uid := fresh.Props.Get(ical.PropUID).Value
	out := newCalendarObject()
	for name, props := range old.Props {
		if name == ical.PropProductID || name == ical.PropVersion || name == ical.PropCalendarScale || name == ical.PropMethod {
			continue
		}
		out.Props[name] = props
	}
	placed := false
	for _, child := range old.Children {
		if child.Name != ical.CompEvent {
			out.Children = append(out.Children, child)
			continue
		}
		p := child.Props.Get(ical.PropUID)
		if p == nil || p.Value != uid || child.Props.Get(ical.PropRecurrenceID) != nil || placed {
			// An override of one occurrence, or another event: rosteron's
			// shift happens once, so none is kept.
			continue
		}
		placed = true
		for name, props := range child.Props {
			if isOwned(name) {
				continue
			}
			if name == ical.PropStatus && len(props) == 1 && strings.EqualFold(props[0].Value, string(ical.EventCancelled)) {
				continue // the shift is on: an event cancelled in the calendar is restored
			}
			fresh.Props[name] = props
		}
		var theirs []*ical.Component
		for _, a := range child.Children {
			if a.Name == ical.CompAlarm && a.Props.Get(calendar.PropAlarm) != nil {
				continue
			}
			if a.Name != ical.CompAlarm {
				continue // the encoder allows only alarms inside an event
			}
			theirs = append(theirs, a)
		}
		fresh.Children = append(theirs, fresh.Children...)
	}
	out.Children = append(out.Children, fresh)
	return out
}

// decodeEvent reads data as one of account's events; ok is false for an
// object that is not one: a person's own event, another account's, or one
// rosteron cannot read back as its own.
func decodeEvent(data []byte, account string) (ev calendar.Event, ok bool) {
	cal, err := decodeObject(data)
	if err != nil {
		return ev, false
	}
	var vevent *ical.Component
	for _, child := range cal.Children {
		if child.Name != ical.CompEvent {
			continue
		}
		if vevent != nil {
			return ev, false // recurring, with overrides: not rosteron's
		}
		vevent = child
	}
	if vevent == nil {
		return ev, false
	}
	props := vevent.Props
	text := func(name string) string {
		p := props.Get(name)
		if p == nil {
			return ""
		}
		return unescapeText(p.Value)
	}
	ev.UID = strings.TrimSpace(text(ical.PropUID))
	if !strings.HasSuffix(ev.UID, calendar.UIDDomain) || text(calendar.PropAccount) != account {
		return ev, false
	}
	ev.Account = account
	if err := json.Unmarshal([]byte(text(calendar.PropItem)), &ev.Item); err != nil {
		return ev, false // without its roster item, the event cannot be paired with a shift
	}
	ev.Date = ev.Item.Date
	ev.Kind = ev.Item.Shift(time.UTC).Kind

	start := props.Get(ical.PropDateTimeStart)
	if start == nil {
		return ev, false
	}
	if isDate(start) {
		d, err := time.Parse(dateLayout, start.Value)
		if err != nil {
			return ev, false
		}
		ev.Date = snapshot.DateOf(d)
	} else {
		t, err := readTime(start, cal)
		if errors.Is(err, errUnreadableZone) {
			// Still rosteron's, at a time it cannot read: with no times,
			// its content no longer has its digest, and the sync writes
			// it again as edited in the calendar.
			unreadableTimes(&ev)
			goto texts
		}
		if err != nil {
			return ev, false
		}
		ev.Start = t
		if end := props.Get(ical.PropDateTimeEnd); end != nil {
			if ev.End, err = readTime(end, cal); errors.Is(err, errUnreadableZone) {
				unreadableTimes(&ev)
				goto texts
			} else if err != nil {
				return ev, false
			}
		} else if dur := props.Get(ical.PropDuration); dur != nil {
			d, err := dur.Duration()
			if err != nil {
				return ev, false
			}
			if d > 0 {
				ev.End = ev.Start.Add(d)
			}
		}
		if !ev.End.IsZero() && !ev.End.After(ev.Start) {
			ev.End = time.Time{} // as export writes an event that ends when it starts
		}
	}
texts:
	ev.Summary = text(ical.PropSummary)
	ev.Location = text(ical.PropLocation)
	ev.Description = text(ical.PropDescription)
	ev.Transparent = strings.EqualFold(strings.TrimSpace(text(ical.PropTransparency)), "TRANSPARENT")
	if s := strings.TrimSpace(text(ical.PropSequence)); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return ev, false
		}
		ev.Sequence = n
	}
	for _, name := range []string{ical.PropLastModified, ical.PropDateTimeStamp} {
		if p := props.Get(name); p != nil {
			if t, err := time.Parse(utcLayout, strings.TrimSpace(p.Value)); err == nil {
				ev.Modified = t
				break
			}
		}
	}
	ev.Digest = text(calendar.PropDigest)
	for _, a := range vevent.Children {
		if a.Name != ical.CompAlarm || a.Props.Get(calendar.PropAlarm) == nil {
			continue
		}
		trig := a.Props.Get(ical.PropTrigger)
		if trig == nil || strings.EqualFold(trig.Params.Get(ical.ParamRelated), "END") {
			continue
		}
		d, err := trig.Duration()
		if err != nil || d > 0 {
			continue // an absolute time, or one after the start: not one rosteron wrote
		}
		ev.Alarms = append(ev.Alarms, -d)
	}
	slices.Sort(ev.Alarms)
	ev.Alarms = slices.Compact(ev.Alarms)
	return ev, true
}

// unreadableTimes marks ev's times as unreadable: none, on the date of its
// shift, which no timed event of rosteron's says, so that its content
// and its digest differ.
func unreadableTimes(ev *calendar.Event) {
	ev.Start, ev.End = time.Time{}, time.Time{}
	ev.Date = ev.Item.Date
}

func isDate(p *ical.Prop) bool {
	return strings.EqualFold(p.Params.Get(ical.ParamValue), string(ical.ValueDate)) || len(strings.TrimSpace(p.Value)) == len(dateLayout)
}

// readTime reads a DTSTART or DTEND with a time: in UTC, in the zone its
// TZID names (as a calendar app may rewrite it), given in UTC; without
// either, a floating time, read in snapshot.Floating. A TZID Go does not
// know is read as zone (see zone).
func readTime(p *ical.Prop, obj *ical.Calendar) (time.Time, error) {
	v := strings.TrimSpace(p.Value)
	if strings.HasSuffix(v, "Z") {
		return time.Parse(utcLayout, v)
	}
	if tzid := strings.Trim(strings.TrimSpace(p.Params.Get(ical.PropTimezoneID)), `"`); tzid != "" {
		local, err := time.Parse(floatingLayout, v)
		if err != nil {
			return time.Time{}, err
		}
		return zone(tzid, local, obj)
	}
	return time.ParseInLocation(floatingLayout, v, snapshot.Floating)
}

// errUnreadableZone is a time in a zone rosteron cannot read.
var errUnreadableZone = errors.New("a time zone rosteron cannot read")

// zone reads local, a clock time (in UTC's fields), in the zone tzid, as
// calendar apps name them: an IANA name; one with a prefix of the app's
// (Evolution's "/freeassociation.sourceforge.net/Australia/Melbourne",
// old Thunderbird's "/mozilla.org/20050126_1/Australia/Melbourne"), by
// its trailing Area/City; a Windows name ("AUS Eastern Standard Time")
// rosteron knows; else by the rules of the object's VTIMEZONE of that
// TZID.
func zone(tzid string, local time.Time, obj *ical.Calendar) (time.Time, error) {
	in := func(loc *time.Location) time.Time {
		return time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(), 0, loc).UTC()
	}
	if loc, err := time.LoadLocation(tzid); err == nil && tzid != "Local" {
		return in(loc), nil
	}
	parts := strings.Split(strings.Trim(tzid, "/"), "/")
	for n := min(3, len(parts)); n >= 2; n-- {
		name := strings.Join(parts[len(parts)-n:], "/")
		if loc, err := time.LoadLocation(name); err == nil && name != "Local" {
			return in(loc), nil
		}
	}
	if name, ok := windowsZones[strings.ToLower(strings.TrimSpace(tzid))]; ok {
		if loc, err := time.LoadLocation(name); err == nil {
			return in(loc), nil
		}
	}
	if obj != nil {
		for _, c := range obj.Children {
			if c.Name != ical.CompTimezone {
				continue
			}
			if id := c.Props.Get(ical.PropTimezoneID); id == nil || strings.Trim(strings.TrimSpace(id.Value), `"`) != tzid {
				continue
			}
			if off, ok := vtimezoneOffset(c, local); ok {
				return local.Add(-off), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%w: %q", errUnreadableZone, tzid)
}

// windowsZones are the Windows names of zones (as Exchange and Outlook
// write them) of the places rosteron is used in most, with their IANA
// names.
var windowsZones = map[string]string{
	"aus eastern standard time":     "Australia/Sydney",
	"e. australia standard time":    "Australia/Brisbane",
	"cen. australia standard time":  "Australia/Adelaide",
	"aus central standard time":     "Australia/Darwin",
	"w. australia standard time":    "Australia/Perth",
	"tasmania standard time":        "Australia/Hobart",
	"lord howe standard time":       "Australia/Lord_Howe",
	"aus central w. standard time":  "Australia/Eucla",
	"new zealand standard time":     "Pacific/Auckland",
	"chatham islands standard time": "Pacific/Chatham",
	"gmt standard time":             "Europe/London",
	"utc":                           "UTC",
	"coordinated universal time":    "UTC",
}

// vtimezoneOffset is the UTC offset at the clock time local by the
// STANDARD and DAYLIGHT rules of tz: each begins at its DTSTART and, with
// a yearly RRULE of a month and a weekday ("BYMONTH=10;BYDAY=1SU"), each
// year then; the one begun last rules. ok is false for rules it cannot
// read.
func vtimezoneOffset(tz *ical.Component, local time.Time) (time.Duration, bool) {
	var best time.Time
	var off time.Duration
	found := false
	for _, c := range tz.Children {
		if c.Name != ical.CompTimezoneStandard && c.Name != ical.CompTimezoneDaylight {
			continue
		}
		to, ok := parseOffset(c.Props.Get(ical.PropTimezoneOffsetTo))
		if !ok {
			return 0, false
		}
		dp := c.Props.Get(ical.PropDateTimeStart)
		if dp == nil {
			return 0, false
		}
		start, err := time.Parse(floatingLayout, strings.TrimSpace(dp.Value))
		if err != nil {
			return 0, false
		}
		onset := start
		if rp := c.Props.Get(ical.PropRecurrenceRule); rp != nil {
			var ok bool
			if onset, ok = lastOnset(rp.Value, start, local); !ok {
				return 0, false
			}
		}
		if onset.After(local) {
			continue
		}
		if !found || onset.After(best) {
			best, off, found = onset, to, true
		}
	}
	return off, found
}

// lastOnset is the last time, at or before local, that a yearly rule
// such as "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU" begins, from start on.
func lastOnset(rule string, start, local time.Time) (time.Time, bool) {
	month, nth, day := 0, 0, -1
	for _, part := range strings.Split(strings.ToUpper(strings.TrimSpace(rule)), ";") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "FREQ":
			if v != "YEARLY" {
				return time.Time{}, false
			}
		case "BYMONTH":
			m, err := strconv.Atoi(v)
			if err != nil || m < 1 || m > 12 {
				return time.Time{}, false
			}
			month = m
		case "BYDAY":
			if len(v) < 3 {
				return time.Time{}, false
			}
			n, err := strconv.Atoi(strings.TrimPrefix(v[:len(v)-2], "+"))
			if err != nil || n == 0 || n < -5 || n > 5 {
				return time.Time{}, false
			}
			d := slices.Index([]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}, v[len(v)-2:])
			if d < 0 {
				return time.Time{}, false
			}
			nth, day = n, d
		case "INTERVAL":
			if v != "1" {
				return time.Time{}, false
			}
		case "UNTIL", "COUNT", "WKST":
			// Zones' rules rarely end; an ended one is read as going on.
		default:
			return time.Time{}, false
		}
	}
	if month == 0 || day < 0 {
		return time.Time{}, false
	}
	onsetIn := func(year int) time.Time {
		var d time.Time
		if nth > 0 {
			d = time.Date(year, time.Month(month), 1, start.Hour(), start.Minute(), start.Second(), 0, time.UTC)
			d = d.AddDate(0, 0, (day-int(d.Weekday())+7)%7+7*(nth-1))
		} else {
			d = time.Date(year, time.Month(month)+1, 0, start.Hour(), start.Minute(), start.Second(), 0, time.UTC)
			d = d.AddDate(0, 0, -((int(d.Weekday())-day+7)%7)-7*(-nth-1))
		}
		return d
	}
	for _, year := range []int{local.Year(), local.Year() - 1} {
		if o := onsetIn(year); !o.After(local) && !o.Before(start) {
			return o, true
		}
	}
	return start, true
}

// parseOffset reads a UTC offset, "+1000" or "-0330" (seconds allowed).
func parseOffset(p *ical.Prop) (time.Duration, bool) {
	if p == nil {
		return 0, false
	}
	v := strings.TrimSpace(p.Value)
	if len(v) != 5 && len(v) != 7 {
		return 0, false
	}
	sign := time.Duration(1)
	switch v[0] {
	case '-':
		sign = -1
	case '+':
	default:
		return 0, false
	}
	n, err := strconv.Atoi(v[1:])
	if err != nil {
		return 0, false
	}
	if len(v) == 5 {
		n *= 100
	}
	h, m, s := n/10000, n/100%100, n%100
	if m > 59 || s > 59 || h > 23 {
		return 0, false
	}
	return sign * (time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second), true
}

// fold folds the content lines of an encoded object longer than 75 octets
// (RFC 5545, 3.1), between characters, never inside one.
func fold(data []byte) []byte {
	const max = 75
	var out bytes.Buffer
	out.Grow(len(data) + len(data)/64)
	for _, line := range bytes.SplitAfter(data, []byte("\r\n")) {
		body := bytes.TrimSuffix(line, []byte("\r\n"))
		if len(body) <= max {
			out.Write(line)
			continue
		}
		width := max
		for len(body) > width {
			cut := width
			for cut > 0 && !utf8.RuneStart(body[cut]) {
				cut--
			}
			out.Write(body[:cut])
			out.WriteString("\r\n ")
			body = body[cut:]
			width = max - 1
		}
		out.Write(body)
		if len(line) > 0 && bytes.HasSuffix(line, []byte("\r\n")) {
			out.WriteString("\r\n")
		}
	}
	return out.Bytes()
}
