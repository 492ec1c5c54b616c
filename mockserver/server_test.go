package mockserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
)

const rosterPath = "/Roster/List?pageNo=1&row=1"

func TestFullFlow(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	base := s.BasePath()
	require.Equal(t, mockserver.DefaultBasePath, base)

	// Login page: form, token field and anti-forgery cookie.
	login := c.get("/Account/Login")
	require.Equal(t, http.StatusOK, login.resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", login.resp.Header.Get("Content-Type"))
	assert.Equal(t, "account-login", pageID(login.doc))
	assert.Len(t, find(login.doc, isElem("div", "data-role", "content")), 1)
	forms := find(login.doc, isElem("form"))
	require.Len(t, forms, 1)
	assert.Equal(t, base+"/Account/Login", attr(forms[0], "action"))
	assert.Equal(t, "post", attr(forms[0], "method"))
	assert.Equal(t, "false", attr(forms[0], "data-ajax"))
	assert.NotEmpty(t, inputValue(login.doc, "__RequestVerificationToken"))
	assert.Len(t, find(login.doc, isElem("input", "id", "UserName", "name", "UserName", "type", "text")), 1)
	assert.Len(t, find(login.doc, isElem("input", "id", "Password", "name", "Password", "type", "password")), 1)
	assert.Len(t, find(login.doc, isElem("input", "id", "loginButton", "type", "submit", "value", "Log in")), 1)
	assert.Len(t, find(login.doc, isElem("div", "class", "validation-summary-valid")), 1)
	assert.Empty(t, validationMessages(login.doc))
	setCookies := login.resp.Header.Values("Set-Cookie")
	require.Len(t, setCookies, 1)
	assert.Regexp(t, `^__RequestVerificationToken=[A-Za-z0-9_-]+; path=/; HttpOnly$`, setCookies[0])

	// Good credentials: 302 home with a session cookie.
	posted := c.submitLogin(login, mockserver.DemoUsername, mockserver.DemoPassword)
	require.Equal(t, http.StatusFound, posted.resp.StatusCode, posted.body)
	assert.Equal(t, base+"/", posted.resp.Header.Get("Location"))
	setCookies = posted.resp.Header.Values("Set-Cookie")
	require.Len(t, setCookies, 1)
	assert.Regexp(t, `^\.ASPXAUTH=[0-9A-F]{64}; path=/; HttpOnly$`, setCookies[0])
	assert.Equal(t, 1, s.Logins())
	assert.Equal(t, 1, s.Sessions())

	home := c.getAbs(posted.resp.Header.Get("Location"))
	require.Equal(t, http.StatusOK, home.resp.StatusCode)
	assert.Equal(t, "home-index", pageID(home.doc))
	assert.Contains(t, text(find(home.doc, isElem("div", "data-role", "content"))[0]), "Welcome BLOGGS, JOE")
	assert.NotEmpty(t, find(home.doc, isElem("a", "href", base+rosterPath)))
	assert.NotEmpty(t, find(home.doc, isElem("a", "href", base+"/Account/LogOff")))

	// Roster: the user's items.
	roster := c.get(rosterPath)
	require.Equal(t, http.StatusOK, roster.resp.StatusCode)
	assert.Equal(t, "roster-list", pageID(roster.doc))
	assert.Equal(t, mockserver.DemoRoster(fixedNow), parseRoster(t, roster.body))

	// Log off: session gone, cookie cleared.
	out := c.get("/Account/LogOff")
	require.Equal(t, http.StatusFound, out.resp.StatusCode)
	assert.Equal(t, base+"/Account/Login", out.resp.Header.Get("Location"))
	assert.Equal(t, []string{".ASPXAUTH=; expires=Thu, 01-Jan-1970 00:00:00 GMT; path=/; HttpOnly"}, out.resp.Header.Values("Set-Cookie"))
	_, has := c.cookie(".ASPXAUTH")
	assert.False(t, has, "the jar dropped .ASPXAUTH")
	assert.Equal(t, 0, s.Sessions())
	again := c.getAbs(out.resp.Header.Get("Location"))
	assert.Equal(t, "account-login", pageID(again.doc))

	// Roster again: the login page, remembering where we were going.
	denied := c.get(rosterPath)
	require.Equal(t, http.StatusFound, denied.resp.StatusCode)
	assert.Equal(t, base+"/Account/Login?ReturnUrl=%2fRosterOnProd%2fMobile%2fRoster%2fList%3fpageNo%3d1%26row%3d1", denied.resp.Header.Get("Location"))

	var paths []string
	for _, r := range s.Requests() {
		paths = append(paths, r.Method+" "+r.Path)
		assert.True(t, r.Time.Equal(fixedNow))
	}
	assert.Equal(t, []string{
		"GET " + base + "/Account/Login",
		"POST " + base + "/Account/Login",
		"GET " + base + "/",
		"GET " + base + rosterPath,
		"GET " + base + "/Account/LogOff",
		"GET " + base + "/Account/Login",
		"GET " + base + rosterPath,
	}, paths)
	assert.Equal(t, 1, s.Logins())
}

func TestStaleSessionCookieIsNotLoggedIn(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	u, err := url.Parse(ts.URL + "/")
	require.NoError(t, err)
	c.jar.SetCookies(u, []*http.Cookie{{Name: ".ASPXAUTH", Value: strings.Repeat("AB", 32), Path: "/"}})
	r := c.get("/")
	require.Equal(t, http.StatusFound, r.resp.StatusCode)
	assert.Equal(t, s.BasePath()+"/Account/Login?ReturnUrl=%2fRosterOnProd%2fMobile%2f", r.resp.Header.Get("Location"))
}

func TestLoginCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		username string
		password string
		ok       bool
	}{
		{"good", mockserver.DemoUsername, mockserver.DemoPassword, true},
		{"username in another case", "JOE.Bloggs", mockserver.DemoPassword, true},
		{"second default user", "ann.nurse", "ann-demo-password", true},
		{"third default user", "bob.driver", "bob-demo-password", true},
		{"wrong password", mockserver.DemoUsername, "wrong", false},
		{"password in another case", mockserver.DemoUsername, strings.ToUpper(mockserver.DemoPassword), false},
		{"another user's password", mockserver.DemoUsername, "ann-demo-password", false},
		{"unknown user", "nobody", mockserver.DemoPassword, false},
		{"empty password", mockserver.DemoUsername, "", false},
		{"empty username", "", mockserver.DemoPassword, false},
		{"password with trailing blank", mockserver.DemoUsername, mockserver.DemoPassword + " ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts := start(t)
			c := newClient(t, ts, s)
			r := c.login(tt.username, tt.password)
			_, hasAuth := c.cookie(".ASPXAUTH")
			if tt.ok {
				assert.Equal(t, http.StatusFound, r.resp.StatusCode)
				assert.True(t, hasAuth)
				assert.Equal(t, 1, s.Logins())
				return
			}
			require.Equal(t, http.StatusOK, r.resp.StatusCode)
			assert.Equal(t, "account-login", pageID(r.doc))
			assert.Equal(t, []string{"Logon failure: unknown user name or bad password."}, validationMessages(r.doc))
			assert.Empty(t, find(r.doc, isElem("div", "class", "validation-summary-valid")))
			assert.Equal(t, tt.username, inputValue(r.doc, "UserName"), "user name filled in again")
			assert.Empty(t, inputValue(r.doc, "Password"), "password never echoed")
			assert.False(t, hasAuth)
			assert.Equal(t, 0, s.Logins())

			// The page's form works for a second try.
			retry := c.submitLogin(r, mockserver.DemoUsername, mockserver.DemoPassword)
			assert.Equal(t, http.StatusFound, retry.resp.StatusCode)
		})
	}
}

