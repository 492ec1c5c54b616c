package mockserver_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
)

// stepRequests are requests of each step, as a client makes them.
var stepRequests = []struct {
	step   mockserver.Step
	method string
	path   string // below the base
}{
	{mockserver.StepLogin, http.MethodGet, "/Account/Login"},
	{mockserver.StepLogin, http.MethodGet, "/account/login?ReturnUrl=%2fRosterOnProd%2fMobile%2f"},
	{mockserver.StepHome, http.MethodPost, "/Account/Login"},
	{mockserver.StepHome, http.MethodGet, "/"},
	{mockserver.StepRoster, http.MethodGet, rosterPath},
	{mockserver.StepLogout, http.MethodGet, "/Account/LogOff"},
	{mockserver.StepLogout, http.MethodPost, "/Account/LogOff"},
}

func newStepRequest(t *testing.T, ctx context.Context, method, url string) *http.Request {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(url2Form())
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

func url2Form() string {
	return url.Values{"UserName": {mockserver.DemoUsername}, "Password": {"not-the-password"}}.Encode()
}

// countExits serves s, counting the requests whose handler has returned.
func countExits(s *mockserver.Server, exited *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer exited.Add(1)
		s.ServeHTTP(w, r)
	})
}

func TestFaultHang(t *testing.T) {
	for _, sr := range stepRequests {
		t.Run(sr.method+" "+sr.path, func(t *testing.T) {
			var exited atomic.Int64
			s := mockserver.New(mockserver.WithClock(fixedClock), mockserver.WithStepFault(sr.step, mockserver.FaultHang))
			ts := httptest.NewServer(countExits(s, &exited))
			defer ts.Close()
			defer s.Close() // first, should the test fail with a request held
			base := ts.URL + s.BasePath()

			client := &http.Client{
				Timeout:       150 * time.Millisecond,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}
			began := time.Now()
			resp, err := client.Do(newStepRequest(t, context.Background(), sr.method, base+sr.path))
			if resp != nil {
				resp.Body.Close()
			}
			require.Error(t, err, "a hung request gets no answer")
			var ne net.Error
			require.True(t, errors.As(err, &ne) && ne.Timeout(), "want a timeout, got %v", err)
			assert.Less(t, time.Since(began), 10*time.Second, "a hang guard: the client gave up")

			// The handler lets go once the client has.
			require.Eventually(t, func() bool { return exited.Load() == 1 && s.Hanging() == 0 },
				10*time.Second, 5*time.Millisecond, "handler still running after the client gave up")
			reqs := s.Requests()
			require.Len(t, reqs, 1, "the hung request is recorded")
			assert.Equal(t, sr.method, reqs[0].Method)

			// Requests of other steps, and outside any step, still answer,
			// within a bound a loaded machine meets: the hang's short one
			// once failed a stylesheet here.
			client.Timeout = 30 * time.Second
			other := "/Account/Login"
			if sr.step == mockserver.StepLogin {
				other = rosterPath
			}
			for _, p := range []string{other, "/Content/site.css"} {
				resp, err := client.Get(base + p)
				require.NoError(t, err, p)
				resp.Body.Close()
				assert.Less(t, resp.StatusCode, 500, p)
			}

			closing := time.Now()
			ts.Close()
			assert.Less(t, time.Since(closing), 10*time.Second, "httptest.Server.Close waited for a hung handler")
		})
	}
}

func TestFaultHangReleasedByClose(t *testing.T) {
	var exited atomic.Int64
	s := mockserver.New(mockserver.WithFault(mockserver.FaultHang))
	ts := httptest.NewServer(countExits(s, &exited))
	defer ts.Close()
	client := &http.Client{Timeout: 10 * time.Second}
	url := ts.URL + s.BasePath() + "/Account/Login"

	const n = 3
	errs := make(chan error, n)
	for range n {
		go func() {
			resp, err := client.Get(url)
			if resp != nil {
				resp.Body.Close()
			}
			errs <- err
		}()
	}
	require.Eventually(t, func() bool { return s.Hanging() == n }, 10*time.Second, 5*time.Millisecond)
	assert.Zero(t, exited.Load())

	s.Close()
	for range n {
		select {
		case err := <-errs:
			require.Error(t, err, "dropped without an answer")
			var ne net.Error
			assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the client did not have to time out: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not let go of a hung request")
		}
	}
	require.Eventually(t, func() bool { return exited.Load() == n && s.Hanging() == 0 }, 10*time.Second, 5*time.Millisecond)

	// After Close a hang is a dropped connection at once.
	began := time.Now()
	_, err := client.Get(url)
	require.Error(t, err)
	assert.Less(t, time.Since(began), 10*time.Second, "a hang guard: the client gave up")
	s.Close() // twice is fine

	closing := time.Now()
	ts.Close()
	assert.Less(t, time.Since(closing), 10*time.Second, "httptest.Server.Close waited for a hung handler")
}

