// Package googletest is a fake of the few Google Calendar API v3 and
// OAuth 2.0 endpoints that rosteron uses, on a real loopback HTTP server,
// for tests: calendarList.list, calendars.insert, events.list (with
// privateExtendedProperty, iCalUID, showDeleted, maxResults, pageToken),
// events.insert, get, update, patch and delete, and the token endpoint
// (authorization_code with PKCE, refresh_token).
//
// It behaves as Google documents: every resource has an etag that changes
// with it; a write with a stale If-Match is 412; an insert under an
// iCalUID the calendar already has, deleted events included, is 409; a
// deleted event is kept as cancelled, listed only with showDeleted, and
// deleting it again is 410; an update may not lower the sequence; the
// events list's etag and updated change with any event of the calendar.
// An event that ends when it starts, or before, is refused (400
// timeRangeEmpty), as Google does.
// Where Google's documentation says nothing (the exact error for an
// extended property longer than its 1024 characters, which events a page
// holds), it makes a plain choice, said in its comments.
//
// Tests change events "in Google" between syncs with Edit and Put, make
// requests fail with FailNext, and revoke tokens with Revoke.
package googletest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Client credentials of the fake's one OAuth client.
const (
	ClientID     = "rosteron-test.apps.googleusercontent.com"
	ClientSecret = "GOCSPX-fake-client-secret"
)

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	now       func() time.Time
	rev       int64
	cals      []*fakeCalendar
	access    map[string]bool // valid access tokens
	refresh   map[string]bool // refresh tokens, false once revoked
	codes     map[string]grant
	fail      []failure
	requests  []string
	pageSize  int
	minimal   bool
	tokenReqs int
}

type fakeCalendar struct {
	id, summary, timeZone string
	etag                  string
	updated               time.Time
	events                []map[string]any
}

type grant struct {
	redirect, challenge, scope string
}

type failure struct {
	status int
	reason string
}

// New starts a fake; it stops when the test ends.
func New(t interface {
	Cleanup(func())
	Helper()
}) *Server {
	t.Helper()
	s := &Server{
		now:     time.Now,
		access:  map[string]bool{},
		refresh: map[string]bool{},
		codes:   map[string]grant{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the server's base address.
func (s *Server) URL() string { return s.srv.URL }

// Endpoint is the API's base URL, for google.Config.Endpoint.
func (s *Server) Endpoint() string { return s.srv.URL + "/calendar/v3" }

// TokenURL and AuthURL are the OAuth endpoints.
func (s *Server) TokenURL() string { return s.srv.URL + "/token" }
func (s *Server) AuthURL() string  { return s.srv.URL + "/o/oauth2/auth" }

// ClientFile is an OAuth client file, as Google Cloud's "Download JSON"
// gives for a Desktop app, that names the fake's endpoints.
func (s *Server) ClientFile() []byte {
	b, _ := json.Marshal(map[string]any{"installed": map[string]any{
		"client_id":                   ClientID,
		"project_id":                  "rosteron-test",
		"auth_uri":                    s.AuthURL(),
		"token_uri":                   s.TokenURL(),
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_secret":               ClientSecret,
		"redirect_uris":               []string{"http://localhost"},
	}})
	return b
}

// Client returns an HTTP client that sends a valid access token.
func (s *Server) Client() *http.Client {
	s.mu.Lock()
	tok := s.newToken("ya29.")
	s.access[tok] = true
	s.mu.Unlock()
	return &http.Client{Transport: bearer(tok)}
}

type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// RefreshToken issues a refresh token, as if google-auth had run.
func (s *Server) RefreshToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.newToken("1//")
	s.refresh[t] = true
	return t
}

// Revoke revokes every refresh token, as when the person removes the
// app's access or a Testing app's week is over, and every access token.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.refresh {
		s.refresh[t] = false
	}
	clear(s.access)
}

// ExpireAccessTokens makes every access token invalid, so that clients
// refresh theirs.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.access)
}

