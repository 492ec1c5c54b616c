package browser

import (
	"crypto/sha256"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The shared cache keeps static scripts and stylesheets for every tab of a
// browser. Each tab has a browser context of its own, and so an HTTP cache
// of its own that starts empty: without this, a hundred sessions download
// the same jQuery a hundred times. Only what a shared HTTP cache may keep
// (RFC 9111) and what cannot go stale while the browser runs is kept: a
// 200 answer to a GET, without Set-Cookie, not private, no-store or
// no-cache, that varies at most by Accept-Encoding, and whose URL carries a
// version digest (?v=…, as ASP.NET bundles have) or whose freshness
// lifetime is at least a day. Bodies are stored once per content
// (content-addressed), however many URLs serve them.

// cacheableTypes are the resource types the shared cache serves.
var cacheableTypes = []network.ResourceType{network.ResourceTypeScript, network.ResourceTypeStylesheet}

const (
	minFreshness    = 24 * time.Hour
	maxCacheEntry   = 8 << 20
	defaultCacheMax = 64 << 20
)

type staticCache struct {
	max int

	mu     sync.Mutex
	urls   map[string]*cacheEntry
	bodies map[[sha256.Size]byte]*cacheBody
	order  []string // URLs, oldest first, for eviction
	size   int      // bytes of bodies held
	// skip holds URLs seen not to be cacheable, so that their responses
	// are not paused again.
	skip map[string]bool

	hits, misses int
}

type cacheEntry struct {
	status  int64
	headers []*fetch.HeaderEntry
	digest  [sha256.Size]byte
	expires time.Time // zero: as long as the browser runs
}

type cacheBody struct {
	data []byte
	refs int
}

func newStaticCache(max int) *staticCache {
	return &staticCache{
		max:    max,
		urls:   map[string]*cacheEntry{},
		bodies: map[[sha256.Size]byte]*cacheBody{},
		skip:   map[string]bool{},
	}
}

// CacheStats reports how many script and style requests the browser's
// shared cache answered and how many went to the network, for benchmarks.
func (b *Browser) CacheStats() (hits, misses int) {
	if b.cache == nil {
		return 0, 0
	}
	b.cache.mu.Lock()
	defer b.cache.mu.Unlock()
	return b.cache.hits, b.cache.misses
}

func (c *staticCache) lookup(u string, now time.Time) (*cacheEntry, []byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.urls[u]
	if ok && !e.expires.IsZero() && now.After(e.expires) {
		c.dropLocked(u)
		ok = false
	}
	if !ok {
		c.misses++
		return nil, nil, false
	}
	c.hits++
	return e, c.bodies[e.digest].data, true
}

// wants reports whether a response for u may be worth storing.
func (c *staticCache) wants(u string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, have := c.urls[u]
	return !have && !c.skip[u]
}

func (c *staticCache) refuse(u string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.skip) >= 4096 {
		clear(c.skip)
	}
	c.skip[u] = true
}

