package feed

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The feeds' names, after /TOKEN/.
const (
	ICSName  = "roster.ics"
	JSONName = "roster.json"
	// HealthName is the health endpoint: /healthz, coarse, for anyone;
	// /TOKEN/healthz, in full, for those with the token.
	HealthName = "healthz"
)

// Response headers that say how old the roster served is.
const (
	// HeaderFetched is the last successful fetch of the roster, RFC 3339
	// in UTC.
	HeaderFetched = "X-Roster-Fetched"
	// HeaderAge is how long ago that was, in whole seconds.
	HeaderAge = "X-Roster-Age"
	// HeaderStale is "true" when the last refresh failed (or none has
	// succeeded since the roster was read from the state folder), else
	// "false".
	HeaderStale = "X-Roster-Stale"
)

// retryAfterDefault is Retry-After while no roster exists and no refresh is
// scheduled (the first one is under way).
const retryAfterDefault = 30

// Handler serves f:
//
//   - GET or HEAD /TOKEN/: a page for people, to read the shifts coming up
//     and subscribe from (see WithPublicURL); /TOKEN redirects to it;
//   - GET or HEAD /TOKEN/roster.ics: the iCalendar feed, text/calendar;
//   - GET or HEAD /TOKEN/roster.json: the shifts as JSON;
//   - GET or HEAD /healthz: f.Health() as JSON, coarse fields only (no
//     username, error text or address), with no token needed; 200 while
//     the feed is healthy (Status.Healthy), 503 while it has no roster, its
//     roster is stale or its refreshes have stopped;
//   - GET or HEAD /TOKEN/healthz: the same with f.Status() in full, as the
//     page shows it, the last error included.
//
// Both feeds have a strong ETag (a hash of the body) and Last-Modified
// (when the roster was first fetched), and answer If-None-Match and
// If-Modified-Since with 304; HeaderFetched, HeaderAge and HeaderStale say
// how old the roster is. Before any roster exists they answer 503 with
// Retry-After, never an empty calendar. Any other path, and a wrong token,
// is a plain 404; the token is compared in constant time.
//
// Requests are answered from memory: none ever fetches.
func Handler(f *Feed, token string, opts ...HandlerOption) http.Handler {
	sum := sha256.Sum256([]byte(token))
	h := &handler{feed: f, tokenSum: sum}
	for _, o := range opts {
		if o != nil {
			o(h)
		}
	}
	return h
}

type handler struct {
	feed     *Feed
	tokenSum [sha256.Size]byte
	public   *url.URL // WithPublicURL; nil: the request's Host
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/"+HealthName {
		if !allowed(w, r) {
			return
		}
		h.health(w, r, false)
		return
	}
	tok, name, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	// Hashing first makes the comparison take the same time whatever the
	// length of what was sent.
	sum := sha256.Sum256([]byte(tok))
	good := subtle.ConstantTimeCompare(sum[:], h.tokenSum[:]) == 1
	if good && !ok {
		if !allowed(w, r) {
			return
		}
		// "/TOKEN": the page is "/TOKEN/". Relative, so that it holds
		// behind a proxy that serves the feed under a path of its own.
		w.Header().Set("Location", tok+"/")
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	if !ok || !good || (name != "" && name != ICSName && name != JSONName && name != HealthName) {
		http.NotFound(w, r)
		return
	}
	if !allowed(w, r) {
		return
	}
	if name == "" {
		h.page(w, r, tok)
		return
	}
	if name == HealthName {
		h.health(w, r, true)
		return
	}
	c, stale, next := h.feed.current()
	hd := w.Header()
	hd.Set("Cache-Control", "private, no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	if c == nil {
		retry := retryAfterDefault
		if !next.IsZero() {
			retry = int(math.Ceil(next.Sub(h.feed.now()).Seconds()))
			retry = max(retry, 1)
		}
		hd.Set("Cache-Control", "no-store")
		hd.Set("Retry-After", strconv.Itoa(retry))
		http.Error(w, "no roster yet: the first refresh has not succeeded; try again later", http.StatusServiceUnavailable)
		return
	}
	b, ctype := c.ics, "text/calendar; charset=utf-8"
	if name == JSONName {
		b, ctype = c.json, "application/json"
	} else {
		hd.Set("Content-Disposition", `inline; filename="`+ICSName+`"`)
	}
	hd.Set("Content-Type", ctype)
	hd.Set("ETag", b.etag)
	hd.Set(HeaderFetched, c.fetched.UTC().Format(time.RFC3339))
	age := int64(max(h.feed.now().Sub(c.fetched), 0) / time.Second)
	hd.Set(HeaderAge, strconv.FormatInt(age, 10))
	hd.Set(HeaderStale, strconv.FormatBool(stale))
	// ServeContent answers the conditional requests (If-None-Match
	// first, as RFC 9110 wants), HEAD and ranges.
	http.ServeContent(w, r, name, c.changed, bytes.NewReader(b.data))
}

// allowed answers a method other than GET and HEAD with 405.
func allowed(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// health answers /healthz, and with full, /TOKEN/healthz: 200 while the
// feed is healthy (Status.Healthy), else 503.
func (h *handler) health(w http.ResponseWriter, r *http.Request, full bool) {
	st := h.feed.Status()
	var v any = h.feed.Health()
	if full {
		v = st
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(len(data)+1))
	code := http.StatusOK
	if !st.Healthy() {
		code = http.StatusServiceUnavailable
	}
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(data, '\n'))
	}
}