// TokenRequests counts the requests to the token endpoint.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenReqs
}

// SetPageSize caps every list's page at n items (Google's own caps are
// 250 calendars and 2500 events), to test paging.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// SetMinimalCancelled makes lists return cancelled events with their id,
// status and iCalUID only: Google documents that only the id of a deleted
// event is sure to be there.
func (s *Server) SetMinimalCancelled(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.minimal = on
}

// FailNext makes the next n API requests answer status, with reason
// ("rateLimitExceeded", "backendError") in Google's error JSON.
func (s *Server) FailNext(n, status int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fail = append(s.fail, failure{status, reason})
	}
}

// Requests returns the API requests answered so far, "METHOD /path",
// queries left out.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Writes counts the API requests so far that would change something:
// POST, PUT, PATCH and DELETE.
func (s *Server) Writes() int {
	n := 0
	for _, r := range s.Requests() {
		if !strings.HasPrefix(r, "GET ") {
			n++
		}
	}
	return n
}

// AddCalendar adds a calendar to the list, as the person's own, and
// returns its id.
func (s *Server) AddCalendar(summary, timeZone string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addCalendar(summary, timeZone).id
}

// CalendarID returns the id of the first calendar named summary, or "".
func (s *Server) CalendarID(summary string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.cals {
		if c.summary == summary {
			return c.id
		}
	}
	return ""
}

// Calendars returns the calendars' names, in the list's order.
func (s *Server) Calendars() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.cals {
		out = append(out, c.summary)
	}
	return out
}

// CalendarZone returns the time zone of calendar id.
func (s *Server) CalendarZone(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.calendar(id); c != nil {
		return c.timeZone
	}
	return ""
}

// Events returns copies of calendar cal's events, cancelled ones
// included, in the order they were added.
func (s *Server) Events(cal string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendar(cal)
	if c == nil {
		return nil
	}
	out := make([]map[string]any, 0, len(c.events))
	for _, ev := range c.events {
		out = append(out, clone(ev))
	}
	return out
}

// Put adds ev to calendar cal as Google would store it (ids, etag and
// the rest filled in), as if the person had made it, and returns its id.
func (s *Server) Put(cal string, ev map[string]any) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendar(cal)
	if c == nil {
		return "", fmt.Errorf("googletest: no calendar %s", cal)
	}
	ev = clone(ev)
	if e := s.insert(c, ev); e != nil {
		return "", fmt.Errorf("googletest: %d %s", e.status, e.message)
	}
	return ev["id"].(string), nil
}

// Edit changes event id of calendar cal with fn, as the person would in
// Google Calendar: its etag and the calendar's change.
func (s *Server) Edit(cal, id string, fn func(ev map[string]any)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendar(cal)
	if c == nil {
		return fmt.Errorf("googletest: no calendar %s", cal)
	}
	ev := c.event(id)
	if ev == nil {
		return fmt.Errorf("googletest: no event %s", id)
	}
	fn(ev)
	s.touch(c, ev)
	return nil
}

// --- the HTTP side ---

