package mockserver

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

// DefaultBasePath is the base path of a server made without WithBasePath:
// that of a typical on-premises instance.
const DefaultBasePath = "/RosterOnProd/Mobile"

// User is an account the server accepts, with the roster it serves.
type User struct {
	// Username is compared case-insensitively, as Windows account names are.
	Username string
	// Password is compared exactly.
	Password string
	// Name is what the home page welcomes ("Welcome BLOGGS, JOE");
	// Username when empty.
	Name string
	// Roster is served as the user's roster page, in order.
	Roster []snapshot.Item
}

// Request is one request the server saw.
type Request struct {
	Method string
	// Path is the request target as sent: path and query.
	Path string
	// Time is the server's clock when the request arrived.
	Time time.Time
}

// Option configures a Server made by New.
type Option func(*Server)

// Server is an http.Handler that behaves like a RosterOn Mobile instance.
// It is safe for concurrent use; each Server has its own users, sessions,
// anti-forgery key and request log.
type Server struct {
	base    string
	clock   func() time.Time
	latency time.Duration
	stack   *ScriptStack
	shifts  int  // of the demo user's roster; 0 is DemoRoster's
	custom  bool // WithUsers was given: no default users
	key     []byte
	faults  atomic.Uint32           // for every request
	steps   [numSteps]atomic.Uint32 // for one step each, by Step
	expiry  atomic.Int64            // authenticated requests a session serves; 0 is no limit

	control   *http.ServeMux // the control endpoint, at ControlPath
	done      chan struct{}  // closed by Close: hung requests let go
	closeOnce sync.Once
	hanging   atomic.Int64

	mu       sync.Mutex
	accounts []account           // added to and changed at run time (see change.go)
	sessions map[string]*session // .ASPXAUTH value -> session
	requests []Request
	logins   int
	// maxSessions is the most sessions logged in at once so far.
	maxSessions int
}

// session is a logged-in session.
type session struct {
	account int // index into accounts
	uses    int // authenticated requests served
}

// account is a user whose roster may depend on the day: the default users'
// rosters follow the server's clock so a long-running demo stays current.
type account struct {
	user   User
	roster func(today time.Time) []snapshot.Item
}

// Caps keep a long-running mock (docker-compose, `rosteron mock`) from
// growing without bound; tests never come near them.
const (
	maxRequests = 1 << 16
	maxSessions = 1 << 14
	maxBody     = 1 << 20
)

// New returns a server with the default users (see DefaultUsers) unless
// WithUsers is given.
func New(opts ...Option) *Server {
	s := &Server{
		base:     DefaultBasePath,
		clock:    time.Now,
		key:      make([]byte, 32),
		sessions: make(map[string]*session),
		done:     make(chan struct{}),
	}
	_, _ = rand.Read(s.key) // never fails since Go 1.24
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	if !s.custom {
		// The default users first: a user of WithMoreUsers whose
		// username is one of theirs never hides them.
		s.accounts = append(defaultAccounts(s.shifts), s.accounts...)
	}
	s.control = s.controlMux()
	return s
}

// WithBasePath sets the base path: everything before /Account/Login in the
// login page's URL. "" and "/" put the application at the root.
func WithBasePath(p string) Option {
	return func(s *Server) { s.base = normalizeBase(p) }
}

