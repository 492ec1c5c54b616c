package feed

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/snapshot"
)

// An alert reports the changes one refresh found, in two forms: plain
// text that reads well as a push notification, one line a shift, with a
// short title; and JSON for webhooks, the text and the changes as
// `rosteron diff --format json` writes them.

// maxAlertText bounds the text form: ntfy, for one, turns a longer message
// into an attachment. Lines past it are counted instead.
const maxAlertText = 3500

// alert is one report, kept in the state folder until every target it
// is for has it.
type alert struct {
	ID      string          `json:"id"`
	Created time.Time       `json:"created"`
	Title   string          `json:"title"`
	Text    string          `json:"text"`
	JSON    json.RawMessage `json:"json"`
	// Pending are the keys of the targets still to be told.
	Pending []string `json:"pending"`
	// Tags is ntfy's Tags header; "" for "date".
	Tags string `json:"tags,omitempty"`
}

// alertJSON is the JSON form's envelope.
type alertJSON struct {
	ID      string          `json:"id"`
	Title   string          `json:"title"`
	Message string          `json:"message"`
	OldTime time.Time       `json:"old_time"`
	NewTime time.Time       `json:"new_time"`
	Changes json.RawMessage `json:"changes"`
}

// newAlert reports ch, leaving out the days before today (now is the
// roster's wall clock, see Feed.wall): a roster page drops its past days
// as time goes by, which is no news. It returns nil when nothing is left
// to report.
func newAlert(ch snapshot.Changes, now time.Time, loc *time.Location) (*alert, error) {
	now = now.In(loc)
	today := snapshot.DateOf(now)
	var kept snapshot.Changes
	kept.OldTime, kept.NewTime = ch.OldTime, ch.NewTime
	for _, c := range ch.Shifts {
		if !c.Date.Before(today) {
			kept.Shifts = append(kept.Shifts, c)
		}
	}
	if kept.Empty() {
		return nil, nil
	}
	// Created is left to Observe: now is a wall clock, which in floating
	// mode is no instant.
	a := &alert{ID: alertID(), Title: alertTitle(kept.Shifts, today.Year)}
	var lines []string
	for _, c := range kept.Shifts {
		lines = append(lines, changeLine(c, today.Year))
	}
	a.Text = joinCapped(lines, maxAlertText)

	var interpreted bytes.Buffer
	if err := export.WriteChangesJSON(&interpreted, kept, loc); err != nil {
		return nil, fmt.Errorf("encoding the alert: %w", err)
	}
	var parts struct {
		Changes json.RawMessage `json:"changes"`
	}
	if err := json.Unmarshal(interpreted.Bytes(), &parts); err != nil {
		return nil, fmt.Errorf("encoding the alert: %w", err)
	}
	var err error
	a.JSON, err = json.Marshal(alertJSON{
		ID: a.ID, Title: a.Title, Message: strings.Join(lines, "\n"),
		OldTime: kept.OldTime.UTC(), NewTime: kept.NewTime.UTC(), Changes: parts.Changes,
	})
	if err != nil {
		return nil, fmt.Errorf("encoding the alert: %w", err)
	}
	return a, nil
}

// alertID is random: it names an alert to receivers that want to tell a
// repeated delivery from a new alert.
func alertID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b)
}

// verb is what became of a shift, in a word people use.
func verb(c snapshot.Change) string {
	switch {
	case c.Kind == snapshot.Added:
		return "added"
	case c.Kind == snapshot.Removed:
		return "removed"
	case slices.Contains(c.Parts, snapshot.PartTimes) && !(isLeave(c.Old) && isLeave(c.New)):
		return "moved"
	}
	if added, removed := c.Warnings(); len(c.Parts) == 1 && c.Parts[0] == snapshot.PartWarnings {
		if len(removed) == 0 && len(added) > 0 {
			return "warning"
		}
	}
	return "changed"
}

