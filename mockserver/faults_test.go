package mockserver_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
)

func TestFaultProxy403(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithFault(mockserver.FaultProxy403))
	c := newClient(t, ts, s)
	for _, path := range []string{"/Account/Login", "/", rosterPath, "/Account/LogOff", "/Content/site.css", "/nowhere"} {
		r := c.get(path)
		assert.Equal(t, http.StatusForbidden, r.resp.StatusCode, path)
		assert.Empty(t, pageIDs(r.doc), path)
		assert.Contains(t, text(r.doc), "403 Forbidden", path)
		assert.Empty(t, r.resp.Header.Values("Set-Cookie"), path)
	}
	assert.Len(t, s.Requests(), 6, "refused requests are still seen")
}

// Each validation fault refuses every login, good password or not, with
// its own message on the login page: a refusal that is not the known
// "bad password" sentence.
func TestValidationFaults(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		fault mockserver.Fault
		msg   string
	}{
		{mockserver.FaultOtherValidation, "The authentication mechanism is unknown."},
		{mockserver.FaultAccountLocked, "The referenced account is currently locked out and may not be logged on to."},
		{mockserver.FaultFrenchValidation, "Échec de l'ouverture de session : nom d'utilisateur inconnu ou mot de passe incorrect."},
	} {
		t.Run(tt.fault.String(), func(t *testing.T) {
			t.Parallel()
			s, ts := start(t, mockserver.WithFault(tt.fault))
			for _, password := range []string{mockserver.DemoPassword, "wrong"} {
				c := newClient(t, ts, s)
				r := c.login(mockserver.DemoUsername, password)
				require.Equal(t, http.StatusOK, r.resp.StatusCode)
				assert.Equal(t, "account-login", pageID(r.doc))
				assert.Equal(t, []string{tt.msg}, validationMessages(r.doc))
				assert.Equal(t, mockserver.DemoUsername, inputValue(r.doc, "UserName"))
				_, hasAuth := c.cookie(".ASPXAUTH")
				assert.False(t, hasAuth)
			}
			assert.Equal(t, 0, s.Logins())

			// A bad token is still a 500: the check comes first.
			c := newClient(t, ts, s)
			r := c.postAbs(s.BasePath()+"/Account/Login", url.Values{"UserName": {"x"}, "Password": {"y"}})
			assert.Equal(t, http.StatusInternalServerError, r.resp.StatusCode)
		})
	}
}

// FaultScriptLoginField's form as sent holds an empty hidden field and
// the script that sets it: a post without the script's value is refused
// with the "bad password" message even with the right password, and one
// with it logs in.
func TestFaultScriptLoginField(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithFault(mockserver.FaultScriptLoginField))
	c := newClient(t, ts, s)
	page := c.get("/Account/Login")
	require.Equal(t, http.StatusOK, page.resp.StatusCode)
	require.Len(t, find(page.doc, isElem("input", "name", "ClientCheck")), 1, page.body)
	assert.Empty(t, inputValue(page.doc, "ClientCheck"), "empty as sent")
	m := regexp.MustCompile(`input\[name="ClientCheck"\]'\)\.value = "([^"]+)"`).FindStringSubmatch(page.body)
	require.Len(t, m, 2, "the script that sets it: %s", page.body)

	refused := c.submitLogin(page, mockserver.DemoUsername, mockserver.DemoPassword)
	require.Equal(t, http.StatusOK, refused.resp.StatusCode)
	assert.Equal(t, "account-login", pageID(refused.doc))
	assert.Equal(t, []string{"Logon failure: unknown user name or bad password."}, validationMessages(refused.doc))
	assert.Equal(t, 0, s.Logins())

	post := func(password string) result {
		return c.postAbs(s.BasePath()+"/Account/Login", url.Values{
			"__RequestVerificationToken": {inputValue(refused.doc, "__RequestVerificationToken")},
			"ClientCheck":                {m[1]},
			"UserName":                   {mockserver.DemoUsername},
			"Password":                   {password},
		})
	}
	wrong := post("wrong")
	assert.Equal(t, []string{"Logon failure: unknown user name or bad password."}, validationMessages(wrong.doc), "the field does not make a wrong password right")
	ok := post(mockserver.DemoPassword)
	assert.Equal(t, http.StatusFound, ok.resp.StatusCode, ok.body)
	assert.Equal(t, 1, s.Logins())
}

var scriptToken = regexp.MustCompile(`token:\s*"([^"]+)"`)

