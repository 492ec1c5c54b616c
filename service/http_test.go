package service

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/store"
	"github.com/rosteron/rosteron/store/storetest"
)

// /join and /manage/ go to Config.Join; before Run, /healthz says the
// scheduler is not running (503), and every token is a 404.
func TestHandlerRoutes(t *testing.T) {
	st := storetest.Open(t)
	cfg := testConfig(st, newFake(), &syncBuffer{})
	cfg.Join = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	s, err := New(cfg)
	require.NoError(t, err)
	h := s.Handler()
	for path, want := range map[string]int{
		"/join":           http.StatusTeapot,
		"/join/":          http.StatusTeapot,
		"/manage/abc":     http.StatusTeapot,
		"/joinx":          http.StatusNotFound,
		"/healthz":        http.StatusServiceUnavailable,
		"/sometoken/":     http.StatusNotFound,
		"/managed/roster": http.StatusNotFound,
		"/x/roster.ics":   http.StatusNotFound,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, want, rec.Code, path)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", nil))
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

// /healthz is 200 while the store answers and the scheduler runs, 503
// once the store does not answer.
func TestHealthFollowsTheStore(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		s, err := New(testConfig(st, newFake(), &syncBuffer{}))
		require.NoError(t, err)
		s.sched.Store(true) // as while the dispatcher runs
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

		require.NoError(t, st.Close())
		rec = httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		require.Contains(t, rec.Body.String(), `"store":"failing"`)
	})
}
