// Package join serves the self-service pages of a multi-account rosteron
// serve: /join, where a colleague signs up with their RosterOn username and
// password and gets their page's address once, and /manage/, where they
// manage their account with a second secret that is never in a feed
// address.
//
// The pages are plain HTML forms, with no script at all: their
// Content-Security-Policy allows none, their style is inline by its hash
// and their QR code a data: URI, and forms may post only to this origin.
// Every POST is checked twice against cross-site forgery (net/http's
// CrossOriginProtection, and a token in the form that is the HMAC of a
// random value in a cookie), and the ones that can reach RosterOn or guess
// a secret are rate limited, per client address, per username and per
// account, before anything else is done with them (see Limits). A join
// for a username that has an account already never reaches RosterOn: its
// password is compared with the saved one.
package join

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rosteron/rosteron/internal/netguard"
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/store"
)

// Service is what the pages tell of a change to an account, so that it is
// refreshed, served or stopped at once: *service.Service has these
// methods.
type Service interface {
	Reload(ctx context.Context, id store.ID) error
	Remove(id store.ID)
	// Verified tells that the account's password was just checked with
	// one real login: any lock-out stop kept for it is lifted (the
	// account starts afresh, as with a new password) and it is reloaded.
	Verified(ctx context.Context, id store.ID) error
}

// ErrBusy is matched by a CheckFunc's error when no login can be made
// now without going past the service's limits (its sessions on the
// instance, its logins' gap): the page answers 503 with Retry-After
// rather than queueing.
var ErrBusy = errors.New("join: no place to check a login now; try again shortly")

// CheckFunc tries one login with the credentials, to check them before an
// account is saved or its password replaced. Its errors are the session's
// (session.ErrCredentials for a rejected password).
type CheckFunc func(ctx context.Context, instance, username, password string) error

// Config is the pages' configuration.
type Config struct {
	Store   store.Store
	Service Service
	Check   CheckFunc
	// Instances are the RosterOn instances people may join with,
	// normalized (session.NormalizeURL); at least one.
	Instances []string
	// Code, when set, is the invite code the join form asks for.
	Code string
	// PublicURL is where people reach the service: an https address,
	// unless it is loopback. The pages' links, forms and cookies are under
	// its path, for a reverse proxy that serves the service below one
	// (and strips it before passing requests on).
	PublicURL *url.URL
	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Log gets a line per join, change and refusal; never a password or a
	// secret.
	Log io.Writer

	// Limiter counts the rate-limited attempts; nil for a MemoryLimiter,
	// or for the store's (NewStoreLimiter) with SharedLimits.
	Limiter Limiter
	// SharedLimits counts the attempts in Store (a StoreLimiter) when
	// Limiter is nil, so that every server on one database shares the
	// counts: for many replicas behind one load balancer.
	SharedLimits bool
	// Limits are the rate limits; a zero Limit takes DefaultLimits'.
	Limits Limits
	// Now is the clock of the manage sessions' expiry and of the
	// MemoryLimiter made when Limiter is nil; nil for time.Now.
	Now func() time.Time
}

// PausedByOwner is the reason an account's owner pauses it with: only
// such a pause can its owner resume. A pause whose reason does not begin
// "paused by" (the owner's or the operator's) is taken for the service's
// own after a rejected password, and a password update that RosterOn
// accepts resumes it.
const PausedByOwner = "paused by its owner"

// Sizes of what the forms take.
const (
	maxBody     = 16 << 10
	maxUsername = 128
	maxPassword = 256
	maxSecret   = 200
	maxURL      = 500
)

// handler serves the pages.
type handler struct {
	cfg       Config
	public    string // the public URL, without a trailing slash
	base      string // its path, without a trailing slash
	csrf      *csrf
	sess      *sessions
	limiter   Limiter
	limits    Limits
	now       func() time.Time
	log       *logger
	instances map[string]bool
	codeSum   [32]byte
}

