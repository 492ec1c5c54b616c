package radicaletest

import (
	"net/http"
	"strings"
	"testing"
)

func TestServer(t *testing.T) {
	s := Start(t, map[string]string{"alice": "pa:ss word"})
	s.MkCalendar("alice", "/alice/cal/", "Rostér")
	if got := s.Collections("alice"); got["/alice/cal/"] != "Rostér" {
		t.Fatalf("Collections = %v", got)
	}
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:a@test\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20261201T090000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	etag := s.Put("alice", "/alice/cal/a.ics", ics)
	if etag == "" {
		t.Fatal("no ETag for a PUT")
	}
	body, etag2 := s.Get("alice", "/alice/cal/a.ics")
	if etag2 != etag || !strings.Contains(body, "UID:a@test") {
		t.Fatalf("GET = %q, %q; want the object at %q", body, etag2, etag)
	}
	if objs := s.Objects("/alice/cal/"); !strings.Contains(objs["a.ics"], "UID:a@test") {
		t.Fatalf("Objects = %v", objs)
	}
	if got := s.Writes(); got != 2 {
		t.Fatalf("Writes = %d, want 2 (MKCALENDAR, PUT); requests %v", got, s.Requests())
	}
	if status, _, _ := s.Do(http.MethodGet, "bob", "/alice/cal/a.ics", nil, ""); status != http.StatusUnauthorized {
		t.Fatalf("an unknown user got HTTP %d", status)
	}
	if strings.Contains(s.Log(), "pa:ss word") {
		t.Fatal("the log holds the password")
	}

	s.Stop()
	if _, err := http.Get(s.URL + "/"); err == nil {
		t.Fatal("a stopped server answered")
	}
	s.Restart()
	if body, _ := s.Get("alice", "/alice/cal/a.ics"); !strings.Contains(body, "UID:a@test") {
		t.Fatalf("after a restart the object is %q", body)
	}
}
