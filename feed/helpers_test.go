package feed

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

const (
	testToken    = "tok-0123456789abcdefghijkl"
	testPassword = "s3cret-Pa55word"
)

// clock is a settable clock for a Feed.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 4, 1, 8, 3, 12, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func roster(titles ...string) []snapshot.Item {
	var items []snapshot.Item
	d := snapshot.Date{Year: 2026, Month: time.April, Day: 4}
	for i, title := range titles {
		items = append(items, snapshot.Item{
			Date:   d.AddDays(i),
			Title:  title,
			Detail: []snapshot.Field{snapshot.Text("07:00 - 15:30"), snapshot.Empty, snapshot.Text("Day Shift"), snapshot.Text("RN")},
		})
	}
	return items
}

func snap(t time.Time, titles ...string) *snapshot.Snapshot {
	return &snapshot.Snapshot{Time: t, Items: roster(titles...)}
}

// get makes one request of h and returns the recorded response.
func get(h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func newTestFeed(t *testing.T, opts ...Option) (*Feed, *clock) {
	t.Helper()
	c := newClock()
	opts = append([]Option{WithClock(c.Now), WithSecrets(testPassword)}, opts...)
	return New(opts...), c
}