func normalizeBase(p string) string {
	p = strings.TrimRight(strings.TrimSpace(p), "/")
	if p != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// WithUsers replaces the default users by users. Calling it again adds
// more users. Rosters are copied, so the caller may reuse its slices. When
// two users' names differ only in case, the first one given wins.
func WithUsers(users ...User) Option {
	return func(s *Server) {
		s.custom = true
		for _, u := range users {
			u.Roster = copyItems(u.Roster)
			roster := u.Roster
			s.accounts = append(s.accounts, account{user: u, roster: func(time.Time) []snapshot.Item { return roster }})
		}
	}
}

// WithMoreUsers adds users besides the default ones (or besides those of
// WithUsers, whichever the server has): a mock serving many people that
// still has the demo login. Rosters are copied as WithUsers copies them;
// a user whose username differs only in case from one given before is
// hidden by it.
func WithMoreUsers(users ...User) Option {
	return func(s *Server) {
		for _, u := range users {
			u.Roster = copyItems(u.Roster)
			roster := u.Roster
			s.accounts = append(s.accounts, account{user: u, roster: func(time.Time) []snapshot.Item { return roster }})
		}
	}
}

// WithClock sets the server's clock. It drives the Date header of every
// response, the times in Requests, and the "today" of the default users'
// rosters. Delays (WithLatency) still take real time.
func WithClock(now func() time.Time) Option {
	return func(s *Server) {
		if now != nil {
			s.clock = now
		}
	}
}

// WithFault sets faults on every request; several WithFault options add up.
func WithFault(f Fault) Option {
	return func(s *Server) { s.faults.Store(s.faults.Load() | uint32(f)) }
}

// WithStepFault sets faults on the requests of one step only, such as
// WithStepFault(StepRoster, FaultHang) for a server that logs in but never
// answers the roster. Several options add up, and add to WithFault's. It
// panics if step is not one of the Step constants.
func WithStepFault(step Step, f Fault) Option {
	mustStep(step)
	return func(s *Server) { s.steps[step].Store(s.steps[step].Load() | uint32(f)) }
}

// WithFaultPlan sets the faults of p, adding to other options' faults. It
// panics if p has a step that is not one of the Step constants.
func WithFaultPlan(p FaultPlan) Option {
	for st := range p.Steps {
		mustStep(st)
	}
	return func(s *Server) {
		s.faults.Store(s.faults.Load() | uint32(p.Every))
		for st, f := range p.Steps {
			s.steps[st].Store(s.steps[st].Load() | uint32(f))
		}
	}
}

func mustStep(st Step) {
	if !st.valid() {
		panic("mockserver: no such step: " + st.String())
	}
}

// WithSessionExpiry ends each session on the server's side once it has
// served n authenticated requests, GETs of the home page or the roster: the
// next one is sent to the login page with a ReturnUrl, as a real instance
// does with an expired session. With n = 1 a session lasts from logging in
// to the home page, so asking for the roster finds it expired. 0 (the
// default) is no limit.
func WithSessionExpiry(n int) Option {
	return func(s *Server) { s.SetSessionExpiry(n) }
}

// WithLatency delays every response by d, giving up early when the client
// goes away.
func WithLatency(d time.Duration) Option {
	return func(s *Server) { s.latency = d }
}

// BasePath returns the base path, e.g. "/RosterOnProd/Mobile"; the base URL
// of a server listening at u is u + BasePath().
func (s *Server) BasePath() string { return s.base }

// SetFaults replaces the faults in force on every request, taking effect
// from the next request, so that a test can make a server fail part-way
// through a session. Faults on single steps stay as they are.
func (s *Server) SetFaults(f Fault) { s.faults.Store(uint32(f)) }

func (s *Server) faultsOn(step Step) Fault {
	f := Fault(s.faults.Load())
	if step.valid() {
		f |= Fault(s.steps[step].Load())
	}
	return f
}

// SetSessionExpiry changes the session expiry (see WithSessionExpiry) from
// the next request on, for existing sessions too: their requests so far
// count. n <= 0 is no limit.
func (s *Server) SetSessionExpiry(n int) {
	s.expiry.Store(int64(max(n, 0)))
}

// ExpireSessions ends every session now on the server's side, as a restart
// or a timeout does, and returns how many there were. Their cookies stay
// with the clients, which are sent to the login page when they next use
// them.
func (s *Server) ExpireSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.sessions)
	clear(s.sessions)
	return n
}

// Hanging returns how many requests FaultHang is holding now: 0 again once
// their clients have given up (or Close was called) means none is left
// behind.
func (s *Server) Hanging() int { return int(s.hanging.Load()) }

// Close lets go of every request FaultHang holds, now and later, dropping
// their connections without an answer; nothing else changes. Call it before
// closing the http.Server (or httptest.Server) in front, whose Close and
// Shutdown wait for such requests when their clients are still there.
// Close may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}