// apiErr is an error answer in Google's JSON form.
type apiErr struct {
	status  int
	reason  string
	message string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/token":
		s.token(w, r)
		return
	case "/o/oauth2/auth":
		http.Error(w, "googletest: the consent page is Authorize", http.StatusNotImplemented)
		return
	}
	path, ok := strings.CutPrefix(r.URL.EscapedPath(), "/calendar/v3/")
	if !ok {
		writeErr(w, &apiErr{http.StatusNotFound, "notFound", "Not Found"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	if e := s.authorised(r); e != nil {
		writeErr(w, e)
		return
	}
	if len(s.fail) > 0 {
		f := s.fail[0]
		s.fail = s.fail[1:]
		writeErr(w, &apiErr{f.status, f.reason, http.StatusText(f.status)})
		return
	}
	var parts []string
	for _, p := range strings.Split(path, "/") {
		u, err := url.PathUnescape(p)
		if err != nil {
			writeErr(w, &apiErr{http.StatusBadRequest, "invalid", "Bad path"})
			return
		}
		parts = append(parts, u)
	}
	var out any
	var e *apiErr
	switch {
	case len(parts) == 3 && parts[0] == "users" && parts[1] == "me" && parts[2] == "calendarList" && r.Method == http.MethodGet:
		out, e = s.calendarList(r.URL.Query())
	case len(parts) == 1 && parts[0] == "calendars" && r.Method == http.MethodPost:
		out, e = s.calendarsInsert(r)
	case len(parts) == 3 && parts[0] == "calendars" && parts[2] == "events":
		c := s.calendar(parts[1])
		switch {
		case c == nil:
			e = &apiErr{http.StatusNotFound, "notFound", "Not Found"}
		case r.Method == http.MethodGet:
			out, e = s.eventsList(c, r.URL.Query())
		case r.Method == http.MethodPost:
			out, e = s.eventsInsert(c, r)
		default:
			e = &apiErr{http.StatusMethodNotAllowed, "badMethod", "Method not allowed"}
		}
	case len(parts) == 4 && parts[0] == "calendars" && parts[2] == "events":
		c := s.calendar(parts[1])
		if c == nil {
			e = &apiErr{http.StatusNotFound, "notFound", "Not Found"}
			break
		}
		out, e = s.event(c, parts[3], r)
	default:
		e = &apiErr{http.StatusNotFound, "notFound", "Not Found"}
	}
	if e != nil {
		writeErr(w, e)
		return
	}
	if out == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if m, ok := out.(map[string]any); ok {
		if tag, ok := m["etag"].(string); ok {
			w.Header().Set("ETag", tag)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(out)
}

func writeErr(w http.ResponseWriter, e *apiErr) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code":    e.status,
		"message": e.message,
		"errors":  []any{map[string]any{"domain": "global", "reason": e.reason, "message": e.message}},
	}})
}

func (s *Server) authorised(r *http.Request) *apiErr {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && s.access[tok] {
		return nil
	}
	return &apiErr{http.StatusUnauthorized, "authError",
		"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."}
}

func (s *Server) pageLimit(q url.Values, def, most int) int {
	n := def
	if v, err := strconv.Atoi(q.Get("maxResults")); err == nil && v > 0 {
		n = min(v, most)
	}
	if s.pageSize > 0 {
		n = min(n, s.pageSize)
	}
	return n
}