func TestUsernameEchoIsEscaped(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	evil := `"><script>alert('x')</script>&amp;`
	r := c.login(evil, "nope")
	require.Equal(t, http.StatusOK, r.resp.StatusCode)
	assert.Equal(t, evil, inputValue(r.doc, "UserName"))
	assert.Len(t, find(r.doc, isElem("script")), 1, "only the site script, nothing injected")
	assert.NotContains(t, r.body, "<script>alert")
}

func TestAntiForgery(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	other, otherTS := start(t)

	tests := []struct {
		name    string
		prepare func(t *testing.T) (*client, url.Values)
		message string
	}{
		{
			name: "no cookie",
			prepare: func(t *testing.T) (*client, url.Values) {
				donor := newClient(t, ts, s)
				tok := inputValue(donor.get("/Account/Login").doc, "__RequestVerificationToken")
				return newClient(t, ts, s), url.Values{"__RequestVerificationToken": {tok}}
			},
			message: `The required anti-forgery cookie "__RequestVerificationToken" is not present.`,
		},
		{
			name: "no field",
			prepare: func(t *testing.T) (*client, url.Values) {
				c := newClient(t, ts, s)
				c.get("/Account/Login")
				return c, url.Values{}
			},
			message: `The required anti-forgery form field "__RequestVerificationToken" is not present.`,
		},
		{
			name: "field of another cookie",
			prepare: func(t *testing.T) (*client, url.Values) {
				donor := newClient(t, ts, s)
				tok := inputValue(donor.get("/Account/Login").doc, "__RequestVerificationToken")
				c := newClient(t, ts, s)
				c.get("/Account/Login")
				return c, url.Values{"__RequestVerificationToken": {tok}}
			},
			message: "do not match",
		},
		{
			name: "tokens of another server",
			prepare: func(t *testing.T) (*client, url.Values) {
				donor := newClient(t, otherTS, other)
				tok := inputValue(donor.get("/Account/Login").doc, "__RequestVerificationToken")
				c := newClient(t, ts, s)
				u, err := url.Parse(otherTS.URL + "/")
				require.NoError(t, err)
				cookies := donor.jar.Cookies(u)
				require.Len(t, cookies, 1)
				mine, err := url.Parse(ts.URL + "/")
				require.NoError(t, err)
				c.jar.SetCookies(mine, cookies)
				return c, url.Values{"__RequestVerificationToken": {tok}}
			},
			message: "could not be decrypted",
		},
		{
			name: "garbage cookie",
			prepare: func(t *testing.T) (*client, url.Values) {
				c := newClient(t, ts, s)
				mine, err := url.Parse(ts.URL + "/")
				require.NoError(t, err)
				c.jar.SetCookies(mine, []*http.Cookie{{Name: "__RequestVerificationToken", Value: "not-a-token", Path: "/"}})
				return c, url.Values{"__RequestVerificationToken": {"not-a-token"}}
			},
			message: "could not be decrypted",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, form := tt.prepare(t)
			form.Set("UserName", mockserver.DemoUsername)
			form.Set("Password", mockserver.DemoPassword)
			r := c.postAbs(s.BasePath()+"/Account/Login", form)
			assert.Equal(t, http.StatusInternalServerError, r.resp.StatusCode)
			assert.Empty(t, pageIDs(r.doc), "an error page has no jQuery Mobile page")
			assert.Contains(t, text(r.doc), tt.message)
			assert.Empty(t, r.resp.Header.Values("Set-Cookie"))
		})
	}
	assert.Equal(t, 0, s.Logins())
}

