package service

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/rosteron/rosteron/feed"
)

// Handler serves /healthz, every account's /TOKEN/ page and feeds, and
// Config.Join's /join and /manage/.
//
// A token is found by its SHA-256 in a map: a wrong one costs a hash and
// a lookup, as a right one does, and gets the plain 404 that a wrong
// token has always got, so nothing tells which tokens exist.
func (s *Service) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Service) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if path == "/"+feed.HealthName {
		if s.cfg.Single {
			if h := s.single(); h != nil {
				h.ServeHTTP(w, r)
				return
			}
		}
		s.health(w, r)
		return
	}
	if s.cfg.Join != nil && (path == "/join" || strings.HasPrefix(path, "/join/") || path == "/manage" || strings.HasPrefix(path, "/manage/")) {
		s.cfg.Join.ServeHTTP(w, r)
		return
	}
	tok, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	sum := sha256.Sum256([]byte(tok))
	s.mu.Lock()
	a := s.tokens[sum]
	s.mu.Unlock()
	if a == nil || a.handler == nil {
		http.NotFound(w, r)
		return
	}
	a.handler.ServeHTTP(w, r)
}

// single is the handler of the one account of a single-account serve;
// nil while it is not running yet. Its /healthz is that account's.
func (s *Service) single() http.Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		if a.handler != nil {
			return a.handler
		}
	}
	return nil
}

// Health is the service's health: the store's and the scheduler's, and
// how many accounts are in each state. Its /healthz, which anyone may
// ask, has the state, the store and the scheduler alone: how many
// accounts there are, and how they fare, are the operator's ('rosteron
// accounts list'). One account's trouble (an expired password, a stale
// roster) never makes it fail: each account's own health is on its page.
type Health struct {
	// State is "ok" while the store answers and the scheduler runs
	// (200), "failing" otherwise (503).
	State string `json:"state"`
	// Store is "ok" or "failing"; Scheduler "running" or "stopped".
	Store     string `json:"store"`
	Scheduler string `json:"scheduler"`
	// Accounts counts the accounts served; ByState by state: ok, stale,
	// stopped, starting (no roster yet) and paused. Neither is in
	// /healthz's answer.
	Accounts int            `json:"-"`
	ByState  map[string]int `json:"-"`
}

// storePing bounds the store's ping: the database has one connection,
// which a refresh's writes hold a moment at a time.
const storePing = 5 * time.Second

func (s *Service) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := s.Health(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	code := http.StatusOK
	if h.State != "ok" {
		code = http.StatusServiceUnavailable
	}
	w.WriteHeader(code)
	if r.Method == http.MethodHead {
		return
	}
	_ = json.NewEncoder(w).Encode(h)
}

// Health reports the service's health, as its /healthz does.
func (s *Service) Health(ctx context.Context) Health {
	h := Health{Store: "ok", Scheduler: "running", ByState: map[string]int{
		feed.StateOK: 0, feed.StateStale: 0, feed.StateStopped: 0, feed.StateStarting: 0, "paused": 0,
	}}
	pctx, cancel := context.WithTimeout(ctx, storePing)
	defer cancel()
	if db := s.cfg.Store.DB(); db == nil || db.PingContext(pctx) != nil {
		h.Store = "failing"
	}
	if !s.sched.Load() {
		h.Scheduler = "stopped"
	}
	s.mu.Lock()
	for _, a := range s.accounts {
		h.Accounts++
		switch {
		case a.paused:
			h.ByState["paused"]++
		case a.stopped || a.feed == nil:
			h.ByState[feed.StateStopped]++
		default:
			h.ByState[a.feed.Status().State]++
		}
	}
	s.mu.Unlock()
	h.State = "ok"
	if h.Store != "ok" || h.Scheduler != "running" {
		h.State = "failing"
	}
	return h
}