// Not parallel: it counts the whole process's goroutines, which another
// test running alongside would add to.
func TestFaultHangLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	s := mockserver.New(mockserver.WithStepFault(mockserver.StepRoster, mockserver.FaultHang))
	ts := httptest.NewServer(s)
	tr := &http.Transport{}
	client := &http.Client{Transport: tr, Timeout: 100 * time.Millisecond}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			resp, err := client.Get(ts.URL + s.BasePath() + rosterPath)
			if resp != nil {
				resp.Body.Close()
			}
			assert.Error(t, err)
		})
	}
	wg.Wait()
	require.Eventually(t, func() bool { return s.Hanging() == 0 }, 10*time.Second, 5*time.Millisecond)
	ts.Close()
	tr.CloseIdleConnections()
	// Polled here rather than with Eventually, whose own goroutines count.
	now := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); now > before && time.Now().Before(deadline); now = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	if now > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines before %d, after %d:\n%s", before, now, buf[:runtime.Stack(buf, true)])
	}
}

func TestFaultReset(t *testing.T) {
	t.Parallel()
	for _, sr := range stepRequests {
		t.Run(sr.method+" "+sr.path, func(t *testing.T) {
			s, ts := start(t, mockserver.WithStepFault(sr.step, mockserver.FaultReset))
			c := newClient(t, ts, s)
			resp, err := c.http.Do(newStepRequest(t, context.Background(), sr.method, c.base+sr.path))
			if resp != nil {
				resp.Body.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "connection reset")
			assert.ErrorIs(t, err, syscall.ECONNRESET)
			assert.Len(t, s.Requests(), 1, "the reset request is recorded")

			// Other requests on the same client still answer.
			assert.Equal(t, http.StatusOK, c.get("/Content/site.css").resp.StatusCode)
		})
	}
}

func TestFaultResetOverTLS(t *testing.T) {
	t.Parallel()
	s := mockserver.New(mockserver.WithFault(mockserver.FaultReset))
	ts := httptest.NewTLSServer(s)
	defer ts.Close()
	defer s.Close()
	client := ts.Client()
	client.Timeout = 10 * time.Second
	resp, err := client.Get(ts.URL + s.BasePath() + "/Account/Login")
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connection reset", "the TCP connection under TLS is reset")
}

func TestFaultResetMidSession(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	s.SetStepFaults(mockserver.StepRoster, mockserver.FaultReset)
	// The keep-alive connection is reset; net/http retries the GET once
	// on a new connection, which is reset too.
	_, err := c.http.Get(c.base + rosterPath)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connection reset")
	assert.Equal(t, http.StatusOK, c.get("/").resp.StatusCode, "the session lives on")
	s.SetStepFaults(mockserver.StepRoster, 0)
	assert.Equal(t, http.StatusOK, c.get(rosterPath).resp.StatusCode)
}

func TestFaultRedirectLoop(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithStepFault(mockserver.StepRoster, mockserver.FaultRedirectLoop))
	c := newClient(t, ts, s)
	require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	assert.Equal(t, http.StatusOK, c.get("/").resp.StatusCode)

	// Step by step: a 302 to itself.
	r := c.get(rosterPath)
	require.Equal(t, http.StatusFound, r.resp.StatusCode)
	assert.Equal(t, s.BasePath()+rosterPath, r.resp.Header.Get("Location"))

	// A client that follows redirects gives up after its limit.
	follow := &http.Client{Jar: c.jar, Timeout: 10 * time.Second}
	before := len(s.Requests())
	resp, err := follow.Get(c.base + rosterPath)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stopped after 10 redirects")
	reqs := s.Requests()[before:]
	assert.Len(t, reqs, 10)
	for _, req := range reqs {
		assert.Equal(t, s.BasePath()+rosterPath, req.Path)
	}

	// A POST loops with 307, keeping its method, so the loop stays on its
	// step.
	s.SetStepFaults(mockserver.StepHome, mockserver.FaultRedirectLoop)
	posted := c.postAbs(s.BasePath()+"/Account/Login", url.Values{"UserName": {"x"}})
	assert.Equal(t, http.StatusTemporaryRedirect, posted.resp.StatusCode)
	assert.Equal(t, s.BasePath()+"/Account/Login", posted.resp.Header.Get("Location"))
	assert.Equal(t, http.StatusOK, c.get("/Account/Login").resp.StatusCode, "the login page is not in the loop")
}

