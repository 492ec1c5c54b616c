// Package calendartest provides a calendar.Calendar that lives in memory,
// for tests of code that writes into calendars, as net/http/httptest
// provides servers: a real implementation of the interface, with what
// the servers behind it do that a sync has to cope with.
//
//   - Every event has an ETag that changes on each write, and writes are
//     conditional: Create refuses a UID the calendar has, and Update and
//     Delete refuse an ETag that is not the event's, with
//     calendar.ErrConflict.
//   - The calendar's Tag changes on every write, the sync's or a
//     person's.
//   - With KeepCancelled a deleted event stays, cancelled, as Google
//     Calendar keeps it; a new event cannot take its UID, and Update
//     restores it.
//   - Update keeps what a person added to an event (Event.Notes).
//
// A test plays the person and the server with Add, Edit, Remove and
// Clear, which change the calendar as someone using it would; counts the
// requests with Calls; and makes requests fail with OnRequest.
package calendartest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/snapshot"
)

// The requests of calendar.Calendar, as Request.Op names them.
const (
	OpTag    = "tag"
	OpList   = "list"
	OpGet    = "get"
	OpCreate = "create"
	OpUpdate = "update"
	OpDelete = "delete"
)

// Request is a request made to a Calendar, as a hook sees it.
type Request struct {
	// Op is one of the Op constants.
	Op string
	// UID is the event's UID; "" for Tag and List.
	UID string
}

// Calls counts the requests made to a Calendar through the
// calendar.Calendar interface, failed ones included.
type Calls struct {
	Tag, List, Get, Create, Update, Delete int
}

// Writes is the number of writes: creates, updates and deletes.
func (c Calls) Writes() int { return c.Create + c.Update + c.Delete }

// Requests is the number of requests of every kind.
func (c Calls) Requests() int { return c.Tag + c.List + c.Get + c.Writes() }

// ErrDown is an error a hook may return to make a request fail as one to
// a server that cannot be reached does.
var ErrDown = fmt.Errorf("%w: calendartest: the calendar cannot be reached", calendar.ErrCalendar)

// Unauthorized returns an error a hook may return to make a request fail
// as one whose credentials the server refused does (HTTP 401).
func Unauthorized() error {
	return &calendar.AuthError{Service: "calendartest", Status: 401, Reason: "the test refused the credentials"}
}

// Event is an event as a Calendar holds it.
type Event struct {
	calendar.Event
	// Ref and ETag are the event's place and version (see
	// calendar.Stored).
	Ref, ETag string
	// Cancelled is set for an event deleted in a calendar made with
	// KeepCancelled.
	Cancelled bool
	// Notes stands for what a person added to the event in their
	// calendar (an alarm of their own, a colour, a note): Update keeps
	// it.
	Notes string
}

// Stored is the event as the calendar.Calendar interface returns it.
func (e Event) Stored() calendar.Stored {
	return calendar.Stored{Event: clone(e.Event), Ref: e.Ref, ETag: e.ETag, Cancelled: e.Cancelled}
}

// Option configures a Calendar.
type Option func(*Calendar)

// WithName names the calendar, for String.
func WithName(name string) Option { return func(c *Calendar) { c.name = name } }

// KeepCancelled keeps deleted events as cancelled, as Google Calendar
// does, rather than removing them.
func KeepCancelled() Option { return func(c *Calendar) { c.keepCancelled = true } }

// Calendar is an in-memory calendar. Its methods are safe for concurrent
// use. The zero value is not usable: make one with New.
type Calendar struct {
	name          string
	keepCancelled bool

	mu      sync.Mutex
	events  []*Event // in the order added
	version int      // the last ETag and Tag given
	tag     int
	refs    int
	calls   Calls
	hook    func(Request) error
}

var _ calendar.Calendar = (*Calendar)(nil)

