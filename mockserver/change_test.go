package mockserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

func june(d int) snapshot.Date { return snapshot.Date{Year: 2019, Month: time.June, Day: d} }

func shiftOn(d snapshot.Date, times, name string) snapshot.Item {
	return snapshot.Item{Date: d, Title: "Ward 4B", Detail: []snapshot.Field{
		snapshot.Text(times), snapshot.Empty, snapshot.Text(name), snapshot.Text("RN")}}
}

// rosterPage logs in as the user and returns the roster page read back.
func rosterPage(t *testing.T, c *client, user, password string) []snapshot.Item {
	t.Helper()
	c.login(user, password)
	page := c.get("/Roster/List?pageNo=1&row=1")
	require.Equal(t, http.StatusOK, page.resp.StatusCode)
	return parseRoster(t, page.body)
}

func TestRosterChangesTakeEffectOnTheNextRequest(t *testing.T) {
	t.Parallel()
	base := []snapshot.Item{shiftOn(june(11), "07:00 - 15:30", "Day Shift"), shiftOn(june(12), "13:00 - 21:30", "Late Shift")}
	s, ts := start(t, mockserver.WithUsers(mockserver.User{Username: "nina", Password: "pw", Roster: base}))
	c := newClient(t, ts, s)
	assert.Equal(t, base, normalize(rosterPage(t, c, "nina", "pw")))

	// Move: new times on the same date.
	require.NoError(t, s.ChangeRoster("NINA", mockserver.RosterChange{Op: mockserver.OpMove, Date: june(11), Times: "09:00 - 17:30"}))
	got := normalize(rosterPage(t, c, "nina", "pw"))
	require.Len(t, got, 2)
	assert.Equal(t, "09:00 - 17:30", got[0].Detail[0].Value)
	assert.Equal(t, base[1], got[1])
	assert.Equal(t, "07:00 - 15:30", base[0].Detail[0].Value, "the caller's roster is not touched")

	// Move to a later date keeps the roster in date order.
	require.NoError(t, s.ChangeRoster("nina", mockserver.RosterChange{Op: mockserver.OpMove, Date: june(11), To: new(june(14))}))
	got = normalize(rosterPage(t, c, "nina", "pw"))
	require.Len(t, got, 2)
	assert.Equal(t, june(12), got[0].Date)
	assert.Equal(t, june(14), got[1].Date)
	assert.Equal(t, "09:00 - 17:30", got[1].Detail[0].Value)

	// Add, warn, remove.
	require.NoError(t, s.ChangeRoster("nina", mockserver.RosterChange{Op: mockserver.OpAdd, Item: new(shiftOn(june(13), "21:30 - 07:30", "Night Shift"))}))
	require.NoError(t, s.ChangeRoster("nina", mockserver.RosterChange{Op: mockserver.OpWarn, Date: june(13), Warning: "NINA: Allocation for overtime"}))
	got = normalize(rosterPage(t, c, "nina", "pw"))
	require.Len(t, got, 3)
	assert.Equal(t, []snapshot.Date{june(12), june(13), june(14)}, []snapshot.Date{got[0].Date, got[1].Date, got[2].Date})
	assert.Equal(t, []string{"NINA: Allocation for overtime"}, got[1].Warnings)
	require.NoError(t, s.ChangeRoster("nina", mockserver.RosterChange{Op: mockserver.OpRemove, Date: june(12)}))
	got, err := s.Roster("nina")
	require.NoError(t, err)
	assert.Len(t, got, 2)
	assert.Equal(t, normalize(got), normalize(rosterPage(t, c, "nina", "pw")))
}

func TestRosterChangeErrors(t *testing.T) {
	t.Parallel()
	s := mockserver.New(mockserver.WithUsers(mockserver.User{Username: "nina", Password: "pw",
		Roster: []snapshot.Item{shiftOn(june(11), "07:00 - 15:30", "Day Shift")}}))
	before, err := s.Roster("nina")
	require.NoError(t, err)
	type change = mockserver.RosterChange
	changing := func(user string, c change) func() error {
		return func() error { return s.ChangeRoster(user, c) }
	}
	for _, tc := range []struct {
		name string
		err  error
		do   func() error
	}{
		{"unknown user", mockserver.ErrNoUser, changing("nobody", change{Op: mockserver.OpRemove, Date: june(11)})},
		{"no shift that day", mockserver.ErrNoShift, changing("nina", change{Op: mockserver.OpRemove, Date: june(12)})},
		{"index past the day's shifts", mockserver.ErrNoShift, changing("nina", change{Op: mockserver.OpWarn, Date: june(11), Index: 1, Warning: "w"})},
		{"move to nowhere", mockserver.ErrBadChange, changing("nina", change{Op: mockserver.OpMove, Date: june(11)})},
		{"empty warning", mockserver.ErrBadChange, changing("nina", change{Op: mockserver.OpWarn, Date: june(11), Warning: " "})},
		{"add without a date", mockserver.ErrBadChange, changing("nina", change{Op: mockserver.OpAdd, Item: &snapshot.Item{Title: "x"}})},
		{"unknown op", mockserver.ErrBadChange, changing("nina", change{Op: "swap", Date: june(11)})},
		{"user without password", mockserver.ErrBadChange, func() error { return s.AddUser(mockserver.User{Username: "x"}) }},
	} {
		assert.ErrorIs(t, tc.do(), tc.err, tc.name)
	}
	after, err := s.Roster("nina")
	require.NoError(t, err)
	assert.Equal(t, before, after, "a failed change changes nothing")
}