func TestFaultTruncated(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithStepFault(mockserver.StepLogin, mockserver.FaultTruncated))
	c := newClient(t, ts, s)
	resp, err := c.http.Get(c.base + "/Account/Login")
	require.NoError(t, err, "the headers arrive")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Values("Set-Cookie"), "the headers are the page's own")
	assert.Greater(t, resp.ContentLength, int64(100))
	body, err := io.ReadAll(resp.Body)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, resp.ContentLength/2, int64(len(body)))
	assert.True(t, strings.HasPrefix(string(body), "<!DOCTYPE html>"), "%q", body)

	// A cut-short roster, after a good login.
	s.SetStepFaults(mockserver.StepLogin, 0)
	s.SetStepFaults(mockserver.StepRoster, mockserver.FaultTruncated)
	require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	resp, err = c.http.Get(c.base + rosterPath)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	// Truncated cuts short whatever the answer is, here a 500.
	s.SetFaults(mockserver.FaultServerError)
	resp, err = c.http.Get(c.base + rosterPath)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	_, err = io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	// HEAD has no body to cut: the headers come and the connection closes.
	s.SetFaults(0)
	req, err := http.NewRequest(http.MethodHead, c.base+rosterPath, nil)
	require.NoError(t, err)
	resp, err = c.http.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// Each of these faults answers a step's requests with its own page and
// leaves the other steps alone.
func TestStepFaultPages(t *testing.T) {
	t.Parallel()
	faults := []struct {
		fault  mockserver.Fault
		status int
		marker string
	}{
		{mockserver.FaultServerError, http.StatusInternalServerError, "Server Error in '/RosterOnProd/Mobile' Application."},
		{mockserver.FaultUnavailable, http.StatusServiceUnavailable, "Service Unavailable"},
		{mockserver.FaultProxy403, http.StatusForbidden, "403 Forbidden"},
	}
	for _, ft := range faults {
		for _, step := range mockserver.Steps() {
			t.Run(ft.fault.String()+"@"+step.String(), func(t *testing.T) {
				s, ts := start(t)
				c := newClient(t, ts, s)
				require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
				form := c.get("/Account/Login") // for a second login below
				s.SetStepFaults(step, ft.fault)
				assert.Equal(t, ft.fault, s.StepFaults(step))
				assert.Equal(t, mockserver.Fault(0), s.Faults(), "faults on every request are apart")

				check := func(what string, st mockserver.Step, r result, normal int) {
					t.Helper()
					if st != step {
						assert.Equal(t, normal, r.resp.StatusCode, what)
						return
					}
					assert.Equal(t, ft.status, r.resp.StatusCode, what)
					assert.Empty(t, pageIDs(r.doc), what)
					assert.Contains(t, text(r.doc), ft.marker, what)
					assert.Empty(t, r.resp.Header.Values("Set-Cookie"), what)
				}
				check("GET login", mockserver.StepLogin, c.get("/Account/Login"), http.StatusOK)
				check("POST login", mockserver.StepHome, c.submitLogin(form, mockserver.DemoUsername, mockserver.DemoPassword), http.StatusFound)
				check("GET home", mockserver.StepHome, c.get("/"), http.StatusOK)
				check("GET roster", mockserver.StepRoster, c.get(rosterPath), http.StatusOK)
				check("GET log off", mockserver.StepLogout, c.get("/Account/LogOff"), http.StatusFound)
				check("GET stylesheet", 0, c.get("/Content/site.css"), http.StatusOK)
			})
		}
	}
}

