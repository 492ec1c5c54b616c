package browser

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/stretchr/testify/assert"
)

func headers(kv ...string) []*fetch.HeaderEntry {
	var out []*fetch.HeaderEntry
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, &fetch.HeaderEntry{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestCacheableKeepsOnlyWhatCannotGoStale(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	date := now.Format(http.TimeFormat)
	versioned := "https://r.example/Mobile/bundles/jquery?v=GfvPWbexY0Hcv3tbnmYG9di9DwVO52xMdM27J6KvvjQ1"
	plain := "https://r.example/Mobile/Scripts/jquery-migrate-1.1.1.js"
	tests := []struct {
		name    string
		url     string
		status  int64
		headers []*fetch.HeaderEntry
		keep    bool
		expires time.Time
	}{
		{"a bundle, as ASP.NET sends it", versioned, 200, headers("Cache-Control", "public", "Expires", now.AddDate(1, 0, 0).Format(http.TimeFormat), "Date", date, "Vary", "Accept-Encoding"), true, time.Time{}},
		{"a versioned URL with no cache headers", versioned, 200, headers("Content-Type", "text/javascript"), true, time.Time{}},
		{"a static file with only an ETag", plain, 200, headers("ETag", `"1"`, "Last-Modified", date), false, time.Time{}},
		{"a day's max-age", plain, 200, headers("Cache-Control", "public, max-age=86400"), true, now.Add(24 * time.Hour)},
		{"an hour's max-age", plain, 200, headers("Cache-Control", "max-age=3600"), false, time.Time{}},
		{"s-maxage wins over max-age", plain, 200, headers("Cache-Control", "max-age=60, s-maxage=172800"), true, now.Add(48 * time.Hour)},
		{"a week's Expires", plain, 200, headers("Expires", now.AddDate(0, 0, 7).Format(http.TimeFormat), "Date", date), true, now.AddDate(0, 0, 7)},
		{"private", versioned, 200, headers("Cache-Control", "private, max-age=31536000"), false, time.Time{}},
		{"no-store", versioned, 200, headers("Cache-Control", "no-store"), false, time.Time{}},
		{"no-cache", versioned, 200, headers("cache-control", "No-Cache"), false, time.Time{}},
		{"a cookie", versioned, 200, headers("Set-Cookie", "a=b"), false, time.Time{}},
		{"varies by cookie", versioned, 200, headers("Vary", "Accept-Encoding, Cookie"), false, time.Time{}},
		{"not a 200", versioned, 404, headers("Cache-Control", "public"), false, time.Time{}},
		{"a short v", "https://r.example/a.js?v=3", 200, nil, false, time.Time{}},
		{"a v with other characters", "https://r.example/a.js?v=1.2.3-beta+x", 200, nil, false, time.Time{}},
		{"a bad max-age", plain, 200, headers("Cache-Control", "max-age=soon"), false, time.Time{}},
	}
	for _, tt := range tests {
		e, ok := cacheable(tt.url, tt.status, tt.headers, now)
		assert.Equal(t, tt.keep, ok, tt.name)
		if ok {
			assert.Equal(t, tt.expires, e.expires, tt.name)
		}
	}

	e, ok := cacheable(versioned, 200, headers("Content-Type", "text/javascript", "Content-Encoding", "gzip", "Content-Length", "10"), now)
	assert.True(t, ok)
	assert.Equal(t, headers("Content-Type", "text/javascript"), e.headers, "the body is kept decoded, so its encoding and length go")
}

func TestStaticCacheStoresEachContentOnceAndStaysWithinItsSize(t *testing.T) {
	t.Parallel()
	now := time.Now()
	c := newStaticCache(10)
	c.store("a", &cacheEntry{status: 200}, []byte("123456"))
	c.store("b", &cacheEntry{status: 200}, []byte("123456"))
	assert.Equal(t, 6, c.size, "one body for two URLs with the same content")
	_, body, ok := c.lookup("b", now)
	assert.True(t, ok)
	assert.Equal(t, "123456", string(body))

	c.store("c", &cacheEntry{status: 200}, []byte("abcdef"))
	assert.LessOrEqual(t, c.size, 10)
	_, _, ok = c.lookup("a", now)
	assert.False(t, ok, "the oldest went first")
	_, _, ok = c.lookup("c", now)
	assert.True(t, ok)

	c.store("big", &cacheEntry{status: 200}, []byte("far too big for it"))
	assert.False(t, c.wants("big"), "what cannot fit is not asked for again")

	c.store("old", &cacheEntry{status: 200, expires: now.Add(-time.Second)}, []byte("x"))
	_, _, ok = c.lookup("old", now)
	assert.False(t, ok, "an expired entry is not served")
}