// New returns the handler of /join and /manage/ (and of every path under
// /manage/). It reads, or makes, the service's secrets of the pages in the
// store ("csrf" and "manage-cookie"), so the store needs its key.
func New(cfg Config) (http.Handler, error) {
	if cfg.Store == nil || cfg.Service == nil || cfg.Check == nil {
		return nil, errors.New("join: the pages need a store, a service and a login check")
	}
	if len(cfg.Instances) == 0 {
		return nil, errors.New("join: no RosterOn instance to join with: allow at least one")
	}
	instances := make(map[string]bool, len(cfg.Instances))
	for _, in := range cfg.Instances {
		u, err := url.Parse(in)
		if in == "" || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, fmt.Errorf("join: instance %d of %d is not an http or https URL", len(instances)+1, len(cfg.Instances))
		}
		instances[in] = true
	}
	pub, err := checkPublicURL(cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	secret := func(name string) ([]byte, error) {
		b, err := cfg.Store.Secret(context.Background(), name, func() ([]byte, error) {
			b := make([]byte, 32)
			_, err := rand.Read(b)
			return b, err
		})
		if err != nil {
			return nil, fmt.Errorf("join: reading the pages' %s secret from the store: %w", name, err)
		}
		if len(b) < 16 {
			return nil, fmt.Errorf("join: the pages' %s secret in the store is too short: %d bytes", name, len(b))
		}
		return b, nil
	}
	csrfKey, err := secret("csrf")
	if err != nil {
		return nil, err
	}
	cookieKey, err := secret("manage-cookie")
	if err != nil {
		return nil, err
	}
	secure := pub.Scheme == "https"
	base := strings.TrimRight(pub.Path, "/")
	sum := sha256.Sum256(cookieKey)
	sess, err := newSessions(sum[:], secure, base)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	h := &handler{
		cfg:       cfg,
		public:    strings.TrimRight(pub.String(), "/"),
		base:      base,
		csrf:      newCSRF(csrfKey, secure, base),
		sess:      sess,
		limiter:   cfg.Limiter,
		limits:    cfg.Limits.orDefaults(),
		now:       now,
		log:       &logger{w: cfg.Log},
		instances: instances,
		codeSum:   sha256.Sum256([]byte(cfg.Code)),
	}
	if h.limiter == nil && cfg.SharedLimits {
		if h.limiter, err = NewStoreLimiter(context.Background(), cfg.Store); err != nil {
			return nil, err
		}
	}
	if h.limiter == nil {
		h.limiter = NewMemoryLimiter(now)
	}
	cop := http.NewCrossOriginProtection()
	// Behind a reverse proxy that does not pass the Host on, the public
	// origin is still this one.
	if err := cop.AddTrustedOrigin(pub.Scheme + "://" + pub.Host); err != nil {
		return nil, fmt.Errorf("join: the public URL's origin: %w", err)
	}
	cop.SetDenyHandler(http.HandlerFunc(h.crossOrigin))
	return &outer{h: h, cop: cop.Handler(h)}, nil
}

// checkPublicURL returns the public URL, cleaned, or why it will not do:
// people type their RosterOn password into the join form, so it must be
// https, but on loopback.
func checkPublicURL(u *url.URL) (*url.URL, error) {
	if u == nil {
		return nil, errors.New("join: the join pages need the public URL (--public-url), an https address")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return nil, errors.New("join: the public URL must be an absolute https:// address such as https://roster.example.org")
	}
	if u.User != nil {
		return nil, errors.New("join: the public URL must not hold a username or password")
	}
	if u.Scheme == "http" && !netguard.IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("join: HTTPS is required: the public URL is http://%s, so the passwords typed into the join form "+
			"could be read on the way; serve it behind a reverse proxy with HTTPS and give its https:// address", u.Host)
	}
	cp := *u
	cp.Path = strings.TrimRight(cp.Path, "/")
	cp.RawPath, cp.RawQuery, cp.ForceQuery, cp.Fragment, cp.RawFragment = "", "", false, "", ""
	return &cp, nil
}

// outer sets the headers and checks what every request must pass before
// the cross-origin check and the pages see it.
type outer struct {
	h   *handler
	cop http.Handler
}

func (o *outer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setHeaders(w.Header())
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	default:
		o.h.methodNotAllowed(w, r, "GET, HEAD, POST")
		return
	}
	o.cop.ServeHTTP(w, r)
}

// ServeHTTP routes the pages.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch p {
	case "/join":
		if r.Method == http.MethodPost {
			h.joinPost(w, r)
		} else {
			h.joinForm(w, r)
		}
		return
	case "/manage":
		if r.Method == http.MethodPost {
			h.methodNotAllowed(w, r, "GET, HEAD")
		} else {
			w.Header().Set("Location", h.base+"/manage/")
			w.WriteHeader(http.StatusMovedPermanently)
		}
		return
	case "/manage/":
		if r.Method == http.MethodPost {
			h.methodNotAllowed(w, r, "GET, HEAD")
		} else {
			h.manageHome(w, r)
		}
		return
	}
	if act, ok := strings.CutPrefix(p, "/manage/"); ok {
		fn := h.manageAction(act)
		if fn == nil {
			h.notFound(w, r)
			return
		}
		if r.Method != http.MethodPost {
			h.methodNotAllowed(w, r, "POST")
			return
		}
		fn(w, r)
		return
	}
	h.notFound(w, r)
}