// New returns an empty calendar.
func New(opts ...Option) *Calendar {
	c := &Calendar{name: "Test"}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// String names the calendar.
func (c *Calendar) String() string { return "calendartest: " + c.name }

// OnRequest sets a hook called before each request through the
// calendar.Calendar interface, outside the calendar's lock, so that it may
// change the calendar (Edit, Remove) as a person would while a sync runs.
// A request whose hook returns an error fails with it; an error that does
// not match calendar.ErrCalendar is wrapped so that it does. nil removes
// the hook.
func (c *Calendar) OnRequest(hook func(Request) error) {
	c.mu.Lock()
	c.hook = hook
	c.mu.Unlock()
}

// Calls returns the requests counted so far.
func (c *Calendar) Calls() Calls {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// ResetCalls sets the counts back to zero.
func (c *Calendar) ResetCalls() {
	c.mu.Lock()
	c.calls = Calls{}
	c.mu.Unlock()
}

// request counts a request and runs the hook.
func (c *Calendar) request(op, uid string) error {
	c.mu.Lock()
	switch op {
	case OpTag:
		c.calls.Tag++
	case OpList:
		c.calls.List++
	case OpGet:
		c.calls.Get++
	case OpCreate:
		c.calls.Create++
	case OpUpdate:
		c.calls.Update++
	case OpDelete:
		c.calls.Delete++
	}
	hook := c.hook
	c.mu.Unlock()
	if hook == nil {
		return nil
	}
	err := hook(Request{Op: op, UID: uid})
	if err != nil && !errors.Is(err, calendar.ErrCalendar) {
		err = fmt.Errorf("%w: calendartest: %w", calendar.ErrCalendar, err)
	}
	return err
}

// Tag returns a tag that changes with every write.
func (c *Calendar) Tag(ctx context.Context) (string, error) {
	if err := c.begin(ctx, OpTag, ""); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return "tag-" + strconv.Itoa(c.tag), nil
}

func (c *Calendar) begin(ctx context.Context, op, uid string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.request(op, uid)
}

// List returns account's events: those whose UID ends in
// calendar.UIDDomain and whose Account is account, cancelled ones
// included.
func (c *Calendar) List(ctx context.Context, account string) ([]calendar.Stored, error) {
	if err := c.begin(ctx, OpList, ""); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []calendar.Stored
	for _, e := range c.events {
		if strings.HasSuffix(e.UID, calendar.UIDDomain) && e.Account == account {
			out = append(out, e.Stored())
		}
	}
	return out, nil
}

// Get reads s's event again, by its Ref, or by its UID when it has none
// (an event whose Create was refused as a conflict).
func (c *Calendar) Get(ctx context.Context, s calendar.Stored) (calendar.Stored, bool, error) {
	if err := c.begin(ctx, OpGet, s.UID); err != nil {
		return calendar.Stored{}, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byRef(s.Ref)
	if s.Ref == "" {
		e = c.byUID(s.UID)
	}
	if e != nil {
		return e.Stored(), true, nil
	}
	return calendar.Stored{}, false, nil
}

// Create adds ev, unless an event of the calendar has its UID
// (calendar.ErrConflict).
func (c *Calendar) Create(ctx context.Context, ev calendar.Event) (calendar.Stored, error) {
	if err := c.begin(ctx, OpCreate, ev.UID); err != nil {
		return calendar.Stored{}, err
	}
	if err := checkEvent(ev); err != nil {
		return calendar.Stored{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byUID(ev.UID) != nil {
		return calendar.Stored{}, fmt.Errorf("%w (calendartest: UID %s is taken)", calendar.ErrConflict, ev.UID)
	}
	return c.insertLocked(ev).Stored(), nil
}

// Update replaces old's event with ev, if it is still at old.ETag
// (calendar.ErrConflict otherwise), keeping its Notes, and restores it
// if it was cancelled.
func (c *Calendar) Update(ctx context.Context, old calendar.Stored, ev calendar.Event) (calendar.Stored, error) {
	if err := c.begin(ctx, OpUpdate, ev.UID); err != nil {
		return calendar.Stored{}, err
	}
	if err := checkEvent(ev); err != nil {
		return calendar.Stored{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byRef(old.Ref)
	switch {
	case e == nil:
		return calendar.Stored{}, fmt.Errorf("%w (calendartest: the event is gone)", calendar.ErrConflict)
	case e.ETag != old.ETag:
		return calendar.Stored{}, fmt.Errorf("%w (calendartest: ETag %s, not %s)", calendar.ErrConflict, e.ETag, old.ETag)
	case e.UID != ev.UID:
		return calendar.Stored{}, fmt.Errorf("%w: calendartest: Update would change the UID %s to %s", calendar.ErrCalendar, e.UID, ev.UID)
	}
	e.Event, e.Cancelled = clone(ev), false
	c.touchLocked(e)
	return e.Stored(), nil
}

// Delete removes old's event, or cancels it with KeepCancelled, if it is
// still at old.ETag (calendar.ErrConflict otherwise, or when it is gone).
func (c *Calendar) Delete(ctx context.Context, old calendar.Stored) error {
	if err := c.begin(ctx, OpDelete, old.UID); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byRef(old.Ref)
	switch {
	case e == nil:
		return fmt.Errorf("%w (calendartest: the event is gone)", calendar.ErrConflict)
	case e.ETag != old.ETag:
		return fmt.Errorf("%w (calendartest: ETag %s, not %s)", calendar.ErrConflict, e.ETag, old.ETag)
	}
	c.removeLocked(e)
	return nil
}

func checkEvent(ev calendar.Event) error {
	if ev.UID == "" || strings.ContainsAny(ev.UID, "\r\n") {
		return fmt.Errorf("%w: calendartest: an event without a UID, or with a line break in it", calendar.ErrCalendar)
	}
	return nil
}

// Events returns every event of the calendar, the person's own and
// cancelled ones included, in the order they were added.
func (c *Calendar) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Event, len(c.events))
	for i, e := range c.events {
		out[i] = *e
		out[i].Event = clone(e.Event)
	}
	return out
}

// Event returns the event with uid, and false when there is none.
func (c *Calendar) Event(uid string) (Event, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byUID(uid)
	if e == nil {
		return Event{}, false
	}
	out := *e
	out.Event = clone(e.Event)
	return out, true
}

// Add puts ev in the calendar as someone other than the sync would: a
// person's own event, another account's, one copied by hand (whose UID
// may be one the calendar has). It makes no request and counts none.
func (c *Calendar) Add(ev calendar.Event) Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.insertLocked(ev)
	out := *e
	out.Event = clone(e.Event)
	return out
}

// Edit changes the event with uid as a person would in their calendar:
// edit may change anything but Ref and ETag, and the event gets a new
// ETag, and the calendar a new Tag. It reports false when there is no
// such event.
func (c *Calendar) Edit(uid string, edit func(*Event)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byUID(uid)
	if e == nil {
		return false
	}
	ref, etag := e.Ref, e.ETag
	ev := *e
	ev.Event = clone(e.Event)
	edit(&ev)
	*e = ev
	e.Ref, e.ETag = ref, etag
	c.touchLocked(e)
	return true
}

// Remove deletes the event with uid as a person would in their calendar
// (cancelled, with KeepCancelled). It reports false when there is no
// such event.
func (c *Calendar) Remove(uid string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byUID(uid)
	if e == nil {
		return false
	}
	c.removeLocked(e)
	return true
}

// Clear empties the calendar, as a person deleting the calendar's every
// event would; with KeepCancelled they stay, cancelled.
func (c *Calendar) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range slices.Clone(c.events) {
		if !e.Cancelled {
			c.removeLocked(e)
		}
	}
}

func (c *Calendar) insertLocked(ev calendar.Event) *Event {
	c.refs++
	e := &Event{Event: clone(ev), Ref: "/events/" + strconv.Itoa(c.refs) + ".ics"}
	c.events = append(c.events, e)
	c.touchLocked(e)
	return e
}

func (c *Calendar) removeLocked(e *Event) {
	if c.keepCancelled {
		e.Cancelled = true
		c.touchLocked(e)
		return
	}
	c.events = slices.DeleteFunc(c.events, func(x *Event) bool { return x == e })
	c.tag++
}

// touchLocked gives e a new ETag and the calendar a new Tag.
func (c *Calendar) touchLocked(e *Event) {
	c.version++
	c.tag++
	e.ETag = `"` + strconv.Itoa(c.version) + `"`
}

func (c *Calendar) byRef(ref string) *Event {
	for _, e := range c.events {
		if e.Ref == ref {
			return e
		}
	}
	return nil
}

// byUID is the first event with uid, one not cancelled first.
func (c *Calendar) byUID(uid string) *Event {
	var cancelled *Event
	for _, e := range c.events {
		if e.UID != uid {
			continue
		}
		if !e.Cancelled {
			return e
		}
		if cancelled == nil {
			cancelled = e
		}
	}
	return cancelled
}

// clone copies ev deeply, so that no caller shares its slices with the
// calendar.
func clone(ev calendar.Event) calendar.Event {
	ev.Alarms = slices.Clone(ev.Alarms)
	ev.Item = cloneItem(ev.Item)
	return ev
}

func cloneItem(it snapshot.Item) snapshot.Item {
	it.Detail = slices.Clone(it.Detail)
	it.Warnings = slices.Clone(it.Warnings)
	return it
}
