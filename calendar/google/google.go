// Package google writes rosteron's events into a Google Calendar of their
// own, through the Calendar API v3, as calendar.Calendar.
//
// # Plain REST, not the generated client
//
// The package speaks the API's JSON over net/http with a client that
// golang.org/x/oauth2 authorises, rather than through
// google.golang.org/api/calendar/v3. It uses eight calls, and the
// generated client is heavy for that: built into cmd/rosteron (go 1.26,
// linux/amd64) it took the binary from 18.6 MB to 28.3 MB (+9.7 MB, +52%)
// and brought 148 more packages (gRPC, OpenTelemetry, protobuf, S2A),
// where golang.org/x/oauth2 alone adds 86 kB (and this package, its fake
// left out, with google-auth, 103 kB in all). The calls and fields used
// are few and documented, and the tests run them against a fake of the
// API (package googletest).
//
// # How rosteron's events are kept
//
// An event's iCalUID is the event's UID. What marks and describes it as
// rosteron's is kept in private extended properties (see the Prop
// constants): the account, the digest, the roster item as JSON, rosteron's
// SEQUENCE and LAST-MODIFIED, and which of the event's popup reminders are
// rosteron's. Google allows 1024 characters in a property's value; an
// item whose JSON is longer is split, in order, across item1, item2, …
// (itemN), each at most 1024 bytes and cut between characters, and read
// back by joining them.
//
// Update is a patch (events.patch with If-Match): it sends only what
// rosteron owns, so that whatever the person added to the event (colour,
// guests, attachments, their own reminders and properties) stays as it
// is, including fields rosteron does not know.
//
// Google keeps a deleted event as cancelled. List returns such events with
// Stored.Cancelled set, and Update restores one (status confirmed). Should
// Google return a cancelled event without its properties, so that List
// cannot see it, Create finds it by its iCalUID when the insert is refused
// as a duplicate, and restores it.
package google

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/snapshot"
)

// DefaultEndpoint is the Calendar API's base URL.
const DefaultEndpoint = "https://www.googleapis.com/calendar/v3"

// Service names Google Calendar in messages and in *calendar.AuthError.
const Service = "Google Calendar"

// The names of rosteron's private extended properties. PropAccount,
// PropDigest and PropItem are calendar.PropAccount, calendar.PropDigest
// and calendar.PropItem in lower case without "X-ROSTERON-".
const (
	PropAccount  = "account"
	PropDigest   = "digest"
	PropItem     = "item"
	PropSequence = "sequence" // calendar.Event.Sequence
	PropModified = "modified" // calendar.Event.Modified, RFC 3339
	PropAlarms   = "alarms"   // rosteron's popup reminders, minutes, comma-separated
)

// Google's limits on what rosteron writes.
const (
	// MaxPropertyValue is the longest value of an extended property.
	MaxPropertyValue = 1024
	// maxItemParts bounds how many properties an item is split across,
	// within the 32 kB Google allows all of an event's properties.
	maxItemParts = 24
	// MaxReminders is how many reminder overrides an event may have.
	MaxReminders = 5
	// maxReminder is the longest a reminder may be before the start: four
	// weeks.
	maxReminder = 40320 * time.Minute
	// zeroLength is how long an event without an end lasts in Google,
	// which refuses one that ends when it starts.
	zeroLength = time.Minute
)

// Config says which calendar to open, and how.
type Config struct {
	// Client sends the requests, authorised: from oauth2.Config.Client,
	// say. Required.
	Client *http.Client
	// Endpoint is the API's base URL, DefaultEndpoint when empty; tests
	// point it at a fake (package googletest).
	Endpoint string
	// Calendar is the calendar's name (its summary); it is created, in
	// Location's zone, when the account has none of that name.
	Calendar string
	// Location is the roster's zone: the zone of a created calendar and
	// of its timed events, and the zone in which times are read back.
	// Required, and not snapshot.Floating: Google needs real instants.
	Location *time.Location
	// NoCreate makes Open fail, with an error matching
	// calendar.ErrNoCalendar, where it would create the calendar: for a
	// dry run, which writes nothing.
	NoCreate bool
}