// alertTitle is one short line of ASCII, which any notification header
// carries: "Shift moved: Tue 2 Dec", "Roster changed: 2 moved, 1 added".
func alertTitle(changes []snapshot.Change, thisYear int) string {
	if len(changes) == 1 {
		v, day := verb(changes[0]), dayText(changes[0].Date, thisYear)
		if v == "warning" {
			return "New warning: " + day
		}
		return "Shift " + v + ": " + day
	}
	counts := map[string]int{}
	for _, c := range changes {
		counts[verb(c)]++
	}
	var parts []string
	for _, v := range []string{"moved", "added", "removed", "changed", "warning"} {
		switch n := counts[v]; {
		case n == 0:
		case v == "warning" && n == 1:
			parts = append(parts, "1 new warning")
		case v == "warning":
			parts = append(parts, strconv.Itoa(n)+" new warnings")
		default:
			parts = append(parts, strconv.Itoa(n)+" "+v)
		}
	}
	return "Roster changed: " + strings.Join(parts, ", ")
}

// changeLine is one change in words, naming the date and the old and new
// times:
//
//	Moved: Tue 2 Dec Day Shift, 07:00–15:30 → 09:00–17:30
//	Added: Wed 3 Dec 21:30–07:30 (+1) Night Shift, Ward 4B
//	Removed: Thu 4 Dec 13:00–21:30 Late Shift, Ward 4B
//	New warning: Fri 5 Dec 07:00–15:30 Day Shift: BLOGGS, JOE: Allocation for overtime
//	Changed: Sat 6 Dec 07:00–15:30 Day Shift: role RN → ANUM
//	Changed: Mon 8 Dec Annual Leave (all day): the roster's times 09:00–16:36 → 08:00–15:36
//
// Leave is all day, so new nominal times for it are a change, not a move.
func changeLine(c snapshot.Change, thisYear int) string {
	day := dayText(c.Date, thisYear)
	var details []string
	added, removed := c.Warnings()
	switch c.Kind {
	case snapshot.Added, snapshot.Removed:
		it := c.New
		if it == nil {
			it = c.Old
		}
		s := readShift(*it)
		line := capitalize(verb(c)) + ": " + day + " " + s.String()
		if s.Place != "" {
			line += ", " + s.Place
		}
		for _, w := range added {
			details = append(details, "warning: "+oneline.Clean(w))
		}
		return withDetails(line, details)
	}
	old, cur := readShift(*c.Old), readShift(*c.New)
	var line string
	switch verb(c) {
	case "moved":
		line = "Moved: " + day + " " + orShift(cur.Name) + ", " + old.Times + " → " + cur.Times
	case "warning":
		line = "New warning: " + day + " " + cur.String()
	default:
		line = "Changed: " + day + " " + cur.String()
	}
	for _, p := range c.Parts {
		switch p {
		case snapshot.PartTitle:
			details = append(details, "place "+export.FromTo(old.Place, cur.Place))
		case snapshot.PartTimes:
			if verb(c) != "moved" { // leave, all day whatever it gives
				details = append(details, "the roster's times "+export.FromTo(nominal(*c.Old), nominal(*c.New)))
			}
		case snapshot.PartName:
			details = append(details, "shift "+export.FromTo(old.Name, cur.Name))
		case snapshot.PartRole:
			details = append(details, "role "+export.FromTo(old.Role, cur.Role))
		case snapshot.PartNote:
			if cur.Note == "" {
				details = append(details, "note removed")
			} else {
				details = append(details, "note: "+cur.Note)
			}
		case snapshot.PartDetail:
			details = append(details, "other details changed")
		}
	}
	for _, w := range added {
		if verb(c) == "warning" {
			details = append(details, oneline.Clean(w))
		} else {
			details = append(details, "new warning: "+oneline.Clean(w))
		}
	}
	for _, w := range removed {
		details = append(details, "warning cleared: "+oneline.Clean(w))
	}
	return withDetails(line, details)
}

// isLeave reports whether it is leave, which is all day whatever times
// the roster gives it, in any zone.
func isLeave(it *snapshot.Item) bool {
	return it != nil && it.Shift(nil).Kind == snapshot.KindLeave
}

// nominal is the times the roster gives leave: its clock times, or its
// first detail as written when they cannot be read.
func nominal(it snapshot.Item) string {
	if c, ok := export.ReadClock(it); ok {
		return c.String()
	}
	if len(it.Detail) > 0 {
		return oneline.Clean(it.Detail[0].Value)
	}
	return ""
}

func withDetails(line string, details []string) string {
	if len(details) == 0 {
		return line
	}
	return line + ": " + strings.Join(details, "; ")
}