// page returns the items of one page and the next page's token. A token
// is the offset of the page's first item; the fake adds events at the
// end, so pages do not shift while a list is read.
func page[T any](items []T, q url.Values, limit int) ([]T, string, *apiErr) {
	start := 0
	if tok := q.Get("pageToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "p"))
		if err != nil || n < 0 || n > len(items) {
			return nil, "", &apiErr{http.StatusBadRequest, "invalid", "Invalid page token"}
		}
		start = n
	}
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = "p" + strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

func (s *Server) calendarList(q url.Values) (any, *apiErr) {
	items := make([]any, 0, len(s.cals))
	for _, c := range s.cals {
		items = append(items, map[string]any{
			"kind": "calendar#calendarListEntry", "etag": c.etag, "id": c.id,
			"summary": c.summary, "timeZone": c.timeZone, "accessRole": "owner",
		})
	}
	items, next, e := page(items, q, s.pageLimit(q, 100, 250))
	if e != nil {
		return nil, e
	}
	out := map[string]any{"kind": "calendar#calendarList", "etag": s.nextEtag(), "items": items}
	if next != "" {
		out["nextPageToken"] = next
	}
	return out, nil
}

func (s *Server) calendarsInsert(r *http.Request) (any, *apiErr) {
	var body struct {
		Summary  string `json:"summary"`
		TimeZone string `json:"timeZone"`
	}
	if e := readJSON(r, &body); e != nil {
		return nil, e
	}
	if body.Summary == "" {
		return nil, &apiErr{http.StatusBadRequest, "required", "Missing title."}
	}
	if body.TimeZone != "" {
		if _, err := time.LoadLocation(body.TimeZone); err != nil {
			return nil, &apiErr{http.StatusBadRequest, "invalid", "Invalid time zone definition for calendar."}
		}
	} else {
		body.TimeZone = "UTC"
	}
	c := s.addCalendar(body.Summary, body.TimeZone)
	return map[string]any{"kind": "calendar#calendar", "etag": c.etag, "id": c.id, "summary": c.summary, "timeZone": c.timeZone}, nil
}

func (s *Server) addCalendar(summary, tz string) *fakeCalendar {
	c := &fakeCalendar{id: s.newID() + "@group.calendar.google.com", summary: summary, timeZone: tz, etag: s.nextEtag(), updated: s.now()}
	s.cals = append(s.cals, c)
	return c
}

func (s *Server) calendar(id string) *fakeCalendar {
	for _, c := range s.cals {
		if c.id == id {
			return c
		}
	}
	return nil
}

func (c *fakeCalendar) event(id string) map[string]any {
	for _, ev := range c.events {
		if ev["id"] == id {
			return ev
		}
	}
	return nil
}

func (s *Server) eventsList(c *fakeCalendar, q url.Values) (any, *apiErr) {
	var filters [][2]string
	for _, f := range q["privateExtendedProperty"] {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, &apiErr{http.StatusBadRequest, "invalid", "Invalid privateExtendedProperty"}
		}
		filters = append(filters, [2]string{k, v})
	}
	showDeleted := q.Get("showDeleted") == "true"
	uid := q.Get("iCalUID")
	var items []any
	for _, ev := range c.events {
		if !showDeleted && ev["status"] == "cancelled" {
			continue
		}
		if uid != "" && ev["iCalUID"] != uid {
			continue
		}
		priv := privateProps(ev)
		if !slices.ContainsFunc(filters, func(f [2]string) bool { v, ok := priv[f[0]]; return !ok || v != f[1] }) {
			if s.minimal && ev["status"] == "cancelled" {
				items = append(items, map[string]any{"kind": "calendar#event", "etag": ev["etag"], "id": ev["id"], "status": "cancelled", "iCalUID": ev["iCalUID"]})
			} else {
				items = append(items, clone(ev))
			}
		}
	}
	items, next, e := page(items, q, s.pageLimit(q, 250, 2500))
	if e != nil {
		return nil, e
	}
	if items == nil {
		items = []any{}
	}
	out := map[string]any{
		"kind": "calendar#events", "etag": c.etag, "summary": c.summary,
		"updated": c.updated.UTC().Format("2006-01-02T15:04:05.000Z"), "timeZone": c.timeZone,
		"accessRole": "owner", "defaultReminders": []any{}, "items": items,
	}
	if next != "" {
		out["nextPageToken"] = next
	}
	return out, nil
}

func privateProps(ev map[string]any) map[string]any {
	ext, _ := ev["extendedProperties"].(map[string]any)
	p, _ := ext["private"].(map[string]any)
	return p
}

func (s *Server) eventsInsert(c *fakeCalendar, r *http.Request) (any, *apiErr) {
	var ev map[string]any
	if e := readJSON(r, &ev); e != nil {
		return nil, e
	}
	if e := s.insert(c, ev); e != nil {
		return nil, e
	}
	return clone(ev), nil
}

// serverFields are the event's fields that Google keeps whatever a write
// says.
var serverFields = []string{"kind", "id", "etag", "created", "updated", "htmlLink", "creator", "organizer", "iCalUID"}