func TestFaultScriptLoginForm(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithFault(mockserver.FaultScriptLoginForm))
	c := newClient(t, ts, s)
	r := c.get("/Account/Login")
	require.Equal(t, http.StatusOK, r.resp.StatusCode)
	assert.Equal(t, "account-login", pageID(r.doc))
	assert.Empty(t, find(r.doc, isElem("form")), "a plain HTTP client sees no form")
	assert.Empty(t, find(r.doc, isElem("input")))
	assert.NotContains(t, r.body, "<form")
	assert.NotEmpty(t, r.resp.Header.Values("Set-Cookie"), "the cookie token is still set")

	// The script carries a working form token (JS-escaped).
	m := scriptToken.FindStringSubmatch(r.body)
	require.Len(t, m, 2, r.body)
	token, err := strconv.Unquote(`"` + m[1] + `"`)
	require.NoError(t, err)
	posted := c.postAbs(s.BasePath()+"/Account/Login", url.Values{
		"__RequestVerificationToken": {token},
		"UserName":                   {mockserver.DemoUsername},
		"Password":                   {mockserver.DemoPassword},
	})
	assert.Equal(t, http.StatusFound, posted.resp.StatusCode, posted.body)

	// After bad credentials the page is scripted too.
	c2 := newClient(t, ts, s)
	c2.get("/Account/Login")
	page := c2.get("/Account/Login")
	m = scriptToken.FindStringSubmatch(page.body)
	require.Len(t, m, 2)
	token, err = strconv.Unquote(`"` + m[1] + `"`)
	require.NoError(t, err)
	bad := c2.postAbs(s.BasePath()+"/Account/Login", url.Values{
		"__RequestVerificationToken": {token},
		"UserName":                   {"nobody"},
		"Password":                   {"nothing"},
	})
	assert.Equal(t, http.StatusOK, bad.resp.StatusCode)
	assert.Empty(t, find(bad.doc, isElem("form")))
	assert.Contains(t, bad.body, "Logon failure: unknown user name or bad password.")
}

func TestFaultLoginError500(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithFault(mockserver.FaultLoginError500))
	c := newClient(t, ts, s)
	r := c.get("/Account/Login")
	assert.Equal(t, http.StatusInternalServerError, r.resp.StatusCode)
	assert.Empty(t, pageIDs(r.doc))
	assert.Contains(t, text(r.doc), "Server Error in '/RosterOnProd/Mobile' Application.")
	assert.Empty(t, r.resp.Header.Values("Set-Cookie"))

	// Other pages still answer.
	home := c.get("/")
	assert.Equal(t, http.StatusFound, home.resp.StatusCode)
}

func TestFaultsCombine(t *testing.T) {
	t.Parallel()
	s, ts := start(t,
		mockserver.WithFault(mockserver.FaultLoginError500),
		mockserver.WithFault(mockserver.FaultProxy403|mockserver.FaultScriptLoginForm))
	assert.Equal(t, mockserver.FaultProxy403|mockserver.FaultScriptLoginForm|mockserver.FaultLoginError500, s.Faults())
	c := newClient(t, ts, s)
	assert.Equal(t, http.StatusForbidden, c.get("/Account/Login").resp.StatusCode, "the proxy answers first")

	s.SetFaults(mockserver.FaultLoginError500 | mockserver.FaultScriptLoginForm)
	assert.Equal(t, http.StatusInternalServerError, c.get("/Account/Login").resp.StatusCode)

	s.SetFaults(mockserver.FaultScriptLoginForm | mockserver.FaultOtherValidation)
	r := c.get("/Account/Login")
	assert.Equal(t, http.StatusOK, r.resp.StatusCode)
	assert.Empty(t, find(r.doc, isElem("form")))
}

func TestSetFaultsMidSession(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	s.SetFaults(mockserver.FaultProxy403)
	assert.Equal(t, http.StatusForbidden, c.get(rosterPath).resp.StatusCode)
	s.SetFaults(0)
	assert.Equal(t, http.StatusOK, c.get(rosterPath).resp.StatusCode, "the session survived the proxy")
}

func TestFaultString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    mockserver.Fault
		text string
	}{
		{0, "none"},
		{mockserver.FaultProxy403, "Proxy403"},
		{mockserver.FaultScriptLoginForm | mockserver.FaultOtherValidation, "OtherValidation|ScriptLoginForm"},
		{mockserver.FaultLoginError500 | 1<<20, "LoginError500|0x100000"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.text, tt.f.String())
	}
	for _, in := range []string{"none", "", "Proxy403", "faultproxy403", "ScriptLoginForm|LoginError500", " otherValidation , proxy403 "} {
		f, err := mockserver.ParseFault(in)
		require.NoError(t, err, in)
		again, err := mockserver.ParseFault(f.String())
		require.NoError(t, err)
		assert.Equal(t, f, again, in)
	}
	f, err := mockserver.ParseFault("proxy403,ScriptLoginForm")
	require.NoError(t, err)
	assert.Equal(t, mockserver.FaultProxy403|mockserver.FaultScriptLoginForm, f)
	_, err = mockserver.ParseFault("Proxy404")
	assert.ErrorContains(t, err, "Proxy404")
}

func TestLatency(t *testing.T) {
	const d = 150 * time.Millisecond
	s, ts := start(t, mockserver.WithLatency(d))
	c := newClient(t, ts, s)
	began := time.Now()
	r := c.get("/Account/Login")
	assert.Equal(t, http.StatusOK, r.resp.StatusCode)
	assert.GreaterOrEqual(t, time.Since(began), d)

	// A client that gives up gets no answer, and the server lets go.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/Account/Login", nil)
	require.NoError(t, err)
	resp, err := c.http.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
}

func TestOversizedLoginPost(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	c := newClient(t, ts, s)
	c.get("/Account/Login")
	r := c.postAbs(s.BasePath()+"/Account/Login", url.Values{"UserName": {strings.Repeat("x", 2<<20)}})
	assert.Equal(t, http.StatusBadRequest, r.resp.StatusCode)
	assert.Empty(t, pageIDs(r.doc))
}