func TestAntiForgeryCookieReuse(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	first := c.get("/Account/Login")
	require.Len(t, first.resp.Header.Values("Set-Cookie"), 1)
	cookie, ok := c.cookie("__RequestVerificationToken")
	require.True(t, ok)

	second := c.get("/Account/Login")
	assert.Empty(t, second.resp.Header.Values("Set-Cookie"), "a valid cookie token is kept")
	assert.Equal(t, inputValue(first.doc, "__RequestVerificationToken"), inputValue(second.doc, "__RequestVerificationToken"))
	still, _ := c.cookie("__RequestVerificationToken")
	assert.Equal(t, cookie, still)

	// The first page's form still works: tokens belong to the cookie.
	assert.Equal(t, http.StatusFound, c.submitLogin(first, mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)

	// A cookie this server did not issue is replaced.
	fresh := newClient(t, ts, s)
	u, err := url.Parse(ts.URL + "/")
	require.NoError(t, err)
	fresh.jar.SetCookies(u, []*http.Cookie{{Name: "__RequestVerificationToken", Value: "forged", Path: "/"}})
	r := fresh.get("/Account/Login")
	assert.Len(t, r.resp.Header.Values("Set-Cookie"), 1)
	assert.Equal(t, http.StatusFound, fresh.submitLogin(r, mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
}
