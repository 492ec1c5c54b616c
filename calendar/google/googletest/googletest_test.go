package googletest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar/google/googletest"
)

type call struct {
	t      *testing.T
	client *http.Client
	base   string
}

// do sends a request and returns the status, the ETag header and the
// JSON answer.
func (c call) do(method, path string, body any, ifMatch string) (int, string, map[string]any) {
	c.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := c.client.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header.Get("ETag"), out
}

func reason(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	errs, _ := e["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].(map[string]any)["reason"].(string)
}

func TestFakeBehavesAsDocumented(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := call{t, fake.Client(), fake.Endpoint()}

	status, _, _ := call{t, http.DefaultClient, fake.Endpoint()}.do("GET", "/users/me/calendarList", nil, "")
	assert.Equal(t, http.StatusUnauthorized, status, "no token")

	status, _, cal := c.do("POST", "/calendars", map[string]any{"summary": "Roster", "timeZone": "Australia/Melbourne"}, "")
	require.Equal(t, http.StatusOK, status)
	events := "/calendars/" + url.PathEscape(cal["id"].(string)) + "/events"

	ev := map[string]any{
		"iCalUID": "a@rosteron", "summary": "Early",
		"start":              map[string]any{"dateTime": "2026-12-02T07:00:00+11:00"},
		"end":                map[string]any{"dateTime": "2026-12-02T15:00:00+11:00"},
		"extendedProperties": map[string]any{"private": map[string]any{"account": "joe"}},
	}
	status, etag, got := c.do("POST", events, ev, "")
	require.Equal(t, http.StatusOK, status)
	id := got["id"].(string)
	assert.Equal(t, got["etag"], etag)
	assert.Equal(t, "confirmed", got["status"])
	assert.Equal(t, float64(0), got["sequence"])

	status, _, got = c.do("POST", events, ev, "")
	assert.Equal(t, http.StatusConflict, status, "the same iCalUID")
	assert.Equal(t, "duplicate", reason(got))

	bad := map[string]any{"start": ev["start"], "end": map[string]any{"dateTime": "2026-12-02T06:00:00+11:00"}}
	status, _, got = c.do("POST", events, bad, "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "timeRangeEmpty", reason(got))
	empty := map[string]any{"start": ev["start"], "end": ev["start"]}
	status, _, got = c.do("POST", events, empty, "")
	assert.Equal(t, http.StatusBadRequest, status, "an event that ends when it starts")
	assert.Equal(t, "timeRangeEmpty", reason(got))

	long := map[string]any{"start": ev["start"], "end": ev["end"], "extendedProperties": map[string]any{"private": map[string]any{"x": string(bytes.Repeat([]byte("a"), 1025))}}}
	status, _, _ = c.do("POST", events, long, "")
	assert.Equal(t, http.StatusBadRequest, status, "a property value past 1024 characters")

	// Patch merges objects, update replaces; a stale If-Match is 412; the
	// sequence may not go down.
	status, etag2, got := c.do("PATCH", events+"/"+id, map[string]any{"colorId": "5", "sequence": 2,
		"extendedProperties": map[string]any{"private": map[string]any{"note": "x"}}}, etag)
	require.Equal(t, http.StatusOK, status)
	assert.NotEqual(t, etag, etag2)
	assert.Equal(t, map[string]any{"account": "joe", "note": "x"}, got["extendedProperties"].(map[string]any)["private"])
	assert.Equal(t, "Early", got["summary"])
	status, _, got = c.do("PUT", events+"/"+id, ev, etag)
	assert.Equal(t, http.StatusPreconditionFailed, status)
	assert.Equal(t, "conditionNotMet", reason(got))
	status, _, _ = c.do("PUT", events+"/"+id, map[string]any{"start": ev["start"], "end": ev["end"], "sequence": 1}, etag2)
	assert.Equal(t, http.StatusBadRequest, status, "the sequence went down")
	status, etag3, got := c.do("PUT", events+"/"+id, map[string]any{"start": ev["start"], "end": ev["end"], "sequence": 2}, etag2)
	require.Equal(t, http.StatusOK, status)
	assert.Nil(t, got["colorId"], "update replaces the event")
	assert.Equal(t, "a@rosteron", got["iCalUID"], "and keeps its iCalUID")

	// The list's etag changes with its events; deleted events stay,
	// cancelled, listed with showDeleted only; deleting again is 410.
	_, _, list := c.do("GET", events+"?privateExtendedProperty="+url.QueryEscape("account=joe"), nil, "")
	assert.Empty(t, list["items"], "the update dropped the property")
	_, _, list = c.do("GET", events, nil, "")
	listTag := list["etag"]
	require.Len(t, list["items"], 1)
	status, _, _ = c.do("DELETE", events+"/"+id, nil, etag2)
	assert.Equal(t, http.StatusPreconditionFailed, status)
	status, _, _ = c.do("DELETE", events+"/"+id, nil, etag3)
	assert.Equal(t, http.StatusNoContent, status)
	_, _, list = c.do("GET", events, nil, "")
	assert.Empty(t, list["items"])
	assert.NotEqual(t, listTag, list["etag"])
	_, _, list = c.do("GET", events+"?showDeleted=true", nil, "")
	require.Len(t, list["items"], 1)
	assert.Equal(t, "cancelled", list["items"].([]any)[0].(map[string]any)["status"])
	status, _, got = c.do("DELETE", events+"/"+id, nil, "")
	assert.Equal(t, http.StatusGone, status)
	assert.Equal(t, "deleted", reason(got))
	status, _, _ = c.do("POST", events, ev, "")
	assert.Equal(t, http.StatusConflict, status, "a deleted event's iCalUID is still taken")

	fake.FailNext(1, http.StatusServiceUnavailable, "backendError")
	status, _, got = c.do("GET", events, nil, "")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "backendError", reason(got))
}