func (s *Server) insert(c *fakeCalendar, ev map[string]any) *apiErr {
	if uid, ok := ev["iCalUID"].(string); ok && uid != "" {
		for _, old := range c.events {
			if old["iCalUID"] == uid {
				return &apiErr{http.StatusConflict, "duplicate", "The requested identifier already exists."}
			}
		}
	}
	if e := validate(ev, 0); e != nil {
		return e
	}
	id := s.newID()
	now := s.stamp()
	ev["kind"] = "calendar#event"
	ev["id"] = id
	if uid, _ := ev["iCalUID"].(string); uid == "" {
		ev["iCalUID"] = id + "@google.com"
	}
	ev["created"] = now
	ev["htmlLink"] = "https://www.google.com/calendar/event?eid=" + id
	ev["creator"] = map[string]any{"email": "person@example.com", "self": true}
	ev["organizer"] = map[string]any{"email": c.id, "self": true}
	if _, ok := ev["status"]; !ok {
		ev["status"] = "confirmed"
	}
	if _, ok := ev["sequence"]; !ok {
		ev["sequence"] = 0
	}
	if _, ok := ev["reminders"]; !ok {
		ev["reminders"] = map[string]any{"useDefault": true}
	}
	c.events = append(c.events, ev)
	s.touch(c, ev)
	return nil
}

// touch gives ev and its calendar a new etag and updated time.
func (s *Server) touch(c *fakeCalendar, ev map[string]any) {
	ev["etag"] = s.nextEtag()
	ev["updated"] = s.stamp()
	c.etag = s.nextEtag()
	c.updated = s.now()
}

func (s *Server) event(c *fakeCalendar, id string, r *http.Request) (any, *apiErr) {
	ev := c.event(id)
	if ev == nil {
		return nil, &apiErr{http.StatusNotFound, "notFound", "Not Found"}
	}
	if r.Method == http.MethodGet {
		return clone(ev), nil
	}
	if m := r.Header.Get("If-Match"); m != "" && m != ev["etag"] {
		return nil, &apiErr{http.StatusPreconditionFailed, "conditionNotMet", "Precondition Failed"}
	}
	switch r.Method {
	case http.MethodDelete:
		if ev["status"] == "cancelled" {
			return nil, &apiErr{http.StatusGone, "deleted", "Resource has been deleted"}
		}
		ev["status"] = "cancelled"
		s.touch(c, ev)
		return nil, nil
	case http.MethodPut, http.MethodPatch:
		var body map[string]any
		if e := readJSON(r, &body); e != nil {
			return nil, e
		}
		if uid, ok := body["iCalUID"]; ok && uid != ev["iCalUID"] {
			return nil, &apiErr{http.StatusBadRequest, "invalid", "Invalid iCalUID value: it cannot be changed."}
		}
		next := body
		if r.Method == http.MethodPatch {
			next = merge(clone(ev), body)
		}
		for _, f := range serverFields {
			if v, ok := ev[f]; ok {
				next[f] = v
			}
		}
		if _, ok := next["status"]; !ok {
			next["status"] = "confirmed"
		}
		if _, ok := next["sequence"]; !ok {
			next["sequence"] = ev["sequence"]
		}
		if e := validate(next, number(ev["sequence"])); e != nil {
			return nil, e
		}
		clear(ev)
		for k, v := range next {
			ev[k] = v
		}
		s.touch(c, ev)
		return clone(ev), nil
	}
	return nil, &apiErr{http.StatusMethodNotAllowed, "badMethod", "Method not allowed"}
}

// merge applies a patch as Google's patch semantics do: objects merge,
// null removes, anything else (arrays included) replaces.
func merge(dst, patch map[string]any) map[string]any {
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(dst, k)
		case map[string]any:
			dv, _ := dst[k].(map[string]any)
			if dv == nil {
				dv = map[string]any{}
			}
			dst[k] = merge(dv, pv)
		default:
			dst[k] = v
		}
	}
	return dst
}