// Calendar is one Google calendar, found or created by Open. It is safe
// for concurrent use.
type Calendar struct {
	client  *http.Client
	base    string
	id      string
	summary string
	loc     *time.Location

	mu sync.Mutex
	// seen is the last version read or written of each event, by id, so
	// that Update can keep what rosteron does not own without reading
	// the event again.
	seen map[string]seenEvent
}

type seenEvent struct {
	etag string
	raw  []byte
}

var _ calendar.Calendar = (*Calendar)(nil)

// ErrFloating is returned for times without a zone: Google needs instants.
var ErrFloating = fmt.Errorf("%w: Google Calendar needs real instants, and the roster's times were read without a time zone: pass --tz (such as --tz Australia/Melbourne)", calendar.ErrCalendar)

// Open finds the calendar named cfg.Calendar in the account's calendar
// list, or creates it.
func Open(ctx context.Context, cfg Config) (*Calendar, error) {
	switch {
	case cfg.Client == nil:
		return nil, fmt.Errorf("%w: %s: no HTTP client", calendar.ErrCalendar, Service)
	case strings.TrimSpace(cfg.Calendar) == "":
		return nil, fmt.Errorf("%w: %s: no calendar name", calendar.ErrCalendar, Service)
	case cfg.Location == nil, cfg.Location == snapshot.Floating:
		return nil, ErrFloating
	}
	base := cfg.Endpoint
	if base == "" {
		base = DefaultEndpoint
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: %s: invalid endpoint %q", calendar.ErrCalendar, Service, base)
	}
	c := &Calendar{
		client:  cfg.Client,
		base:    strings.TrimRight(base, "/"),
		summary: cfg.Calendar,
		loc:     cfg.Location,
		seen:    make(map[string]seenEvent),
	}
	id, err := c.find(ctx)
	if err != nil {
		return nil, err
	}
	if id == "" && cfg.NoCreate {
		return nil, fmt.Errorf("%w: %s has no calendar named %q, and this run makes none", calendar.ErrNoCalendar, Service, cfg.Calendar)
	}
	if id == "" {
		if id, err = c.create(ctx); err != nil {
			return nil, err
		}
	}
	c.id = id
	return c, nil
}

// String names the calendar.
func (c *Calendar) String() string { return Service + ": " + c.summary }

// ID is the calendar's id in Google.
func (c *Calendar) ID() string { return c.id }

type calendarListPage struct {
	Items []struct {
		ID         string `json:"id"`
		Summary    string `json:"summary"`
		AccessRole string `json:"accessRole"`
		Deleted    bool   `json:"deleted"`
	} `json:"items"`
	NextPageToken string `json:"nextPageToken"`
}

