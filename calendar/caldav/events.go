package caldav

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rosteron/rosteron/calendar"
)

// conflict is calendar.ErrConflict for the event at u.
func conflict(step string, u *url.URL, why string) error {
	return fmt.Errorf("%w (CalDAV %s %s: %s)", calendar.ErrConflict, step, u.Redacted(), why)
}

// Tag returns the calendar's getctag and sync-token, in one PROPFIND: a
// text that changes whenever an event of the calendar does. "" when the
// server keeps neither.
func (cal *Calendar) Tag(ctx context.Context) (string, error) {
	const step = "reading the change tag"
	ms, final, err := cal.propfind(ctx, step, cal.url, "0", maxDiscovery, propCTag, propSyncToken)
	if err != nil {
		return "", err
	}
	r := self(ms, final)
	if r == nil {
		return "", &Error{Step: step, URL: final.Redacted(), Err: fmt.Errorf("the server said nothing about the calendar")}
	}
	p := r.props()
	var parts []string
	for _, s := range []string{str(p.CTag), str(p.SyncToken)} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " "), nil
}

// ref is how an event's address is given in calendar.Stored.Ref: its path
// on the calendar's server, else the whole address.
func (cal *Calendar) ref(u *url.URL) string {
	if originOf(u) == originOf(cal.url) {
		return u.EscapedPath()
	}
	return u.String()
}

// refURL is the address of s: its Ref, else, for an event known only by
// its UID (one whose Create was refused as a conflict), where Create puts
// an event with that UID.
func (cal *Calendar) refURL(step string, s calendar.Stored) (*url.URL, error) {
	ref := s.Ref
	if ref == "" && strings.HasSuffix(s.UID, calendar.UIDDomain) {
		ref = cal.url.ResolveReference(&url.URL{Path: resourceName(s.UID)}).EscapedPath()
	}
	if ref == "" {
		return nil, &Error{Step: step, URL: cal.url.Redacted(), Err: fmt.Errorf("no href for the event")}
	}
	u, err := resolve(cal.url, ref)
	if err != nil {
		return nil, &Error{Step: step, URL: cal.url.Redacted(), Err: err}
	}
	return u, nil
}

// List returns account's events, from one calendar-query REPORT that
// gives every event's data and ETag. Events that are not rosteron's, or
// not account's, or that cannot be read back as rosteron's, are left out.
//
// The query asks the server for the events whose X-ROSTERON-ACCOUNT
// holds account, so that a big calendar of the person's own events is
// not sent whole; a server that refuses that filter is asked for every
// event, once. What comes back is checked here all the same.
func (cal *Calendar) List(ctx context.Context, account string) ([]calendar.Stored, error) {
	const step = "list"
	query := func(body []byte) (*response, error) {
		return cal.c.do(ctx, request{
			step: step, method: "REPORT", url: cal.url, limit: maxListing, body: body,
			header: http.Header{"Depth": {"1"}, "Content-Type": {`application/xml; charset="utf-8"`}},
		})
	}
	resp, err := query(calendarQueryFor(account))
	var de *Error
	refused := func(status int) bool {
		return status/100 == 4 && status != http.StatusUnauthorized || status == http.StatusNotImplemented
	}
	switch {
	case errors.As(err, &de) && refused(de.Status):
		resp, err = query([]byte(calendarQuery))
	case err == nil && resp.status != http.StatusMultiStatus && refused(resp.status):
		resp, err = query([]byte(calendarQuery))
	}
	if err != nil {
		return nil, err
	}
	if resp.status != http.StatusMultiStatus {
		return nil, cal.c.statusError(step, resp)
	}
	ms, err := parseMultistatus(resp.body)
	if err != nil {
		return nil, &Error{Step: step, URL: resp.url.Redacted(), Status: resp.status, Err: err}
	}
	var out []calendar.Stored
	objects := map[string]storedObject{}
	for i := range ms.Responses {
		r := &ms.Responses[i]
		p := r.props()
		if p.CalendarData == nil || len(r.Hrefs) == 0 {
			continue
		}
		u, err := resolve(resp.url, r.Hrefs[0])
		if err != nil || !inside(u, cal.url) || sameResource(u, cal.url) {
			continue // not an event of this calendar: never written to
		}
		data := []byte(strings.TrimSpace(*p.CalendarData) + "\r\n")
		ev, ok := decodeEvent(data, account)
		if !ok {
			continue
		}
		s := calendar.Stored{Event: ev, Ref: cal.ref(u), ETag: str(p.ETag)}
		objects[s.Ref] = storedObject{etag: s.ETag, data: data}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b calendar.Stored) int { return strings.Compare(a.Ref, b.Ref) })
	cal.mu.Lock()
	cal.stored = objects
	cal.mu.Unlock()
	return out, nil
}

