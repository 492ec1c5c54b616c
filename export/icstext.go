package export

import (
	"strings"
	"unicode"

	"github.com/rosteron/rosteron/snapshot"
)

// What an event says, in words: its summary and description, and roster
// text made fit for iCalendar TEXT values.

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
	return strings.Contains(squeeze(text), "oncall")
}

// icsDescription says what the event's summary and location do not, as
// a person would write it, one thing a line:
//
//	21:00–07:00, ending the next day
//	Role: Registered Nurse Div 1
//	Note: Handover < 15 min
//	Warning: BLOGGS, JOE: Minimum 10 hours between Allocations
//
// The times are the roster's clock times ("On call 20:30–08:30" for an
// on-call shift), which stay true when the calendar shows the event in
// another zone; leave says "All day", with the times the roster gives it;
// times that cannot be read are quoted, with why the event is all day.
// Details after the fourth follow as "Also on the roster: …". Empty
// details are left out: nothing reads "(empty)".
func icsDescription(sh snapshot.Shift) string {
	var lines []string
	if when := icsWhen(sh); when != "" {
		lines = append(lines, when)
	}
	detail := func(i int) string {
		if i < len(sh.Detail) && sh.Detail[i].Valid {
			return strings.TrimSpace(icsText(sh.Detail[i].Value))
		}
		return ""
	}
	if role := detail(detailRole); role != "" {
		lines = append(lines, "Role: "+role)
	}
	if note := detail(detailNote); note != "" {
		lines = append(lines, "Note: "+note)
	}
	for _, w := range sh.Warnings {
		if w = strings.TrimSpace(icsText(w)); w != "" {
			lines = append(lines, "Warning: "+w)
		}
	}
	for i := knownDetails; i < len(sh.Detail); i++ {
		if v := detail(i); v != "" {
			lines = append(lines, "Also on the roster: "+v)
		}
	}
	return strings.Join(lines, "\n")
}

// icsWhen is the description's first line: the shift's times as the
// roster's clock gives them, or why the event is all day.
func icsWhen(sh snapshot.Shift) string {
	c, readable := ReadClock(sh.Item())
	raw := icsLine(firstDetail(sh.Item()))
	switch {
	case sh.Kind == snapshot.KindLeave && readable:
		return "All day (the roster gives " + c.String() + ")"
	case sh.Kind == snapshot.KindLeave && raw != "":
		return "All day (the roster gives " + raw + ")"
	case sh.Kind == snapshot.KindLeave:
		return "All day"
	case sh.HasTimes():
		when := c.String()
		if sh.Kind == snapshot.KindOnCall {
			when = "On call " + when
		}
		if c.NextDay {
			when += ", ending the next day"
		}
		return when
	}
	why := "The roster gives no times"
	if raw != "" && !OnlyOnCall(raw) { // "On-call" alone gives none
		why = "The roster's times (\"" + raw + "\") could not be read"
	}
	if sh.Kind == snapshot.KindOnCall {
		why = "On call. " + why
	}
	return why + ", so this is shown as an all-day event."
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