func (c *staticCache) store(u string, e *cacheEntry, body []byte) {
	if len(body) > maxCacheEntry || len(body) > c.max {
		c.refuse(u)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, have := c.urls[u]; have {
		return
	}
	e.digest = sha256.Sum256(body)
	if b, ok := c.bodies[e.digest]; ok {
		b.refs++
	} else {
		c.bodies[e.digest] = &cacheBody{data: body, refs: 1}
		c.size += len(body)
	}
	c.urls[u] = e
	c.order = append(c.order, u)
	for c.size > c.max && len(c.order) > 0 {
		c.dropLocked(c.order[0])
	}
}

func (c *staticCache) dropLocked(u string) {
	e, ok := c.urls[u]
	if !ok {
		return
	}
	delete(c.urls, u)
	for i, v := range c.order {
		if v == u {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	if b := c.bodies[e.digest]; b != nil {
		b.refs--
		if b.refs == 0 {
			delete(c.bodies, e.digest)
			c.size -= len(b.data)
		}
	}
}

// serveFromCache answers a paused script or style request from the shared
// cache, or lets it go to the network, asking to see its response when it
// may be worth keeping.
func (t *Tab) serveFromCache(ev *fetch.EventRequestPaused) {
	c := t.b.cache
	if c == nil || ev.Request == nil || ev.Request.Method != http.MethodGet {
		t.resume(ev)
		return
	}
	u := ev.Request.URL
	if e, body, ok := c.lookup(u, time.Now()); ok {
		_, err := chromedp.Call(t.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
			RequestID:       ev.RequestID,
			ResponseCode:    e.status,
			ResponseHeaders: e.headers,
			Body:            body,
		})
		if err == nil {
			return
		}
	}
	see := c.wants(u)
	_, _ = chromedp.Call(t.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID, InterceptResponse: &see})
}

// fillCache keeps a paused script or style response in the shared cache
// when it may be kept, and lets it go on.
func (t *Tab) fillCache(ev *fetch.EventRequestPaused) {
	c := t.b.cache
	if c == nil || ev.Request == nil || ev.ResponseErrorReason != "" {
		t.resume(ev)
		return
	}
	u := ev.Request.URL
	e, ok := cacheable(u, ev.ResponseStatusCode, ev.ResponseHeaders, time.Now())
	if !ok {
		c.refuse(u)
		t.resume(ev)
		return
	}
	res, err := chromedp.Call(t.ctx, fetch.GetResponseBody, fetch.GetResponseBodyParams{RequestID: ev.RequestID})
	if err == nil {
		c.store(u, e, res.Body)
	}
	t.resume(ev)
}

// cacheable decides whether a response may be kept, and for how long.
func cacheable(rawURL string, status int64, headers []*fetch.HeaderEntry, now time.Time) (*cacheEntry, bool) {
	if status != http.StatusOK {
		return nil, false
	}
	h := http.Header{}
	for _, e := range headers {
		h.Add(e.Name, e.Value)
	}
	if len(h.Values("Set-Cookie")) > 0 {
		return nil, false
	}
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" && !strings.EqualFold(f, "Accept-Encoding") {
				return nil, false
			}
		}
	}
	directives := map[string]string{}
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			directives[strings.ToLower(name)] = strings.Trim(val, `"`)
		}
	}
	for _, no := range []string{"no-store", "private", "no-cache"} {
		if _, ok := directives[no]; ok {
			return nil, false
		}
	}
	e := &cacheEntry{status: status}
	for _, x := range headers {
		// The body is stored decoded and served whole.
		switch strings.ToLower(x.Name) {
		case "content-encoding", "content-length", "transfer-encoding":
			continue
		}
		e.headers = append(e.headers, &fetch.HeaderEntry{Name: x.Name, Value: x.Value})
	}
	if versioned(rawURL) {
		return e, true
	}
	life, ok := freshness(h, directives, now)
	if !ok || life < minFreshness {
		return nil, false
	}
	e.expires = now.Add(life)
	return e, true
}

// versioned reports whether the URL's query carries a version digest, as
// in ?v=GfvPWbexY0Hcv3tbnmYG9di9DwVO52xMdM27J6KvvjQ1: a value of at least
// eight letters, digits, '-' or '_' under the name v.
func versioned(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	for _, v := range u.Query()["v"] {
		if len(v) < 8 {
			continue
		}
		ok := true
		for _, r := range v {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// freshness is the response's freshness lifetime for a shared cache:
// s-maxage, else max-age, else Expires less Date.
func freshness(h http.Header, directives map[string]string, now time.Time) (time.Duration, bool) {
	for _, name := range []string{"s-maxage", "max-age"} {
		if v, ok := directives[name]; ok {
			secs, err := strconv.ParseInt(v, 10, 64)
			if err != nil || secs < 0 {
				return 0, false
			}
			return time.Duration(min(secs, int64(365*24*3600))) * time.Second, true
		}
	}
	exp := h.Get("Expires")
	if exp == "" {
		return 0, false
	}
	expires, err := http.ParseTime(exp)
	if err != nil {
		return 0, false
	}
	date := now
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		date = d
	}
	return expires.Sub(date), true
}
