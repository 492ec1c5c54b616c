package mockserver_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

func TestDateHeaderFollowsClock(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	want := "Sun, 09 Jun 2019 22:28:37 GMT" // fixedNow in UTC
	c := newClient(t, ts, s)
	check := func(r result, what string) {
		t.Helper()
		assert.Equal(t, want, r.resp.Header.Get("Date"), what)
		assert.Len(t, r.resp.Header.Values("Date"), 1, what)
		assert.NotEmpty(t, r.resp.Header.Get("Cache-Control"), what)
	}
	check(c.get("/Account/Login"), "login page")
	check(c.get(rosterPath), "redirect")
	check(c.login(mockserver.DemoUsername, mockserver.DemoPassword), "login post")
	check(c.get(rosterPath), "roster")
	check(c.get("/Content/site.css"), "asset")
	check(c.get("/nowhere"), "404")
	check(c.getAbs("/favicon.ico"), "404 outside the base")
	s.SetFaults(mockserver.FaultProxy403)
	check(c.get("/"), "proxy 403")
	s.SetFaults(mockserver.FaultLoginError500)
	check(c.get("/Account/Login"), "500")

	// A moving clock moves the header.
	now := time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC)
	var mu sync.Mutex
	s2, ts2 := start(t, mockserver.WithClock(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}))
	r := newClient(t, ts2, s2).get("/Account/Login")
	assert.Equal(t, "Fri, 01 Mar 2024 00:00:01 GMT", r.resp.Header.Get("Date"))
}

func TestLogOffWhenLoggedOut(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	r := c.get("/Account/LogOff")
	assert.Equal(t, http.StatusFound, r.resp.StatusCode)
	assert.Equal(t, s.BasePath()+"/Account/Login", r.resp.Header.Get("Location"))
	assert.Len(t, s.Requests(), 1)
	assert.Equal(t, 0, s.Sessions())
}

func TestLogOffEndsTheSessionServerSide(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	token, ok := c.cookie(".ASPXAUTH")
	require.True(t, ok)
	c.get("/Account/LogOff")

	// Replaying the old token does not log in: the session is gone.
	replay := newClient(t, ts, s)
	replay.jar.SetCookies(mustURL(t, ts.URL+"/"), []*http.Cookie{{Name: ".ASPXAUTH", Value: token, Path: "/"}})
	assert.Equal(t, http.StatusFound, replay.get(rosterPath).resp.StatusCode)
}

func TestReturnURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		returnTo string
		want     string
	}{
		{"roster", "/RosterOnProd/Mobile/Roster/List?pageNo=1&row=1", "/RosterOnProd/Mobile/Roster/List?pageNo=1&row=1"},
		{"home", "/RosterOnProd/Mobile/", "/RosterOnProd/Mobile/"},
		{"other host", "http://evil.example/RosterOnProd/Mobile/", "/RosterOnProd/Mobile/"},
		{"protocol relative", "//evil.example/RosterOnProd/Mobile/", "/RosterOnProd/Mobile/"},
		{"backslash", "/\\evil.example/", "/RosterOnProd/Mobile/"},
		{"outside the base", "/RosterOnProd/Other/", "/RosterOnProd/Mobile/"},
		{"base prefix only", "/RosterOnProd/MobileX/", "/RosterOnProd/Mobile/"},
		{"header injection", "/RosterOnProd/Mobile/\r\nSet-Cookie: x=y", "/RosterOnProd/Mobile/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts := start(t)
			c := newClient(t, ts, s)
			page := c.get("/Account/Login?ReturnUrl=" + url.QueryEscape(tt.returnTo))
			require.Equal(t, http.StatusOK, page.resp.StatusCode)
			posted := c.submitLogin(page, mockserver.DemoUsername, mockserver.DemoPassword)
			require.Equal(t, http.StatusFound, posted.resp.StatusCode)
			assert.Equal(t, tt.want, posted.resp.Header.Get("Location"))
		})
	}
}

func TestRedirectToLoginAndBack(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	r := c.get(rosterPath)
	require.Equal(t, http.StatusFound, r.resp.StatusCode)
	page := c.getAbs(r.resp.Header.Get("Location"))
	require.Equal(t, "account-login", pageID(page.doc))
	form := find(page.doc, isElem("form"))[0]
	assert.Equal(t, s.BasePath()+"/Account/Login?ReturnUrl=%2fRosterOnProd%2fMobile%2fRoster%2fList%3fpageNo%3d1%26row%3d1", attr(form, "action"))
	posted := c.submitLogin(page, mockserver.DemoUsername, mockserver.DemoPassword)
	require.Equal(t, http.StatusFound, posted.resp.StatusCode)
	assert.Equal(t, s.BasePath()+rosterPath, posted.resp.Header.Get("Location"))
	assert.Equal(t, "roster-list", pageID(c.getAbs(posted.resp.Header.Get("Location")).doc))
}

func TestBasePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"/", ""},
		{"/Custom/Mobile/", "/Custom/Mobile"},
		{"Custom", "/Custom"},
		{"/RosterOnProd/RosterOnProdMobile", "/RosterOnProd/RosterOnProdMobile"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			s, ts := start(t, mockserver.WithBasePath(tt.in))
			assert.Equal(t, tt.want, s.BasePath())
			c := newClient(t, ts, s)
			page := c.get("/Account/Login")
			require.Equal(t, http.StatusOK, page.resp.StatusCode)
			assert.Equal(t, tt.want+"/Account/Login", attr(find(page.doc, isElem("form"))[0], "action"))
			assert.NotEmpty(t, find(page.doc, isElem("link", "href", tt.want+"/Content/site.css")))
			posted := c.submitLogin(page, mockserver.DemoUsername, mockserver.DemoPassword)
			require.Equal(t, http.StatusFound, posted.resp.StatusCode)
			assert.Equal(t, tt.want+"/", posted.resp.Header.Get("Location"))
			assert.Equal(t, "home-index", pageID(c.getAbs(tt.want+"/").doc))
			assert.Equal(t, "roster-list", pageID(c.get(rosterPath).doc))
			if tt.want != "" {
				bare := c.getAbs(tt.want)
				assert.Equal(t, http.StatusMovedPermanently, bare.resp.StatusCode)
				assert.Equal(t, tt.want+"/", bare.resp.Header.Get("Location"))
			}
		})
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	tests := []struct {
		method, path string // path relative to the server root
		status       int
		contentType  string
	}{
		{"GET", "/RosterOnProd/Mobile/Account/Login", http.StatusOK, "text/html; charset=utf-8"},
		{"GET", "/rosteronprod/mobile/account/login", http.StatusOK, "text/html; charset=utf-8"},
		{"GET", "/RosterOnProd/Mobile/Account/Login/", http.StatusOK, "text/html; charset=utf-8"},
		{"HEAD", "/RosterOnProd/Mobile/Account/Login", http.StatusOK, "text/html; charset=utf-8"},
		{"GET", "/RosterOnProd/Mobile/Content/site.css", http.StatusOK, "text/css; charset=utf-8"},
		{"GET", "/RosterOnProd/Mobile/Scripts/site.js", http.StatusOK, "application/javascript; charset=utf-8"},
		{"GET", "/RosterOnProd/Mobile/Content/images/warning.svg", http.StatusOK, "image/svg+xml"},
		{"GET", "/favicon.ico", http.StatusNotFound, "text/html; charset=utf-8"},
		{"GET", "/RosterOnProd/Mobile/nowhere", http.StatusNotFound, "text/html; charset=utf-8"},
		{"GET", "/RosterOnProd/MobileX/Account/Login", http.StatusNotFound, "text/html; charset=utf-8"},
		{"PUT", "/RosterOnProd/Mobile/Account/Login", http.StatusNotFound, "text/html; charset=utf-8"},
		{"POST", "/RosterOnProd/Mobile/Roster/List", http.StatusNotFound, "text/html; charset=utf-8"},
		{"GET", "/RosterOnProd/Mobile", http.StatusMovedPermanently, "text/html; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, nil)
			require.NoError(t, err)
			r := c.do(req)
			assert.Equal(t, tt.status, r.resp.StatusCode)
			assert.Equal(t, tt.contentType, r.resp.Header.Get("Content-Type"))
			if tt.method == http.MethodHead {
				assert.Empty(t, r.body)
			}
			if tt.status == http.StatusNotFound {
				assert.Empty(t, pageIDs(r.doc))
			}
		})
	}
}

func TestEveryPageLinksStylesheetAndScript(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	pages := []result{c.get("/Account/Login"), c.login("x", "y")}
	c.login(mockserver.DemoUsername, mockserver.DemoPassword)
	pages = append(pages, c.get("/"), c.get(rosterPath))
	for _, p := range pages {
		id := pageID(p.doc)
		require.NotEmpty(t, id)
		assert.Len(t, find(p.doc, isElem("link", "rel", "stylesheet", "href", s.BasePath()+"/Content/site.css")), 1, id)
		assert.Len(t, find(p.doc, isElem("script", "src", s.BasePath()+"/Scripts/site.js")), 1, id)
		pageDiv := find(p.doc, isElem("div", "data-role", "page"))[0]
		assert.Len(t, find(pageDiv, isElem("div", "data-role", "content")), 1, id)
		assert.Equal(t, "private", p.resp.Header.Get("Cache-Control"), id)
	}
}