// Requests returns the requests seen so far, oldest first. A server keeps
// only about the last 65536.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Logins returns how many logins have succeeded.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Sessions returns how many sessions are logged in: logged off sessions do
// not count.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// MaxSessions returns the most sessions that were logged in at once so
// far, each counted from its login to its logout (or its end on the
// server's side: an expiry, ExpireSessions): how many people one host
// served at the same time. A session whose client never logged out counts
// until then, as it does on a real instance.
func (s *Server) MaxSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxSessions
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Every handler builds a whole response before anything is written, so
	// that faults acting on the wire (truncated bodies, resets, hangs) can
	// act on any answer without touching the handlers.
	if isControl(r) {
		s.control.ServeHTTP(w, r)
		return
	}
	s.record(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if s.latency > 0 {
		t := time.NewTimer(s.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	step := s.step(r)
	faults := s.faultsOn(step)
	switch {
	case faults.Has(FaultHang):
		s.hang(w, r)
		return
	case faults.Has(FaultReset):
		reset(w, r)
		return
	}
	var resp *response
	switch {
	case faults.Has(FaultProxy403):
		resp = proxyForbidden()
	case faults.Has(FaultUnavailable):
		resp = unavailable()
	case faults.Has(FaultServerError):
		resp = s.serverError(msgServerError)
	case faults.Has(FaultRedirectLoop):
		resp = redirectLoop(r)
	default:
		resp = s.route(r, faults)
	}
	if faults.Has(FaultTruncated) {
		s.writeTruncated(w, r, resp)
		return
	}
	s.write(w, r, resp)
}

// step returns the step a request belongs to, 0 for none. It matches as
// route does.
func (s *Server) step(r *http.Request) Step {
	rel, ok := s.relative(r.URL.Path)
	if !ok {
		return 0
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case rel == "/" && get:
		return StepHome
	case strings.EqualFold(rel, "/Account/Login") && get:
		return StepLogin
	case strings.EqualFold(rel, "/Account/Login") && r.Method == http.MethodPost:
		return StepHome
	case strings.EqualFold(rel, "/Account/LogOff") && (get || r.Method == http.MethodPost):
		return StepLogout
	case strings.EqualFold(rel, "/Roster/List") && get:
		return StepRoster
	}
	return 0
}

func (s *Server) record(r *http.Request) {
	req := Request{Method: r.Method, Path: r.URL.RequestURI(), Time: s.clock()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= maxRequests {
		// Drop the oldest quarter at once so appends stay amortised O(1).
		s.requests = append(s.requests[:0], s.requests[maxRequests/4:]...)
	}
	s.requests = append(s.requests, req)
}

// route dispatches on the path below the base. Matching ignores case and a
// trailing slash, as IIS and ASP.NET routing do.
func (s *Server) route(r *http.Request, faults Fault) *response {
	rel, ok := s.relative(r.URL.Path)
	if !ok {
		return notFound()
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case rel == "":
		return redirect(http.StatusMovedPermanently, s.base+"/")
	case rel == "/" && get:
		return s.home(r)
	case strings.EqualFold(rel, "/Account/Login") && get:
		return s.loginPage(r, faults)
	case strings.EqualFold(rel, "/Account/Login") && r.Method == http.MethodPost:
		return s.loginPost(r, faults)
	case strings.EqualFold(rel, "/Account/LogOff") && (get || r.Method == http.MethodPost):
		return s.logOff(r)
	case strings.EqualFold(rel, "/Roster/List") && get:
		return s.roster(r, faults)
	case get:
		if resp, ok := s.stackAsset(r, rel); ok {
			return resp
		}
		if a, ok := lookupAsset(rel); ok {
			return assetResponse(a)
		}
	}
	return notFound()
}

// relative returns p below the base, "" for the base itself.
func (s *Server) relative(p string) (string, bool) {
	if !s.underBase(p) {
		return "", false
	}
	rel := p[len(s.base):]
	if len(rel) > 1 {
		rel = strings.TrimSuffix(rel, "/")
	}
	return rel, true
}

func (s *Server) underBase(p string) bool {
	n := len(s.base)
	return len(p) >= n && strings.EqualFold(p[:n], s.base) && (len(p) == n || p[n] == '/')
}

// currentUser returns the account of the request's session, counting the
// request against the session's expiry.
func (s *Server) currentUser(r *http.Request) (account, bool) {
	c, err := r.Cookie(authCookie)
	if err != nil || c.Value == "" {
		return account{}, false
	}
	limit := int(s.expiry.Load())
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[c.Value]
	if !ok {
		return account{}, false
	}
	if limit > 0 && sess.uses >= limit {
		delete(s.sessions, c.Value) // the limit was lowered since
		return account{}, false
	}
	sess.uses++
	if limit > 0 && sess.uses >= limit {
		delete(s.sessions, c.Value) // this was its last request
	}
	return s.accounts[sess.account], true
}

// authenticate returns the index of the account matching the credentials.
func (s *Server) authenticate(username, password string) (int, bool) {
	if username == "" || password == "" {
		return 0, false
	}
	s.mu.Lock() // AddUser and the roster changes may be at work
	defer s.mu.Unlock()
	i, ok := s.accountIndex(username)
	if !ok {
		return 0, false
	}
	return i, subtle.ConstantTimeCompare([]byte(s.accounts[i].user.Password), []byte(password)) == 1
}

// startSession stores a new session and returns its .ASPXAUTH value.
func (s *Server) startSession(i int) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := strings.ToUpper(hex.EncodeToString(b))
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) >= maxSessions {
		for k := range s.sessions {
			delete(s.sessions, k) // an arbitrary one: this only guards memory
			break
		}
	}
	s.sessions[token] = &session{account: i}
	s.logins++
	s.maxSessions = max(s.maxSessions, len(s.sessions))
	return token
}

func (s *Server) endSession(r *http.Request) {
	c, err := r.Cookie(authCookie)
	if err != nil {
		return
	}
	s.mu.Lock()
	delete(s.sessions, c.Value)
	s.mu.Unlock()
}

func (s *Server) rosterOf(a account) []snapshot.Item {
	return a.roster(s.clock())
}

func copyItems(items []snapshot.Item) []snapshot.Item {
	if items == nil {
		return nil
	}
	out := make([]snapshot.Item, len(items))
	for i, it := range items {
		it.Detail = append([]snapshot.Field(nil), it.Detail...)
		it.Warnings = append([]string(nil), it.Warnings...)
		out[i] = it
	}
	return out
}