func TestFaultServerErrorEverywhere(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithFault(mockserver.FaultServerError))
	c := newClient(t, ts, s)
	for _, p := range []string{"/Account/Login", "/", rosterPath, "/Account/LogOff", "/Content/site.css"} {
		r := c.get(p)
		assert.Equal(t, http.StatusInternalServerError, r.resp.StatusCode, p)
		assert.Contains(t, text(r.doc), "Timeout expired.", p)
	}
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithSessionExpiry(1))
	c := newClient(t, ts, s)
	posted := c.login(mockserver.DemoUsername, mockserver.DemoPassword)
	require.Equal(t, http.StatusFound, posted.resp.StatusCode)
	home := c.getAbs(posted.resp.Header.Get("Location"))
	require.Equal(t, http.StatusOK, home.resp.StatusCode)
	assert.Equal(t, "home-index", pageID(home.doc))
	assert.Equal(t, 0, s.Sessions(), "dropped after its one request")

	// The roster finds the session gone: off to the login page, and back.
	r := c.get(rosterPath)
	require.Equal(t, http.StatusFound, r.resp.StatusCode)
	assert.Equal(t, s.BasePath()+"/Account/Login?ReturnUrl=%2fRosterOnProd%2fMobile%2fRoster%2fList%3fpageNo%3d1%26row%3d1", r.resp.Header.Get("Location"))
	page := c.getAbs(r.resp.Header.Get("Location"))
	require.Equal(t, "account-login", pageID(page.doc))
	posted = c.submitLogin(page, mockserver.DemoUsername, mockserver.DemoPassword)
	require.Equal(t, http.StatusFound, posted.resp.StatusCode)
	assert.Equal(t, "roster-list", pageID(c.getAbs(posted.resp.Header.Get("Location")).doc))
	assert.Equal(t, 2, s.Logins())

	// A longer life: three requests, then gone.
	s.SetSessionExpiry(3)
	require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	for i := range 3 {
		assert.Equal(t, http.StatusOK, c.get(rosterPath).resp.StatusCode, "request %d", i+1)
	}
	assert.Equal(t, http.StatusFound, c.get("/").resp.StatusCode)

	// Log off and the login page do not count.
	require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	for range 5 {
		assert.Equal(t, http.StatusOK, c.get("/Account/Login").resp.StatusCode)
		assert.Equal(t, http.StatusOK, c.get("/Content/site.css").resp.StatusCode)
	}
	assert.Equal(t, 1, s.Sessions())

	// No limit.
	s.SetSessionExpiry(0)
	for range 10 {
		assert.Equal(t, http.StatusOK, c.get(rosterPath).resp.StatusCode)
	}
}

func TestSetSessionExpiryCountsEarlierRequests(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	for range 3 {
		require.Equal(t, http.StatusOK, c.get("/").resp.StatusCode)
	}
	s.SetSessionExpiry(2)
	assert.Equal(t, http.StatusFound, c.get(rosterPath).resp.StatusCode)
	assert.Equal(t, 0, s.Sessions())
}

func TestExpireSessions(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	users := []struct{ name, password string }{
		{mockserver.DemoUsername, mockserver.DemoPassword},
		{"ann.nurse", "ann-demo-password"},
		{"bob.driver", "bob-demo-password"},
	}
	var clients []*client
	for _, u := range users {
		c := newClient(t, ts, s)
		require.Equal(t, http.StatusFound, c.login(u.name, u.password).resp.StatusCode)
		require.Equal(t, http.StatusOK, c.get(rosterPath).resp.StatusCode)
		clients = append(clients, c)
	}
	assert.Equal(t, 3, s.ExpireSessions())
	assert.Equal(t, 0, s.Sessions())
	assert.Equal(t, 3, s.Logins())
	for i, c := range clients {
		r := c.get(rosterPath)
		assert.Equal(t, http.StatusFound, r.resp.StatusCode)
		assert.Contains(t, r.resp.Header.Get("Location"), "/Account/Login?ReturnUrl=")
		require.Equal(t, http.StatusFound, c.login(users[i].name, users[i].password).resp.StatusCode)
		assert.Equal(t, http.StatusOK, c.get(rosterPath).resp.StatusCode, "logging in again works")
	}
	assert.Equal(t, 3, s.ExpireSessions())
}

func TestFaultPlan(t *testing.T) {
	t.Parallel()
	p, err := mockserver.ParseFaultPlan(" proxy403, hang@Roster|FaultServerError@login,truncated@LOGIN ")
	require.NoError(t, err)
	assert.Equal(t, mockserver.FaultProxy403, p.Every)
	assert.Equal(t, map[mockserver.Step]mockserver.Fault{
		mockserver.StepRoster: mockserver.FaultHang,
		mockserver.StepLogin:  mockserver.FaultTruncated | mockserver.FaultServerError,
	}, p.Steps)
	assert.Equal(t, "Proxy403,Truncated@login,ServerError@login,Hang@roster", p.String())
	again, err := mockserver.ParseFaultPlan(p.String())
	require.NoError(t, err)
	assert.Equal(t, p, again)

	for _, in := range []string{"", "none"} {
		p, err := mockserver.ParseFaultPlan(in)
		require.NoError(t, err)
		assert.Equal(t, mockserver.FaultPlan{}, p)
		assert.Equal(t, "none", p.String())
	}
	_, err = mockserver.ParseFaultPlan("hang@nowhere")
	assert.ErrorContains(t, err, "nowhere")
	_, err = mockserver.ParseFaultPlan("sulk@login")
	assert.ErrorContains(t, err, "sulk")

	// Applied to a server.
	s, ts := start(t, mockserver.WithFaultPlan(mockserver.FaultPlan{Steps: map[mockserver.Step]mockserver.Fault{
		mockserver.StepLogin: mockserver.FaultUnavailable,
	}}), mockserver.WithStepFault(mockserver.StepLogin, mockserver.FaultTruncated), mockserver.WithFault(mockserver.FaultScriptLoginForm))
	assert.Equal(t, mockserver.FaultUnavailable|mockserver.FaultTruncated|mockserver.FaultScriptLoginForm, s.StepFaults(mockserver.StepLogin))
	assert.Equal(t, mockserver.FaultScriptLoginForm, s.StepFaults(mockserver.StepRoster))
	s.SetFaultPlan(mockserver.FaultPlan{Every: mockserver.FaultServerError})
	for _, st := range mockserver.Steps() {
		assert.Equal(t, mockserver.FaultServerError, s.StepFaults(st), st)
	}
	c := newClient(t, ts, s)
	assert.Equal(t, http.StatusInternalServerError, c.get("/Account/Login").resp.StatusCode)
	s.SetFaultPlan(mockserver.FaultPlan{})
	assert.Equal(t, http.StatusOK, c.get("/Account/Login").resp.StatusCode)
}