// validate checks an event as Google would before storing it.
func validate(ev map[string]any, curSeq int) *apiErr {
	bad := func(reason, msg string) *apiErr { return &apiErr{http.StatusBadRequest, reason, msg} }
	start, e1 := eventTime(ev["start"])
	end, e2 := eventTime(ev["end"])
	switch {
	case ev["start"] == nil:
		return bad("required", "Missing start time.")
	case ev["end"] == nil:
		return bad("required", "Missing end time.")
	case e1 != nil:
		return e1
	case e2 != nil:
		return e2
	case start.allDay != end.allDay:
		return bad("invalid", "Start and end times must either both be date or both be dateTime.")
	case !end.t.After(start.t):
		return bad("timeRangeEmpty", "The specified time range is empty.")
	}
	if seq := number(ev["sequence"]); seq < curSeq || seq < 0 {
		return bad("invalid", "Invalid sequence value. The specified sequence number is below the current sequence number of the resource.")
	}
	switch ev["status"] {
	case nil, "confirmed", "tentative", "cancelled":
	default:
		return bad("invalid", "Invalid status value.")
	}
	switch ev["transparency"] {
	case nil, "opaque", "transparent":
	default:
		return bad("invalid", "Invalid transparency value.")
	}
	if rem, ok := ev["reminders"].(map[string]any); ok {
		ov, _ := rem["overrides"].([]any)
		if len(ov) > 5 {
			return bad("cannotUseMoreThan5Reminders", "Cannot specify more than 5 override reminders.")
		}
		if rem["useDefault"] == true && len(ov) > 0 {
			return bad("cannotUseDefaultRemindersAndSpecifyOverride", "Cannot specify both default reminders and overrides at the same time.")
		}
		for _, o := range ov {
			m, _ := o.(map[string]any)
			mins := number(m["minutes"])
			if (m["method"] != "popup" && m["method"] != "email") || mins < 0 || mins > 40320 {
				return bad("invalid", "Invalid reminder.")
			}
		}
	}
	ext, _ := ev["extendedProperties"].(map[string]any)
	for _, kind := range []string{"private", "shared"} {
		props, _ := ext[kind].(map[string]any)
		for k, v := range props {
			sv, _ := v.(string)
			// Google documents the limits (44 characters a key, 1024 a
			// value) but not its answer past them: the fake refuses.
			if utf8.RuneCountInString(k) > 44 || utf8.RuneCountInString(sv) > 1024 {
				return bad("invalid", "Extended property "+k+" is too long.")
			}
		}
	}
	return nil
}

type instant struct {
	t      time.Time
	allDay bool
}

func eventTime(v any) (instant, *apiErr) {
	m, _ := v.(map[string]any)
	bad := &apiErr{http.StatusBadRequest, "invalid", "Invalid start or end time."}
	if m == nil {
		return instant{}, nil
	}
	if d, ok := m["date"].(string); ok && d != "" {
		t, err := time.Parse("2006-01-02", d)
		if err != nil {
			return instant{}, bad
		}
		return instant{t, true}, nil
	}
	dt, _ := m["dateTime"].(string)
	if t, err := time.Parse(time.RFC3339Nano, dt); err == nil {
		if tz, _ := m["timeZone"].(string); tz != "" {
			if _, err := time.LoadLocation(tz); err != nil {
				return instant{}, &apiErr{http.StatusBadRequest, "timeZoneInvalid", "Invalid time zone definition for start time."}
			}
		}
		return instant{t: t}, nil
	}
	tz, _ := m["timeZone"].(string)
	loc, err := time.LoadLocation(tz)
	if tz == "" || err != nil {
		// A time without an offset needs a zone.
		return instant{}, &apiErr{http.StatusBadRequest, "timeRangeEmpty", "Missing time zone definition for start time."}
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", dt, loc)
	if err != nil {
		return instant{}, bad
	}
	return instant{t: t}, nil
}

func number(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

func readJSON(r *http.Request, v any) *apiErr {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(data, v) != nil {
		return &apiErr{http.StatusBadRequest, "parseError", "Parse Error"}
	}
	return nil
}

// clone deep-copies a JSON value.
func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func (s *Server) nextEtag() string {
	s.rev++
	return `"` + strconv.FormatInt(3180000000000000+s.rev, 10) + `"`
}

func (s *Server) stamp() string { return s.now().UTC().Format("2006-01-02T15:04:05.000Z") }

// newID makes an event or calendar id of Google's alphabet, base32hex in
// lower case.
func (s *Server) newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	const alphabet = "0123456789abcdefghijklmnopqrstuv"
	var out [26]byte
	for i := range out {
		out[i] = alphabet[int(b[i%16]>>(i/16*3))%32]
	}
	return string(out[:])
}

func (s *Server) newToken(prefix string) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// --- OAuth ---

// Authorize plays the person at Google's consent page: given the address
// rosteron printed, it checks the request (client, loopback redirect,
// PKCE, scope, state) and returns where Google would send the browser
// back, with a code and the state. A test then GETs that address, as the
// browser would.
func (s *Server) Authorize(authURL string) (string, error) {
	q, redirect, err := s.consent(authURL)
	if err != nil {
		return "", err
	}
	code := s.newToken("4/")
	s.mu.Lock()
	s.codes[code] = grant{redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), scope: q.Get("scope")}
	s.mu.Unlock()
	v := url.Values{"state": {q.Get("state")}, "code": {code}, "scope": {q.Get("scope")}}
	return redirect + "?" + v.Encode(), nil
}