func orShift(name string) string {
	if name == "" {
		return "shift"
	}
	return name
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// joinCapped joins lines until max bytes, then says how many are left out.
func joinCapped(lines []string, max int) string {
	var b strings.Builder
	for i, l := range lines {
		more := fmt.Sprintf("…and %d more changes: see the calendar", len(lines)-i)
		if b.Len()+len(l)+1+len(more) > max && i > 0 {
			b.WriteString(more)
			return b.String()
		}
		b.WriteString(l)
		if i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// noticeJSON is the JSON form of an alert about the feed itself, rather
// than the roster: Kind is StateStopped, StateStale, "no_roster" or
// "mended".
type noticeJSON struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Title   string `json:"title"`
	Message string `json:"message"`
}

// notice makes an alert about the feed itself. It holds no error's text,
// no username and no address: a receiver, such as a public ntfy topic,
// learns only that something is wrong and what to do.
func notice(kind, title, text, tags string) *alert {
	a := &alert{ID: alertID(), Title: title, Text: text, Tags: tags}
	a.JSON, _ = json.Marshal(noticeJSON{ID: a.ID, Kind: kind, Title: title, Message: text}) // strings only: no error
	return a
}

// troubleAlert says what went wrong with the feed and what to do.
func troubleAlert(trouble string, st Status, f *Feed) *alert {
	now := f.wall(f.now())
	if trouble == StateStopped && f.resume != "" {
		title := "Roster feed stopped: password rejected"
		switch st.Stopped {
		case StopLoginMessage:
			title = "Roster feed stopped: login refused by RosterOn"
		case StopRefused:
			title = "Roster feed stopped: logins refused"
		}
		// The login page's message may name the account: the page has it.
		text := managedStopText(Status{Stopped: st.Stopped})
		return notice(trouble, title, text+" "+f.resume+" The calendar keeps the roster as it was last read.", "warning")
	}
	switch {
	case trouble == StateStopped && st.Stopped == StopRejected:
		return notice(trouble, "Roster feed stopped: password rejected",
			"RosterOn rejected the password: update it and restart rosteron "+
				"(or, if the password is right, restart it with --retry-login to try it once more). "+
				"No more logins are made until then, so that the account is not locked, "+
				"and the calendar keeps the roster as it was last read.", "warning")
	case trouble == StateStopped && st.Stopped == StopLoginMessage:
		// The message itself may name the account: the page has it.
		return notice(trouble, "Roster feed stopped: login refused by RosterOn",
			"RosterOn refused the login with a message, such as that the account is locked: "+
				"read it on the feed's page. No more logins are made until rosteron is restarted, "+
				"so that the account is not locked harder, and the calendar keeps the roster as it was last read. "+
				"Once it is sorted out, restart rosteron with --retry-login to try the same password once more "+
				"(or with the new password, if it changed).", "warning")
	case trouble == StateStopped:
		return notice(trouble, "Roster feed stopped: logins refused",
			fmt.Sprintf("RosterOn refused %d logins in a row: the account may be locked or the password expired. "+
				"Check the account, then restart rosteron with the new password (or with --retry-login to try the same one once more). "+
				"No more logins are made until then, and the calendar keeps the roster as it was last read.", MaxRefusals), "warning")
	case trouble == troubleNoRoster:
		since := "it started"
		if t := f.startTime(); !t.IsZero() {
			since = "it started " + f.when(t, now)
		}
		return notice(trouble, "Roster feed has no roster yet",
			"rosteron has not read the roster once since "+since+": the calendar has no shifts. "+
				"It keeps trying; check that RosterOn works and look at rosteron's log or the feed's page.", "warning")
	}
	since := "a while"
	if st.LastSuccess != nil {
		since = f.when(*st.LastSuccess, now)
	}
	return notice(trouble, "Roster feed out of date",
		"RosterOn has not been read since "+since+": the calendar shows the roster as it was then. "+
			"rosteron keeps trying; if this goes on, check that RosterOn works and look at rosteron's log.", "warning")
}

// mendedAlert says the feed works again.
func mendedAlert(st Status, f *Feed) *alert {
	when := "just now"
	if st.LastSuccess != nil {
		when = f.when(*st.LastSuccess, f.wall(f.now()))
	}
	return notice("mended", "Roster feed working again",
		"RosterOn was read again "+when+": the calendar is up to date.", "white_check_mark")
}