func TestParseFaultNewNames(t *testing.T) {
	t.Parallel()
	want := map[string]mockserver.Fault{
		"Hang":         mockserver.FaultHang,
		"reset":        mockserver.FaultReset,
		"RedirectLoop": mockserver.FaultRedirectLoop,
		"truncated":    mockserver.FaultTruncated,
		"ServerError":  mockserver.FaultServerError,
		"unavailable":  mockserver.FaultUnavailable,
	}
	for in, f := range want {
		got, err := mockserver.ParseFault(in)
		require.NoError(t, err, in)
		assert.Equal(t, f, got, in)
		assert.True(t, strings.EqualFold(in, f.String()), in)
	}
	_, err := mockserver.ParseFault("hang@roster")
	assert.ErrorContains(t, err, "ParseFaultPlan")

	// Every bit has a name, so `rosteron mock --help` lists them all.
	var names []string
	for i := range 32 {
		if name := mockserver.Fault(1 << i).String(); !strings.HasPrefix(name, "0x") {
			names = append(names, name)
		}
	}
	assert.Equal(t, []string{"Proxy403", "OtherValidation", "ScriptLoginForm", "LoginError500",
		"Hang", "Reset", "RedirectLoop", "Truncated", "ServerError", "Unavailable", "ScriptRoster",
		"AccountLocked", "FrenchValidation", "ScriptFillsRoster", "ScriptLoginField", "ScriptRosterPage"}, names)
}

func TestSteps(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []mockserver.Step{mockserver.StepLogin, mockserver.StepHome, mockserver.StepRoster, mockserver.StepLogout}, mockserver.Steps())
	for _, st := range mockserver.Steps() {
		got, err := mockserver.ParseStep(strings.ToUpper(st.String()))
		require.NoError(t, err)
		assert.Equal(t, st, got)
	}
	assert.Equal(t, "Step(0)", mockserver.Step(0).String())
	_, err := mockserver.ParseStep("logoff")
	assert.ErrorContains(t, err, "logoff")

	s := mockserver.New()
	assert.Panics(t, func() { mockserver.WithStepFault(0, mockserver.FaultHang) })
	assert.Panics(t, func() { s.SetStepFaults(mockserver.Step(9), mockserver.FaultHang) })
	assert.Panics(t, func() {
		s.SetFaultPlan(mockserver.FaultPlan{Steps: map[mockserver.Step]mockserver.Fault{0: mockserver.FaultHang}})
	})
}

func TestStepFaultsConcurrently(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	stop := make(chan struct{})
	var toggler sync.WaitGroup
	toggler.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.SetStepFaults(mockserver.StepRoster, mockserver.Fault(i%2)*mockserver.FaultServerError)
			s.SetSessionExpiry(i % 4)
			if i%7 == 0 {
				s.ExpireSessions()
			}
			_ = s.StepFaults(mockserver.StepHome)
			time.Sleep(time.Millisecond)
		}
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			c := newClient(t, ts, s)
			for range 5 {
				c.login(mockserver.DemoUsername, mockserver.DemoPassword)
				status := c.get(rosterPath).resp.StatusCode
				assert.Contains(t, []int{http.StatusOK, http.StatusFound, http.StatusInternalServerError}, status, strconv.Itoa(status))
			}
		})
	}
	wg.Wait()
	close(stop)
	toggler.Wait()
}