// Get reads the event at s.Ref again; given no Ref, the event that
// Create puts under s.UID, so that a Create refused as a conflict can be
// settled.
func (cal *Calendar) Get(ctx context.Context, s calendar.Stored) (calendar.Stored, bool, error) {
	const step = "reading an event"
	u, err := cal.refURL(step, s)
	if err != nil {
		return calendar.Stored{}, false, err
	}
	obj, found, err := cal.fetch(ctx, step, u)
	if err != nil || !found {
		return calendar.Stored{}, false, err
	}
	ev, ok := decodeEvent(obj.data, s.Account)
	if !ok {
		return calendar.Stored{}, false, &Error{Step: step, URL: u.Redacted(),
			Detail: "the object there is no longer one of this account's rosteron events"}
	}
	out := calendar.Stored{Event: ev, Ref: cal.ref(u), ETag: obj.etag}
	cal.remember(out.Ref, obj)
	return out, true, nil
}

// fetch GETs the object at u; found is false when it is gone.
func (cal *Calendar) fetch(ctx context.Context, step string, u *url.URL) (storedObject, bool, error) {
	resp, err := cal.c.do(ctx, request{step: step, method: http.MethodGet, url: u, limit: maxObject,
		header: http.Header{"Accept": {"text/calendar"}}})
	if err != nil {
		return storedObject{}, false, err
	}
	switch {
	case resp.status == http.StatusNotFound || resp.status == http.StatusGone:
		return storedObject{}, false, nil
	case resp.status/100 != 2:
		return storedObject{}, false, cal.c.statusError(step, resp)
	}
	return storedObject{etag: resp.header.Get("ETag"), data: resp.body}, true, nil
}

func (cal *Calendar) remember(ref string, obj storedObject) {
	cal.mu.Lock()
	cal.stored[ref] = obj
	cal.mu.Unlock()
}

func (cal *Calendar) forget(ref string) {
	cal.mu.Lock()
	delete(cal.stored, ref)
	cal.mu.Unlock()
}

// prepare fills in what is written for ev and not given: its revision
// time, now when it has none, in whole seconds as iCalendar keeps it, and
// its alarms in order.
func (cal *Calendar) prepare(ev calendar.Event) calendar.Event {
	if ev.Modified.IsZero() {
		ev.Modified = cal.now()
	}
	ev.Modified = ev.Modified.UTC().Truncate(time.Second)
	if len(ev.Alarms) > 0 {
		ev.Alarms = slices.Clone(ev.Alarms)
		slices.Sort(ev.Alarms)
		ev.Alarms = slices.Compact(ev.Alarms)
	}
	return ev
}

// Create adds ev with a PUT that only creates (If-None-Match: *), at a
// name made from its UID.
func (cal *Calendar) Create(ctx context.Context, ev calendar.Event) (calendar.Stored, error) {
	const step = "create"
	if err := checkEvent(ev); err != nil {
		return calendar.Stored{}, &Error{Step: step, URL: cal.url.Redacted(), Err: err}
	}
	ev = cal.prepare(ev)
	u := cal.url.ResolveReference(&url.URL{Path: resourceName(ev.UID)})
	data, err := encode(ev, nil, ev.Modified)
	if err != nil {
		return calendar.Stored{}, &Error{Step: step, URL: u.Redacted(), Err: err}
	}
	etag, err := cal.put(ctx, step, u, data, http.Header{"If-None-Match": {"*"}})
	if err != nil {
		return calendar.Stored{}, err
	}
	s := calendar.Stored{Event: ev, Ref: cal.ref(u), ETag: etag}
	cal.remember(s.Ref, storedObject{etag: etag, data: data})
	return s, nil
}