// parsePost reads a POST's form and checks its CSRF token, answering the
// request itself when either fails.
func (h *handler) parsePost(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.message(w, r, http.StatusRequestEntityTooLarge, "Too much", "The form sent more than this page takes.", "")
			return false
		}
		h.message(w, r, http.StatusBadRequest, "Not understood", "The form could not be read. Reload it and try again.", "")
		return false
	}
	if !h.csrf.check(r) {
		h.forbidden(w, r)
		return false
	}
	return true
}

// take counts one attempt under key, answering 429 itself when it is over
// its limit.
func (h *handler) take(w http.ResponseWriter, r *http.Request, key string, l Limit, what string) bool {
	ok, wait, err := h.limiter.Take(r.Context(), key, l)
	if err != nil {
		h.log.printf("could not count an attempt (%s): %v", what, err)
		h.message(w, r, http.StatusServiceUnavailable, "Try again later",
			"The service could not check how often this was tried. Try again in a few minutes.", "")
		return false
	}
	if ok {
		return true
	}
	h.log.printf("refused %s: too many attempts (%s), for %s more", what, strings.SplitN(key, ":", 2)[0], wait.Round(time.Second))
	w.Header().Set("Retry-After", fmt.Sprint(retrySeconds(wait)))
	h.message(w, r, http.StatusTooManyRequests, "Too many attempts",
		fmt.Sprintf("This was tried too many times. Wait %s and try again.", humanWait(wait)), "")
	return false
}

func humanWait(d time.Duration) string {
	switch m := int((d + time.Minute - 1) / time.Minute); {
	case d < time.Minute:
		return "a minute"
	case m == 1:
		return "1 minute"
	case d > 2*time.Hour:
		return fmt.Sprintf("%d hours", int((d+time.Hour-1)/time.Hour))
	default:
		return fmt.Sprintf("%d minutes", m)
	}
}

// refund gives back an attempt counted under key, when the limiter can.
func (h *handler) refund(r *http.Request, key string, l Limit) {
	rf, ok := h.limiter.(Refunder)
	if !ok {
		return
	}
	if err := rf.Refund(context.WithoutCancel(r.Context()), key, l); err != nil {
		h.log.printf("could not give back an attempt (%s): %v", strings.SplitN(key, ":", 2)[0], err)
	}
}

// busyRetry is the Retry-After of a check the service had no place for.
const busyRetry = 10 * time.Second

// busy answers a check the service had no place for (ErrBusy).
func (h *handler) busy(w http.ResponseWriter, r *http.Request, back string) {
	w.Header().Set("Retry-After", fmt.Sprint(retrySeconds(busyRetry)))
	h.message(w, r, http.StatusServiceUnavailable, "Busy",
		"There are too many logins at once: try again in a moment. Nothing was changed.", back)
}

// scrub returns err's text without the password, nor its usual encodings
// (URL-escaped, base64, and base64 of "username:password" as in Basic
// authentication), for a log line: a check's error may quote what it
// sent.
func scrub(err error, username, password string) string {
	secrets := []string{password, url.QueryEscape(password), url.PathEscape(password)}
	for _, plain := range []string{password, username + ":" + password} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			secrets = append(secrets, enc.EncodeToString([]byte(plain)))
		}
	}
	return oneline.Redact(err.Error(), secrets...)
}

// usernameKey is the rate limits' key of a username on an instance.
func usernameKey(instance, username string) string {
	return "user:" + instance + "\x00" + strings.ToLower(username)
}

// logger writes the pages' log lines, whole, one at a time.
type logger struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *logger) printf(format string, args ...any) {
	if l.w == nil {
		return
	}
	line := "join: " + fmt.Sprintf(format, args...)
	line = strings.NewReplacer("\n", " ", "\r", " ").Replace(line) + "\n"
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, line)
}

// who names an account in the log: its ID, username and host.
func who(a *store.Account) string {
	return fmt.Sprintf("account #%d (%s@%s)", a.ID, a.Username, instanceHost(a.Instance))
}

func instanceHost(instance string) string {
	u, err := url.Parse(instance)
	if err != nil || u.Host == "" {
		return instance
	}
	return u.Host
}