// find returns the id of the first calendar of the list named c.summary
// that rosteron may write to, or "".
func (c *Calendar) find(ctx context.Context) (string, error) {
	const step = "finding the calendar"
	token := ""
	for range 1000 {
		q := url.Values{"maxResults": {"250"}, "minAccessRole": {"writer"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		var page calendarListPage
		if _, err := c.do(ctx, step, http.MethodGet, "/users/me/calendarList", q, nil, "", &page); err != nil {
			return "", err
		}
		for _, it := range page.Items {
			if it.Summary == c.summary && !it.Deleted && (it.AccessRole == "owner" || it.AccessRole == "writer") {
				return it.ID, nil
			}
		}
		if page.NextPageToken == "" {
			return "", nil
		}
		token = page.NextPageToken
	}
	return "", c.errorf(step, "the calendar list does not end")
}

func (c *Calendar) create(ctx context.Context) (string, error) {
	const step = "creating the calendar"
	body := map[string]any{
		"summary":     c.summary,
		"description": "Shifts from RosterOn, written by rosteron. rosteron keeps the events it made up to date; other events are left alone.",
	}
	if tz := zoneName(c.loc); tz != "" {
		body["timeZone"] = tz
	}
	var out struct {
		ID string `json:"id"`
	}
	if _, err := c.do(ctx, step, http.MethodPost, "/calendars", nil, body, "", &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", c.errorf(step, "Google answered without the new calendar's id")
	}
	return out.ID, nil
}

// zoneName is loc's IANA name, or "" when it has none Google would know.
func zoneName(loc *time.Location) string {
	name := loc.String()
	if name == "" || name == "Local" || loc == snapshot.Floating {
		return ""
	}
	// A zone read from a file may be named by its path.
	if _, err := time.LoadLocation(name); err != nil {
		return ""
	}
	return name
}

func (c *Calendar) eventsPath() string {
	return "/calendars/" + url.PathEscape(c.id) + "/events"
}

func (c *Calendar) eventPath(id string) string {
	return c.eventsPath() + "/" + url.PathEscape(id)
}

// Tag returns the events collection's etag and its "updated" time (the
// calendar's last modification), which change whenever an event of the
// calendar changes, read with one events.list request for at most one
// event. Google documents the collection's etag only as "ETag of the
// collection" and "updated" as the last modification time of the
// calendar; either changing changes the tag, so a change seen by one of
// them is not missed.
func (c *Calendar) Tag(ctx context.Context) (string, error) {
	q := url.Values{"maxResults": {"1"}, "showDeleted": {"true"}, "singleEvents": {"true"}}
	var page struct {
		Etag    string `json:"etag"`
		Updated string `json:"updated"`
	}
	if _, err := c.do(ctx, "reading the calendar's tag", http.MethodGet, c.eventsPath(), q, nil, "", &page); err != nil {
		return "", err
	}
	if page.Etag == "" && page.Updated == "" {
		return "", nil
	}
	return page.Etag + " " + page.Updated, nil
}

type eventsPage struct {
	Items         []json.RawMessage `json:"items"`
	NextPageToken string            `json:"nextPageToken"`
}

// List returns account's events, cancelled ones included, from every page
// of events.list filtered by the account's private property.
func (c *Calendar) List(ctx context.Context, account string) ([]calendar.Stored, error) {
	if account == "" {
		return nil, c.errorf("listing the events", "no account")
	}
	q := url.Values{
		"privateExtendedProperty": {PropAccount + "=" + account},
		"showDeleted":             {"true"},
		"singleEvents":            {"true"},
		"maxResults":              {"2500"},
	}
	raws, err := c.listAll(ctx, "listing the events", q)
	if err != nil {
		return nil, err
	}
	var out []calendar.Stored
	for _, raw := range raws {
		s, ok := c.decode(raw)
		if !ok || s.Account != account {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

func (c *Calendar) listAll(ctx context.Context, step string, q url.Values) ([]json.RawMessage, error) {
	var all []json.RawMessage
	seenTokens := map[string]bool{}
	for {
		var page eventsPage
		if _, err := c.do(ctx, step, http.MethodGet, c.eventsPath(), q, nil, "", &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.NextPageToken == "" {
			return all, nil
		}
		if seenTokens[page.NextPageToken] {
			return nil, c.errorf(step, "Google gave the same page token twice")
		}
		seenTokens[page.NextPageToken] = true
		q.Set("pageToken", page.NextPageToken)
	}
}

// Get reads the event again; found is false when Google no longer has it.
func (c *Calendar) Get(ctx context.Context, s calendar.Stored) (calendar.Stored, bool, error) {
	const step = "reading an event"
	if s.Ref == "" {
		return calendar.Stored{}, false, c.errorf(step, "no event id")
	}
	raw, err := c.getRaw(ctx, step, s.Ref)
	if errors.Is(err, errGone) {
		return calendar.Stored{}, false, nil
	}
	if err != nil {
		return calendar.Stored{}, false, err
	}
	got, ok := c.decode(raw)
	if !ok {
		return calendar.Stored{}, false, c.errorf(step, "event %s no longer has rosteron's properties", s.Ref)
	}
	return got, true, nil
}

// errGone is a 404 or 410 from a request for one event.
var errGone = errors.New("gone")

func (c *Calendar) getRaw(ctx context.Context, step, id string) ([]byte, error) {
	var raw json.RawMessage
	if _, err := c.do(ctx, step, http.MethodGet, c.eventPath(id), nil, nil, "", &raw); err != nil {
		var e *Error
		if errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusGone) {
			return nil, errGone
		}
		return nil, err
	}
	return raw, nil
}

// Create inserts ev. An event with its iCalUID that Google kept as
// cancelled but did not list is restored instead; a live one is
// calendar.ErrConflict.
func (c *Calendar) Create(ctx context.Context, ev calendar.Event) (calendar.Stored, error) {
	const step = "creating an event"
	body := map[string]any{"iCalUID": ev.UID}
	if err := c.fill(body, ev, nil); err != nil {
		return calendar.Stored{}, err
	}
	var raw json.RawMessage
	_, err := c.do(ctx, step, http.MethodPost, c.eventsPath(), nil, body, "", &raw)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusConflict {
		return c.restoreHidden(ctx, ev)
	}
	if err != nil {
		return calendar.Stored{}, err
	}
	return c.decoded(step, raw)
}

// restoreHidden restores the cancelled event with ev's iCalUID that
// List could not see, if there is one and no other account's.
func (c *Calendar) restoreHidden(ctx context.Context, ev calendar.Event) (calendar.Stored, error) {
	const step = "looking up an existing event"
	raws, err := c.listAll(ctx, step, url.Values{"iCalUID": {ev.UID}, "showDeleted": {"true"}})
	if err != nil {
		return calendar.Stored{}, err
	}
	for _, raw := range raws {
		var g gEvent
		if json.Unmarshal(raw, &g) != nil || g.ICalUID != ev.UID || g.Status != "cancelled" || g.ID == "" {
			continue
		}
		// The list may give a deleted event bare: read it whole, so that
		// what the person added to it is kept, and whose it is known.
		full, err := c.getRaw(ctx, step, g.ID)
		if errors.Is(err, errGone) {
			continue
		}
		if err != nil {
			return calendar.Stored{}, err
		}
		g = gEvent{}
		if json.Unmarshal(full, &g) != nil || g.Status != "cancelled" {
			continue
		}
		if acct := g.private()[PropAccount]; acct != "" && acct != ev.Account {
			continue
		}
		c.remember(g.ID, g.Etag, full)
		return c.update(ctx, g.ID, g.Etag, ev)
	}
	return calendar.Stored{}, calendar.ErrConflict
}

// Update replaces what rosteron owns of old with ev, at old.ETag, keeping
// the rest of the event (its colour, attendees, the person's own
// reminders and properties), and restores it if it was cancelled.
func (c *Calendar) Update(ctx context.Context, old calendar.Stored, ev calendar.Event) (calendar.Stored, error) {
	if old.Ref == "" || old.ETag == "" {
		return calendar.Stored{}, c.errorf("updating an event", "no event id or etag")
	}
	if ev.UID != old.UID {
		return calendar.Stored{}, c.errorf("updating an event", "UID %s cannot become %s", old.UID, ev.UID)
	}
	return c.update(ctx, old.Ref, old.ETag, ev)
}

func (c *Calendar) update(ctx context.Context, id, etag string, ev calendar.Event) (calendar.Stored, error) {
	const step = "updating an event"
	raw, ok := c.recall(id, etag)
	if !ok {
		var err error
		raw, err = c.getRaw(ctx, step, id)
		if errors.Is(err, errGone) {
			return calendar.Stored{}, calendar.ErrConflict
		}
		if err != nil {
			return calendar.Stored{}, err
		}
	}
	var cur gEvent
	if err := json.Unmarshal(raw, &cur); err != nil {
		return calendar.Stored{}, c.errorf(step, "Google's event is not JSON: %v", err)
	}
	if cur.Etag != etag {
		return calendar.Stored{}, calendar.ErrConflict
	}
	// A patch, which leaves every field it does not name as it is: the
	// colour, guests, attachments, conference and the rest that the
	// person added, whether or not rosteron knows of them.
	body := map[string]any{}
	if err := c.fill(body, ev, &cur); err != nil {
		return calendar.Stored{}, err
	}
	var out json.RawMessage
	if _, err := c.do(ctx, step, http.MethodPatch, c.eventPath(id), nil, body, etag, &out); err != nil {
		return calendar.Stored{}, c.conflictIfGone(err)
	}
	return c.decoded(step, out)
}

// Delete cancels old, at old.ETag. An event Google already holds as
// deleted is left so.
func (c *Calendar) Delete(ctx context.Context, old calendar.Stored) error {
	if old.Ref == "" || old.ETag == "" {
		return c.errorf("deleting an event", "no event id or etag")
	}
	_, err := c.do(ctx, "deleting an event", http.MethodDelete, c.eventPath(old.Ref), nil, nil, old.ETag, nil)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusGone {
		return nil
	}
	if err == nil {
		c.mu.Lock()
		delete(c.seen, old.Ref)
		c.mu.Unlock()
	}
	return c.conflictIfGone(err)
}

// conflictIfGone turns a 404 for an event written at an etag into
// calendar.ErrConflict: it changed (it went) since it was read.
func (c *Calendar) conflictIfGone(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound {
		return calendar.ErrConflict
	}
	return err
}

func (c *Calendar) decoded(step string, raw []byte) (calendar.Stored, error) {
	s, ok := c.decode(raw)
	if !ok {
		return calendar.Stored{}, c.errorf(step, "Google's answer is not the event written")
	}
	return s, nil
}

func (c *Calendar) remember(id, etag string, raw []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[id] = seenEvent{etag: etag, raw: slices.Clone(raw)}
}

func (c *Calendar) recall(id, etag string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.seen[id]
	if !ok || s.etag != etag {
		return nil, false
	}
	return s.raw, true
}

// gEvent is the part of an Events resource that rosteron reads.
type gEvent struct {
	ID           string `json:"id"`
	Etag         string `json:"etag"`
	Status       string `json:"status"`
	ICalUID      string `json:"iCalUID"`
	Sequence     int    `json:"sequence"`
	Summary      string `json:"summary"`
	Location     string `json:"location"`
	Description  string `json:"description"`
	Transparency string `json:"transparency"`
	Updated      string `json:"updated"`
	Start        *gTime `json:"start"`
	End          *gTime `json:"end"`
	Reminders    *struct {
		UseDefault bool        `json:"useDefault"`
		Overrides  []gReminder `json:"overrides"`
	} `json:"reminders"`
	ExtendedProperties *struct {
		Private map[string]string `json:"private"`
	} `json:"extendedProperties"`
}

type gTime struct {
	Date     string `json:"date,omitempty"`
	DateTime string `json:"dateTime,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

type gReminder struct {
	Method  string `json:"method"`
	Minutes int    `json:"minutes"`
}

func (g *gEvent) private() map[string]string {
	if g.ExtendedProperties == nil || g.ExtendedProperties.Private == nil {
		return map[string]string{}
	}
	return g.ExtendedProperties.Private
}

// decode reads raw as one of rosteron's events, remembering it for
// Update; ok is false for an event that is not, or not readably, one.
func (c *Calendar) decode(raw []byte) (calendar.Stored, bool) {
	var g gEvent
	if err := json.Unmarshal(raw, &g); err != nil || g.ID == "" {
		return calendar.Stored{}, false
	}
	p := g.private()
	if !strings.HasSuffix(g.ICalUID, calendar.UIDDomain) || p[PropAccount] == "" || p[PropDigest] == "" {
		return calendar.Stored{}, false
	}
	itemJSON, ok := joinItem(p)
	if !ok {
		return calendar.Stored{}, false
	}
	var item snapshot.Item
	if err := json.Unmarshal([]byte(itemJSON), &item); err != nil {
		return calendar.Stored{}, false
	}
	s := calendar.Stored{
		Event: calendar.Event{
			UID:     g.ICalUID,
			Account: p[PropAccount],
			Digest:  p[PropDigest],
			Item:    item,
		},
		Ref:       g.ID,
		ETag:      g.Etag,
		Cancelled: g.Status == "cancelled",
	}
	// The higher of Google's sequence, which Google raises when the
	// person edits the event, and rosteron's property: a write after
	// either goes above both.
	s.Sequence = max(g.Sequence, storedSequence(p), 0)
	if t, err := time.Parse(time.RFC3339Nano, p[PropModified]); err == nil {
		s.Modified = t
	} else if t, err := time.Parse(time.RFC3339Nano, g.Updated); err == nil {
		s.Modified = t
	}
	ex, ok := c.content(&g, item)
	if !ok {
		return calendar.Stored{}, false
	}
	if !ex.Start.IsZero() && ex.End.Equal(ex.Start.Add(zeroLength)) {
		// A minute, as rosteron writes an event without an end, when
		// the digest says so: the event then says what was written.
		none := ex
		none.End = time.Time{}
		if none.Digest() == s.Digest {
			ex = none
		}
	}
	s.Event.Event = ex
	s.Alarms = ours(&g)
	c.remember(g.ID, g.Etag, raw)
	return s, true
}

// storedSequence is rosteron's sequence property in p, -1 when there is
// none.
func storedSequence(p map[string]string) int {
	if n, err := strconv.Atoi(p[PropSequence]); err == nil && n >= 0 {
		return n
	}
	return -1
}

// content reads what the event says, in c's zone.
func (c *Calendar) content(g *gEvent, item snapshot.Item) (export.Event, bool) {
	ex := export.Event{
		Date:        item.Date,
		Summary:     g.Summary,
		Location:    g.Location,
		Description: g.Description,
		Transparent: g.Transparency == "transparent",
		Kind:        item.Shift(c.loc).Kind,
	}
	if g.Start == nil {
		// Google may return a cancelled event without its times.
		return ex, g.Status == "cancelled"
	}
	if g.Start.Date != "" {
		d, err := snapshot.ParseDate(g.Start.Date)
		if err != nil {
			return ex, false
		}
		ex.Date = d
		return ex, true
	}
	start, err := time.Parse(time.RFC3339Nano, g.Start.DateTime)
	if err != nil {
		return ex, false
	}
	ex.Start = start.In(c.loc)
	if g.End != nil && g.End.DateTime != "" {
		end, err := time.Parse(time.RFC3339Nano, g.End.DateTime)
		if err != nil {
			return ex, false
		}
		if end.After(start) {
			ex.End = end.In(c.loc)
		}
	}
	return ex, true
}

// ours returns rosteron's reminders among the event's popups.
func ours(g *gEvent) []time.Duration {
	mine := alarmSet(g.private()[PropAlarms])
	if len(mine) == 0 || g.Reminders == nil {
		return nil
	}
	var out []time.Duration
	for _, r := range g.Reminders.Overrides {
		d := time.Duration(r.Minutes) * time.Minute
		if r.Method == "popup" && mine[r.Minutes] && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

func alarmSet(s string) map[int]bool {
	set := map[int]bool{}
	for f := range strings.SplitSeq(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n >= 0 {
			set[n] = true
		}
	}
	return set
}

// joinItem returns the item JSON kept in p, whole or in parts.
func joinItem(p map[string]string) (string, bool) {
	if v, ok := p[PropItem]; ok {
		return v, true
	}
	var b strings.Builder
	for i := 1; ; i++ {
		v, ok := p[PropItem+strconv.Itoa(i)]
		if !ok {
			return b.String(), i > 1
		}
		b.WriteString(v)
	}
}

// splitItem cuts s into parts of at most MaxPropertyValue bytes, between
// characters.
func splitItem(s string) []string {
	var parts []string
	for len(s) > MaxPropertyValue {
		n := MaxPropertyValue
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return append(parts, s)
}

// isOurProperty reports whether key is one rosteron writes.
func isOurProperty(key string) bool {
	switch key {
	case PropAccount, PropDigest, PropItem, PropSequence, PropModified, PropAlarms:
		return true
	}
	n, ok := strings.CutPrefix(key, PropItem)
	if !ok {
		return false
	}
	_, err := strconv.Atoi(n)
	return err == nil
}

// fill sets in body what rosteron owns of an event: its times, texts,
// transparency, status, sequence, reminders and properties. cur is the
// event as Google holds it, for an update, which is a patch: fields to
// clear are sent as null (a timed event made all-day loses its dateTime),
// the person's own reminders are sent again, as a patch replaces the
// list, and the person's private properties are left alone, as a patch
// merges them. An update's sequence is above both Google's and the
// stored property's, as every write is a revision (and Google refuses a
// sequence below its own), even when ev's is not; the property says the
// sequence sent.
func (c *Calendar) fill(body map[string]any, ev calendar.Event, cur *gEvent) error {
	switch {
	case !strings.HasSuffix(ev.UID, calendar.UIDDomain) || strings.ContainsAny(ev.UID, "\r\n"):
		return c.errorf("writing an event", "UID %q does not end in %s", ev.UID, calendar.UIDDomain)
	case ev.Account == "":
		return c.errorf("writing an event", "event %s has no account", ev.UID)
	case ev.Sequence < 0:
		return c.errorf("writing an event", "event %s has SEQUENCE %d", ev.UID, ev.Sequence)
	case snapshot.IsFloating(ev.Start) || snapshot.IsFloating(ev.End):
		return ErrFloating
	}
	patch := cur != nil
	// when is an event's start or end; a patch clears what is not set.
	when := func(date, dateTime, zone string) map[string]any {
		m := map[string]any{}
		for k, v := range map[string]string{"date": date, "dateTime": dateTime, "timeZone": zone} {
			switch {
			case v != "":
				m[k] = v
			case patch:
				m[k] = nil
			}
		}
		return m
	}
	if ev.AllDay() {
		if !ev.Date.Valid() {
			return c.errorf("writing an event", "all-day event %s has no valid date", ev.UID)
		}
		body["start"] = when(ev.Date.String(), "", "")
		body["end"] = when(ev.Date.AddDays(1).String(), "", "") // exclusive
	} else {
		end := ev.End
		if !end.After(ev.Start) {
			// Google refuses an event that ends when it starts ("The
			// specified time range is empty"): a shift without an end
			// (one whose start fell in a skipped hour) lasts a minute
			// there, read back as having none (see decode).
			end = ev.Start.Add(zeroLength)
		}
		tz := zoneName(c.loc)
		body["start"] = when("", ev.Start.Format(time.RFC3339), tz)
		body["end"] = when("", end.Format(time.RFC3339), tz)
	}
	body["summary"] = ev.Summary
	body["location"] = ev.Location
	body["description"] = ev.Description
	body["transparency"] = "opaque"
	if ev.Transparent {
		body["transparency"] = "transparent"
	}
	body["status"] = "confirmed"
	seq := ev.Sequence
	if cur != nil {
		seq = max(seq, cur.Sequence+1, storedSequence(cur.private())+1)
	}
	body["sequence"] = seq

	// Reminders: rosteron's, then the person's that are not also ours.
	mine := make([]int, 0, len(ev.Alarms))
	for _, a := range ev.Alarms {
		if a < 0 || a > maxReminder || a%time.Minute != 0 {
			return c.errorf("writing an event", "reminder %v: Google takes whole minutes from 0 to 4 weeks before the start", a)
		}
		if m := int(a / time.Minute); !slices.Contains(mine, m) {
			mine = append(mine, m)
		}
	}
	if len(mine) > MaxReminders {
		return c.errorf("writing an event", "%d reminders: Google takes at most %d", len(mine), MaxReminders)
	}
	slices.Sort(mine)
	overrides := make([]gReminder, 0, MaxReminders)
	for _, m := range mine {
		overrides = append(overrides, gReminder{Method: "popup", Minutes: m})
	}
	private := map[string]any{}
	if cur != nil {
		oldMine := alarmSet(cur.private()[PropAlarms])
		if cur.Reminders != nil {
			for _, r := range cur.Reminders.Overrides {
				if len(overrides) == MaxReminders {
					break
				}
				if r.Method == "popup" && (oldMine[r.Minutes] || slices.Contains(mine, r.Minutes)) {
					continue
				}
				overrides = append(overrides, r)
			}
		}
		// rosteron's properties that this write leaves out (the parts of
		// an item now shorter) are removed; a patch keeps the others.
		for k := range cur.private() {
			if isOurProperty(k) {
				private[k] = nil
			}
		}
	}
	body["reminders"] = map[string]any{"useDefault": false, "overrides": overrides}

	item, err := json.Marshal(ev.Item)
	if err != nil {
		return c.errorf("writing an event", "event %s: %v", ev.UID, err)
	}
	if len(ev.Account) > MaxPropertyValue {
		return c.errorf("writing an event", "the account name is longer than Google's %d characters", MaxPropertyValue)
	}
	private[PropAccount] = ev.Account
	private[PropDigest] = ev.Digest
	private[PropSequence] = strconv.Itoa(seq)
	if !ev.Modified.IsZero() {
		private[PropModified] = ev.Modified.UTC().Format(time.RFC3339Nano)
	}
	var alarms []string
	for _, m := range mine {
		alarms = append(alarms, strconv.Itoa(m))
	}
	private[PropAlarms] = strings.Join(alarms, ",")
	parts := splitItem(string(item))
	switch {
	case len(parts) == 1:
		private[PropItem] = parts[0]
	case len(parts) > maxItemParts:
		return c.errorf("writing an event", "event %s: its roster item is too long for Google's properties (%d bytes)", ev.UID, len(item))
	default:
		for i, p := range parts {
			private[PropItem+strconv.Itoa(i+1)] = p
		}
	}
	body["extendedProperties"] = map[string]any{"private": private}
	return nil
}

// Error is a request to Google Calendar that failed. It matches
// calendar.ErrCalendar.
type Error struct {
	// Step says what rosteron was doing: "listing the events".
	Step string
	// Status is the HTTP status, 0 when there was no answer.
	Status int
	// Reason is Google's reason ("rateLimitExceeded"), if it gave one.
	Reason string
	// Message is Google's message, or what went wrong, without secrets.
	Message string
	// Err is the cause, such as a network error.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(Service + ": " + e.Step)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Reason != "" {
		b.WriteString(" (" + e.Reason + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil && e.Message == "" {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes every *Error match calendar.ErrCalendar.
func (e *Error) Is(target error) bool { return target == calendar.ErrCalendar }

// Temporary reports whether trying again later may succeed: no answer,
// a rate limit (403 rateLimitExceeded or userRateLimitExceeded, 429) or a
// server error (5xx).
func (e *Error) Temporary() bool {
	switch {
	case e.Status == 0:
		return !errors.Is(e.Err, context.Canceled)
	case e.Status == http.StatusTooManyRequests, e.Status >= 500:
		return true
	case e.Status == http.StatusForbidden:
		return e.Reason == "rateLimitExceeded" || e.Reason == "userRateLimitExceeded"
	}
	return false
}

func (c *Calendar) errorf(step, format string, args ...any) error {
	return &Error{Step: step, Message: fmt.Sprintf(format, args...)}
}

// apiError is the error body of Google's JSON APIs.
type apiError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"error"`
}

// maxBody bounds what is read of an answer.
const maxBody = 64 << 20

// do sends one request and decodes a 2xx answer's JSON into out, if not
// nil. It returns the answer's ETag header.
func (c *Calendar) do(ctx context.Context, step, method, path string, q url.Values, body any, ifMatch string, out any) (string, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return "", &Error{Step: step, Err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return "", &Error{Step: step, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return "", transportError(step, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", &Error{Step: step, Status: resp.StatusCode, Err: err}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out != nil && resp.StatusCode != http.StatusNoContent {
			if err := json.Unmarshal(data, out); err != nil {
				return "", &Error{Step: step, Status: resp.StatusCode, Message: "the answer is not the JSON expected: " + err.Error()}
			}
		}
		return resp.Header.Get("ETag"), nil
	}
	return "", statusError(step, resp.StatusCode, data)
}

// statusError turns a non-2xx answer into an error.
func statusError(step string, status int, data []byte) error {
	var a apiError
	_ = json.Unmarshal(data, &a)
	reason := ""
	if len(a.Error.Errors) > 0 {
		reason = a.Error.Errors[0].Reason
	}
	msg := clean(a.Error.Message)
	switch {
	case status >= 300 && status < 400:
		return &Error{Step: step, Status: status,
			Message: "Google Calendar answered with a redirect, which rosteron does not follow, so as not to send the access token elsewhere"}
	case status == http.StatusPreconditionFailed:
		return calendar.ErrConflict
	case status == http.StatusUnauthorized:
		return &calendar.AuthError{Service: Service, Status: status,
			Reason: "the access token was refused (" + orWords(msg, "invalid credentials") + "): run rosteron google-auth again"}
	case status == http.StatusForbidden && (reason == "insufficientPermissions" || a.Error.Status == "PERMISSION_DENIED" && strings.Contains(strings.ToLower(msg), "scope")):
		return &calendar.AuthError{Service: Service, Status: status,
			Reason: "the token does not allow this (" + orWords(msg, reason) + "): run rosteron google-auth again"}
	}
	return &Error{Step: step, Status: status, Reason: reason, Message: msg}
}

func orWords(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// clean makes Google's message one short line.
func clean(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}