// Update replaces what rosteron owns of the event at old.Ref with ev, if
// it is still at old.ETag (If-Match), keeping what the person added.
func (cal *Calendar) Update(ctx context.Context, old calendar.Stored, ev calendar.Event) (calendar.Stored, error) {
	const step = "update"
	u, err := cal.refURL(step, old)
	if err != nil {
		return calendar.Stored{}, err
	}
	if err := checkEvent(ev); err != nil {
		return calendar.Stored{}, &Error{Step: step, URL: u.Redacted(), Err: err}
	}
	if old.UID != "" && old.UID != ev.UID {
		return calendar.Stored{}, &Error{Step: step, URL: u.Redacted(),
			Err: fmt.Errorf("the UID %q would become %q", old.UID, ev.UID)}
	}
	ev = cal.prepare(ev)

	cal.mu.Lock()
	base, ok := cal.stored[cal.ref(u)]
	cal.mu.Unlock()
	if !ok || base.etag != old.ETag || old.ETag == "" {
		// Not read here at that version: read it, to keep what the
		// person added.
		obj, found, err := cal.fetch(ctx, step, u)
		if err != nil {
			return calendar.Stored{}, err
		}
		if !found {
			return calendar.Stored{}, conflict(step, u, "the event is gone")
		}
		if old.ETag != "" && obj.etag != "" && obj.etag != old.ETag {
			return calendar.Stored{}, conflict(step, u, "the event changed since it was read")
		}
		base = obj
	}
	data, err := encode(ev, base.data, ev.Modified)
	if err != nil {
		return calendar.Stored{}, &Error{Step: step, URL: u.Redacted(), Err: err}
	}
	h := http.Header{}
	if old.ETag != "" {
		h.Set("If-Match", old.ETag)
	} else if base.etag != "" {
		// Listed without an ETag: written only over the version just read.
		h.Set("If-Match", base.etag)
	}
	etag, err := cal.put(ctx, step, u, data, h)
	if err != nil {
		return calendar.Stored{}, err
	}
	s := calendar.Stored{Event: ev, Ref: cal.ref(u), ETag: etag}
	cal.remember(s.Ref, storedObject{etag: etag, data: data})
	return s, nil
}

// put sends data to u with the conditions in h and returns the new ETag.
func (cal *Calendar) put(ctx context.Context, step string, u *url.URL, data []byte, h http.Header) (string, error) {
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	resp, err := cal.c.do(ctx, request{step: step, method: http.MethodPut, url: u, body: data, header: h, limit: maxErrorBody})
	if err != nil {
		return "", err
	}
	switch {
	case resp.status == http.StatusPreconditionFailed:
		if h.Get("If-None-Match") != "" {
			return "", conflict(step, u, "an event with this UID is already there")
		}
		return "", conflict(step, u, "the event changed since it was read")
	case resp.status == http.StatusConflict:
		// RFC 4791's no-uid-conflict: the UID is used by another object.
		return "", conflict(step, u, "an event with this UID is already in the calendar")
	case resp.status == http.StatusNotFound && h.Get("If-Match") != "":
		return "", conflict(step, u, "the event is gone")
	case resp.status/100 != 2:
		return "", cal.c.statusError(step, resp)
	}
	if etag := resp.header.Get("ETag"); etag != "" && !strings.HasPrefix(etag, "W/") {
		return etag, nil
	}
	// The server changed what it stores, or keeps no ETag for it: read it.
	obj, found, err := cal.fetch(ctx, step, u)
	if err != nil {
		return "", err
	}
	if !found {
		return "", conflict(step, u, "the event is gone right after it was written")
	}
	return obj.etag, nil
}

// Delete removes the event at old.Ref if it is still at old.ETag. An event
// already gone is no error.
func (cal *Calendar) Delete(ctx context.Context, old calendar.Stored) error {
	const step = "delete"
	u, err := cal.refURL(step, old)
	if err != nil {
		return err
	}
	etag := old.ETag
	if etag == "" {
		// Listed without an ETag: read it, so that the delete removes
		// only the version read, not an edit made since.
		obj, found, err := cal.fetch(ctx, step, u)
		if err != nil {
			return err
		}
		if !found {
			cal.forget(cal.ref(u))
			return nil
		}
		if ev, ok := decodeEvent(obj.data, old.Account); old.Account != "" && (!ok || ev.UID != old.UID) {
			return conflict(step, u, "the event is no longer the one listed")
		}
		etag = obj.etag
	}
	h := http.Header{}
	if etag != "" {
		h.Set("If-Match", etag)
	}
	resp, err := cal.c.do(ctx, request{step: step, method: http.MethodDelete, url: u, header: h, limit: maxErrorBody})
	if err != nil {
		return err
	}
	switch {
	case resp.status == http.StatusPreconditionFailed:
		return conflict(step, u, "the event changed since it was read")
	case resp.status == http.StatusNotFound || resp.status == http.StatusGone:
	case resp.status/100 != 2:
		return cal.c.statusError(step, resp)
	}
	cal.forget(cal.ref(u))
	return nil
}