// Deny plays the person refusing access: the redirect carries
// error=access_denied.
func (s *Server) Deny(authURL string) (string, error) {
	q, redirect, err := s.consent(authURL)
	if err != nil {
		return "", err
	}
	return redirect + "?" + url.Values{"state": {q.Get("state")}, "error": {"access_denied"}}.Encode(), nil
}

func (s *Server) consent(authURL string) (url.Values, string, error) {
	u, err := url.Parse(authURL)
	if err != nil || !strings.HasPrefix(authURL, s.AuthURL()+"?") {
		return nil, "", fmt.Errorf("googletest: %q is not the fake's consent page", authURL)
	}
	q := u.Query()
	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	switch {
	case q.Get("client_id") != ClientID:
		return nil, "", fmt.Errorf("googletest: unknown client_id %q", q.Get("client_id"))
	case q.Get("response_type") != "code":
		return nil, "", fmt.Errorf("googletest: response_type %q, want code", q.Get("response_type"))
	case err != nil || ru.Scheme != "http" || (ru.Hostname() != "127.0.0.1" && ru.Hostname() != "::1" && ru.Hostname() != "localhost"):
		return nil, "", fmt.Errorf("googletest: redirect_uri %q is not a loopback address", redirect)
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		return nil, "", fmt.Errorf("googletest: no S256 code_challenge (PKCE)")
	case q.Get("scope") == "":
		return nil, "", fmt.Errorf("googletest: no scope")
	case q.Get("state") == "":
		return nil, "", fmt.Errorf("googletest: no state")
	}
	return q, redirect, nil
}

// token is the token endpoint.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenReqs++
	oauthErr := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		oauthErr(http.StatusBadRequest, "invalid_request", "Bad Request")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != ClientID || secret != ClientSecret {
		oauthErr(http.StatusUnauthorized, "invalid_client", "Unauthorized")
		return
	}
	out := map[string]any{"token_type": "Bearer", "expires_in": 3599}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		g, ok := s.codes[code]
		delete(s.codes, code) // a code is good once
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case !ok:
			oauthErr(http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
			return
		case r.PostForm.Get("redirect_uri") != g.redirect:
			oauthErr(http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request")
			return
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			oauthErr(http.StatusBadRequest, "invalid_grant", "Invalid code verifier.")
			return
		}
		rt := s.newToken("1//")
		s.refresh[rt] = true
		out["refresh_token"] = rt
		out["scope"] = g.scope
	case "refresh_token":
		if !s.refresh[r.PostForm.Get("refresh_token")] {
			oauthErr(http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
			return
		}
		out["scope"] = "https://www.googleapis.com/auth/calendar.app.created"
	default:
		oauthErr(http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+r.PostForm.Get("grant_type"))
		return
	}
	at := s.newToken("ya29.")
	s.access[at] = true
	out["access_token"] = at
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}