// A default user's roster follows the clock until it is changed, and is
// then fixed as it stood.
func TestChangingADefaultUserFixesItsRoster(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := fixedNow
	s := mockserver.New(mockserver.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }))
	first, err := s.Roster(mockserver.DemoUsername)
	require.NoError(t, err)
	assert.Equal(t, mockserver.DemoRoster(fixedNow), first)
	d := first[0].Date
	require.NoError(t, s.ChangeRoster(mockserver.DemoUsername, mockserver.RosterChange{Op: mockserver.OpWarn, Date: d, Warning: "BLOGGS, JOE: Allocation for overtime"}))
	mu.Lock()
	now = now.AddDate(0, 0, 2)
	mu.Unlock()
	got, err := s.Roster(mockserver.DemoUsername)
	require.NoError(t, err)
	assert.Equal(t, d, got[0].Date, "fixed: no longer follows the clock")
	assert.Equal(t, []string{"BLOGGS, JOE: Allocation for overtime"}, got[0].Warnings)
	ann, err := s.Roster("ann.nurse")
	require.NoError(t, err)
	assert.Equal(t, mockserver.DefaultUsers(fixedNow.AddDate(0, 0, 2))[1].Roster, ann, "the other users still follow it")
}

// controlDo sends a control request and returns the status and body.
func controlDo(t *testing.T, ts interface{ Client() *http.Client }, url, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url+path, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestControlEndpoint(t *testing.T) {
	t.Parallel()
	// Faults and latency act on RosterOn's pages, never on the control
	// endpoint, which the request log does not see either.
	s, ts := start(t, mockserver.WithFault(mockserver.FaultProxy403|mockserver.FaultHang))

	code, body := controlDo(t, ts, ts.URL, "PUT", "/_mock/users/nina.e2e",
		`{"password":"pw","name":"NURSE, NINA","roster":[{"date":"2019-06-11","title":"Ward 4B","detail":["07:00 - 15:30",null,"Day Shift","RN"]}]}`)
	require.Equal(t, http.StatusOK, code, body)
	code, body = controlDo(t, ts, ts.URL, "POST", "/_mock/users/nina.e2e/changes",
		`{"op":"move","date":"2019-06-11","times":"09:00 - 17:30"}`)
	require.Equal(t, http.StatusOK, code, body)
	var got struct{ Items []snapshot.Item }
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	require.Len(t, got.Items, 1)
	assert.Equal(t, "09:00 - 17:30", got.Items[0].Detail[0].Value)

	for _, c := range []string{
		`{"op":"add","item":{"date":"2019-06-12","title":"Ward 4B","detail":["21:30 - 07:30",null,"Night Shift","RN"]}}`,
		`{"op":"warn","date":"2019-06-12","warning":"NURSE, NINA: Minimum 10 hours between Allocations"}`,
		`{"op":"move","date":"2019-06-11","to":"2019-06-13"}`,
		`{"op":"remove","date":"2019-06-12","index":0}`,
	} {
		code, body = controlDo(t, ts, ts.URL, "POST", "/_mock/users/nina.e2e/changes", c)
		require.Equal(t, http.StatusOK, code, c+": "+body)
	}
	code, body = controlDo(t, ts, ts.URL, "GET", "/_mock/users/NINA.E2E/roster", "")
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	roster, err := s.Roster("nina.e2e")
	require.NoError(t, err)
	assert.Equal(t, roster, got.Items)
	require.Len(t, roster, 1)
	assert.Equal(t, june(13), roster[0].Date)

	code, body = controlDo(t, ts, ts.URL, "PUT", "/_mock/users/nina.e2e/roster", `{"items":[]}`)
	assert.Equal(t, http.StatusOK, code, body)
	assert.JSONEq(t, `{"items":[]}`, body)

	// Errors say why, with the status that fits.
	for _, tc := range []struct {
		method, path, body string
		code               int
		says               string
	}{
		{"GET", "/_mock/users/nobody/roster", "", http.StatusNotFound, "no such user"},
		{"POST", "/_mock/users/nina.e2e/changes", `{"op":"remove","date":"2019-06-30"}`, http.StatusNotFound, "no such shift"},
		{"POST", "/_mock/users/nina.e2e/changes", `{"op":"swap"}`, http.StatusBadRequest, "unknown op"},
		{"POST", "/_mock/users/nina.e2e/changes", `{"op":"add","colour":"red"}`, http.StatusBadRequest, "unknown field"},
		{"POST", "/_mock/users/nina.e2e/changes", `{"op":"remove","date":"2019-02-30"}`, http.StatusBadRequest, "reading the request body"},
		{"DELETE", "/_mock/users/nina.e2e/roster", "", http.StatusMethodNotAllowed, ""},
		{"GET", "/_mock/nothing", "", http.StatusNotFound, ""},
	} {
		code, body := controlDo(t, ts, ts.URL, tc.method, tc.path, tc.body)
		assert.Equal(t, tc.code, code, "%s %s: %s", tc.method, tc.path, body)
		assert.Contains(t, body, tc.says)
	}
	assert.Empty(t, s.Requests(), "the control endpoint is not in the request log")
}