func TestUsersSeeOnlyTheirOwnRoster(t *testing.T) {
	t.Parallel()
	users := mockserver.DefaultUsers(fixedNow)
	require.Len(t, users, 3)
	passwords := map[string]string{
		"joe.bloggs": mockserver.DemoPassword,
		"ann.nurse":  "ann-demo-password",
		"bob.driver": "bob-demo-password",
	}
	for _, u := range users {
		assert.Equal(t, passwords[u.Username], u.Password, u.Username)
	}
	s, ts := start(t)

	const rounds = 8
	var wg sync.WaitGroup
	for round := 0; round < rounds; round++ {
		for _, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := newClient(t, ts, s)
				posted := c.login(u.Username, u.Password)
				if !assert.Equal(t, http.StatusFound, posted.resp.StatusCode, u.Username) {
					return
				}
				home := c.get("/")
				assert.Contains(t, home.body, "Welcome "+u.Name)
				roster := c.get(rosterPath)
				assert.Equal(t, u.Roster, parseRoster(t, roster.body), u.Username)
				c.get("/Account/LogOff")
			}()
		}
	}
	wg.Wait()
	assert.Equal(t, rounds*len(users), s.Logins())
	assert.Equal(t, 0, s.Sessions())
	assert.Equal(t, rounds*len(users)*5, len(s.Requests()))
}

func TestWithUsers(t *testing.T) {
	t.Parallel()
	roster := []snapshot.Item{{
		Date:   snapshot.Date{Year: 2019, Month: time.June, Day: 11},
		Title:  "ABCDE - Melbourne Office",
		Detail: []snapshot.Field{snapshot.Text("04:40 - 12:40"), snapshot.Empty, snapshot.Text("XYZ"), snapshot.Text("Assistant")},
	}}
	s, ts := start(t,
		mockserver.WithUsers(mockserver.User{Username: "Alice", Password: "pw1", Roster: roster}),
		mockserver.WithUsers(mockserver.User{Username: "bob", Password: "pw2", Name: "SMITH, BOB"}))
	roster[0].Title = "changed by the caller afterwards"

	alice := newClient(t, ts, s)
	require.Equal(t, http.StatusFound, alice.login("alice", "pw1").resp.StatusCode)
	assert.Contains(t, alice.get("/").body, "Welcome Alice", "Name defaults to Username")
	got := parseRoster(t, alice.get(rosterPath).body)
	require.Len(t, got, 1)
	assert.Equal(t, "ABCDE - Melbourne Office", got[0].Title, "the server kept its own copy")

	bob := newClient(t, ts, s)
	require.Equal(t, http.StatusFound, bob.login("bob", "pw2").resp.StatusCode)
	assert.Contains(t, bob.get("/").body, "Welcome SMITH, BOB")
	assert.Empty(t, parseRoster(t, bob.get(rosterPath).body), "an empty roster is a valid page")

	demo := newClient(t, ts, s)
	assert.Equal(t, http.StatusOK, demo.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode, "default users are replaced")

	none := mockserver.New(mockserver.WithUsers())
	assert.NotNil(t, none)
}

// WithMoreUsers adds generated users beside the demo login, which still
// works; a generated user never hides a default one.
func TestWithMoreUsers(t *testing.T) {
	t.Parallel()
	many := mockserver.GenerateUsers("user", 3, 7, fixedNow)
	clash := mockserver.User{Username: strings.ToUpper(mockserver.DemoUsername), Password: "not-the-demo-one"}
	s, ts := start(t, mockserver.WithMoreUsers(append(many, clash)...))

	for _, u := range many {
		c := newClient(t, ts, s)
		require.Equal(t, http.StatusFound, c.login(u.Username, u.Password).resp.StatusCode, u.Username)
		assert.Equal(t, normalize(u.Roster), normalize(parseRoster(t, c.get(rosterPath).body)), u.Username)
	}
	demo := newClient(t, ts, s)
	require.Equal(t, http.StatusFound, demo.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode,
		"the demo login is kept")
	other := newClient(t, ts, s)
	assert.NotEqual(t, http.StatusFound, other.login(mockserver.DemoUsername, "not-the-demo-one").resp.StatusCode,
		"the demo user is the default one, not the added one of the same name")
}

func TestDefaultRosterFollowsClock(t *testing.T) {
	t.Parallel()
	later := fixedNow.AddDate(0, 0, 10)
	s, ts := start(t, mockserver.WithClock(func() time.Time { return later }))
	c := newClient(t, ts, s)
	c.login(mockserver.DemoUsername, mockserver.DemoPassword)
	assert.Equal(t, mockserver.DemoRoster(later), parseRoster(t, c.get(rosterPath).body))
}

func TestConcurrentRequestsAndSessions(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(t, ts, s)
			c.login(mockserver.DemoUsername, mockserver.DemoPassword)
			_ = s.Requests()
			_ = s.Sessions()
			_ = s.Logins()
			s.SetFaults(s.Faults())
		}()
	}
	wg.Wait()
	assert.Equal(t, 20, s.Sessions())
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}
