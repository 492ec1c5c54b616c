// Package calendar writes a roster into a calendar people already use: a
// CalDAV calendar (package calendar/caldav) or a Google Calendar (package
// calendar/google). It knows export's events and a calendar's API; it
// knows no Chrome and keeps no state of its own: which events are
// rosteron's, and their revisions, it reads from the calendar itself.
//
// A Calendar is one calendar on a server. rosteron touches only its own
// events there: those whose UID ends in UIDDomain and whose
// PropAccount names the account being synced. A person's own events, and
// another account's, are never read back as rosteron's and never written.
package calendar

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/snapshot"
)

// UIDDomain ends the UID of every event rosteron writes, as in its
// iCalendar files.
const UIDDomain = "@rosteron"

// The properties of rosteron's own that mark and describe its events. A
// backend keeps them with the event (CalDAV: as these iCalendar
// properties; Google: as private extended properties, the names in lower
// case without "X-ROSTERON-").
const (
	// PropAccount names the account whose roster the event is from (see
	// AccountID). An event without it, or with another account's, is not
	// this sync's.
	PropAccount = "X-ROSTERON-ACCOUNT"
	// PropDigest is export.Event.Digest of what rosteron last wrote into
	// the event, so that a change made in the calendar can be told from
	// one made on the roster.
	PropDigest = "X-ROSTERON-DIGEST"
	// PropItem is the roster item the event was made from, as JSON (see
	// snapshot.Item), so that a later roster's shifts are paired with the
	// calendar's events exactly as `rosteron diff` pairs them.
	PropItem = "X-ROSTERON-ITEM"
	// PropAlarm marks a VALARM as one of rosteron's reminders, which it
	// may replace; the person's own alarms are kept.
	PropAlarm = "X-ROSTERON-ALARM"
)

// AccountID names an account for PropAccount: the username, in lower case
// as RosterOn does not tell cases apart, "@", and the instance's address
// without its scheme, in lower case, and without a trailing slash:
// "joe.bloggs@rosteron.example.com.au/rosteronprod/mobile".
func AccountID(instance, username string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(instance))
	if err != nil || u.Host == "" {
		return "", errors.New("calendar: the RosterOn address is not an absolute URL")
	}
	username = strings.ToLower(strings.TrimSpace(username))
	if username == "" || strings.ContainsAny(username, "\r\n") {
		return "", errors.New("calendar: no username")
	}
	return username + "@" + strings.ToLower(u.Host+strings.TrimRight(u.EscapedPath(), "/")), nil
}

// Event is one of rosteron's events: what it says (export.Event) and what
// marks it as rosteron's.
type Event struct {
	export.Event

	// UID is the whole UID, ending in UIDDomain.
	UID string
	// Account is PropAccount.
	Account string
	// Sequence is the event's SEQUENCE: 0 when created, one more for
	// each revision.
	Sequence int
	// Modified is when the event was created or last revised
	// (LAST-MODIFIED, and DTSTAMP).
	Modified time.Time
	// Digest is PropDigest: what rosteron wrote. An event read back whose
	// content (export.Event) no longer has this digest was edited in the
	// calendar.
	Digest string
	// Item is PropItem.
	Item snapshot.Item
	// Alarms are rosteron's reminders, each a time before the start (for
	// an all-day event, before the start of its day): 1h is an alarm an
	// hour before. Ascending, none repeated.
	Alarms []time.Duration
}

// Stored is one of rosteron's events as a calendar holds it.
type Stored struct {
	// Event is the event as read back: its content is what the calendar
	// holds now, which differs from what Digest describes when someone
	// edited it there.
	Event
	// Ref is where the event is in its calendar: a CalDAV href, a Google
	// event id.
	Ref string
	// ETag is the version of the event that was read, for a conditional
	// write.
	ETag string
	// Cancelled is set for an event that was deleted but is kept by the
	// calendar (Google keeps deleted events as cancelled): a shift that
	// comes back restores it with Update, rather than Create.
	Cancelled bool
}

// Calendar is one calendar on a server, found or created by its backend.
// Its methods take the context first and bound every wait by it.
//
// Writes are conditional: Create fails with ErrConflict when an event
// with that UID already exists, and Update and Delete fail with
// ErrConflict when the event is no longer at the ETag given (someone
// changed it meanwhile). A failure to authenticate is an *AuthError.
type Calendar interface {
	// String names the calendar for messages and logs, without secrets:
	// "CalDAV https://dav.example.org/…/calendar: Roster".
	String() string
	// Tag returns a token that changes whenever anything in the calendar
	// changes (CalDAV's getctag or sync-token, Google's list etag), in one
	// request; "" when the calendar has none, which means that every check
	// has to list the events.
	Tag(ctx context.Context) (string, error)
	// List returns account's events in the calendar: every event whose
	// UID ends in UIDDomain and whose PropAccount is account, cancelled
	// ones included where the calendar keeps them. Events it cannot read
	// as rosteron's are left out, never guessed at.
	List(ctx context.Context, account string) ([]Stored, error)
	// Get reads one event again; found is false when it is gone.
	Get(ctx context.Context, s Stored) (_ Stored, found bool, _ error)
	// Create adds ev, which no event of the calendar has the UID of.
	Create(ctx context.Context, ev Event) (Stored, error)
	// Update replaces what rosteron owns of old with ev (same UID): the
	// times, texts, transparency, its own properties and its own alarms.
	// What the person added to the event (their own alarms, categories,
	// colour, attendees) is kept. A cancelled event is restored.
	Update(ctx context.Context, old Stored, ev Event) (Stored, error)
	// Delete removes old (Google: cancels it).
	Delete(ctx context.Context, old Stored) error
}

// ErrCalendar is matched by every error a backend returns (ErrConflict
// and *AuthError included), so that a caller can tell the calendar's
// failures from RosterOn's: wrap with fmt.Errorf("%w: …", ErrCalendar) or
// a type whose Is matches it. Messages name the service ("CalDAV",
// "Google Calendar") and never hold a password or a token.
var ErrCalendar = errors.New("calendar")

// ErrNoCalendar is a calendar that does not exist and that Open was told
// not to make (a dry run, which writes nothing, a new calendar included).
var ErrNoCalendar = fmt.Errorf("%w: no calendar of that name", ErrCalendar)

// ErrConflict is a conditional write refused because the event changed in
// the calendar since it was read (HTTP 412), or an event created under a
// UID already used. The sync reads it again and settles it.
var ErrConflict = fmt.Errorf("%w: the event was changed in the calendar meanwhile", ErrCalendar)

// ErrAuth is matched by every *AuthError.
var ErrAuth = errors.New("calendar: credentials refused")

// AuthError is a calendar server that refused the credentials (HTTP 401,
// or an OAuth token that is revoked or expired). Trying again with the
// same ones cannot mend it and may lock an app password: a long-running
// sync stops until its settings are put right.
type AuthError struct {
	// Service is "CalDAV" or "Google Calendar".
	Service string
	// Status is the HTTP status, 0 when there was none.
	Status int
	// Reason says what to do, in words, without secrets.
	Reason string
}

func (e *AuthError) Error() string {
	msg := e.Service + " refused the credentials"
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// Is makes every *AuthError match ErrAuth and ErrCalendar.
func (e *AuthError) Is(target error) bool { return target == ErrAuth || target == ErrCalendar }
