package join_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/join"
	"github.com/rosteron/rosteron/store"
)

// joinAndLogin joins username and logs a new client in to manage it.
func (e *env) joinAndLogin(username string) (*client, joined, *store.Account) {
	e.t.Helper()
	j := e.join(e.newClient(), username)
	a, err := e.store.ByToken(context.Background(), j.token)
	require.NoError(e.t, err)
	c := e.newClient()
	e.login(c, j.manage)
	return c, j, a
}

// done checks a change's answer: back to the manage page with its notice.
func done(t *testing.T, res *response, notice string) {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.body)
	assert.Contains(t, res.Header.Get("Location"), "/manage/?done="+notice)
	assertHeadersOnly(t, res)
}

func assertHeadersOnly(t *testing.T, res *response) {
	t.Helper()
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "form-action 'self';")
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
	assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
}

func (e *env) account(id store.ID) *store.Account {
	e.t.Helper()
	a, err := e.store.Get(context.Background(), id)
	require.NoError(e.t, err)
	return a
}

func TestManageLogin(t *testing.T) {
	e := newEnv(t)
	j := e.join(e.newClient(), "alice")
	c := e.newClient()

	res := c.get("/manage/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assertPageHeaders(t, res)
	assert.Contains(t, res.body, `action="/manage/login"`)
	assert.NotContains(t, res.body, "alice")

	for _, code := range []string{"", "wrong", j.token, strings.Repeat("x", 300)} {
		res = c.post("/manage/login", url.Values{"code": {code}})
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
		assert.Contains(t, res.body, "That manage code is not right")
		assertPageHeaders(t, res)
	}
	assert.Empty(t, cookieNames(c), "a wrong code gave a manage cookie")

	res = c.post("/manage/login", url.Values{"code": {" " + j.manage + " "}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	ck := setCookie(t, res, "rosteron-manage")
	assert.True(t, ck.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, ck.SameSite)
	assert.Equal(t, "/manage/", ck.Path)
	assert.False(t, ck.Secure, "a loopback http public URL cannot carry a Secure cookie")
	assert.Equal(t, 30*60, ck.MaxAge)
	assert.NotContains(t, ck.Value, j.manage, "the cookie holds the manage code in clear")
	e.secret(ck.Value)

	res = c.get("/manage/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assertPageHeaders(t, res)
	for _, want := range []string{"alice", "roster.hospital-a.example", testZone, "Starting", "none yet",
		`action="/manage/zone"`, `action="/manage/alerts"`, `action="/manage/caldav"`, `action="/manage/pause"`,
		`action="/manage/password"`, `action="/manage/token"`, `action="/manage/delete"`, `action="/manage/logout"`} {
		assert.Contains(t, res.body, want)
	}
	assert.NotContains(t, res.body, j.token, "the manage page shows the feed token")
	assert.NotContains(t, res.body, j.manage, "the manage page shows the manage code")
	assert.Contains(t, e.log.String(), "(alice@roster.hospital-a.example) logged in to manage it")

	// Log out.
	res = c.post("/manage/logout", nil)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	res = c.get("/manage/")
	assert.Contains(t, res.body, `action="/manage/login"`)
	assert.NotContains(t, res.body, "alice")
}

func TestManageShowsHealth(t *testing.T) {
	e := newEnv(t)
	c, _, a := e.joinAndLogin("alice")
	ctx := context.Background()
	require.NoError(t, e.store.SetHealth(ctx, a.ID, store.Health{
		State:       feed.StateStale,
		Why:         "RosterOn did not answer",
		LastGood:    time.Date(2026, 12, 4, 22, 15, 0, 0, time.UTC),
		NextRefresh: time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC),
	}))
	res := c.get("/manage/")
	assert.Contains(t, res.body, "Stale")
	assert.Contains(t, res.body, "RosterOn did not answer")
	assert.Contains(t, res.body, "Sat 5 Dec 2026, 09:15 AEDT", "the last good refresh in the account's zone")
	assert.Contains(t, res.body, "Sat 5 Dec 2026, 20:30 AEDT")
}

func TestManageZone(t *testing.T) {
	e := newEnv(t)
	c, _, a := e.joinAndLogin("alice")
	done(t, c.post("/manage/zone", url.Values{"zone": {"Pacific/Auckland"}}), "zone")
	assert.Equal(t, "Pacific/Auckland", e.account(a.ID).Zone)
	assert.Equal(t, []store.ID{a.ID, a.ID}, e.svc.reloaded(), "joined, then the zone")

	res := c.get("/manage/?done=zone")
	assert.Contains(t, res.body, "The time zone is saved.")
	assert.Contains(t, res.body, `value="Pacific/Auckland"`)

	res = c.post("/manage/zone", url.Values{"zone": {"Nowhere/Special"}})
	assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.body, "That is not a time zone")
	assert.Equal(t, "Pacific/Auckland", e.account(a.ID).Zone)
	assert.Contains(t, e.log.String(), "(alice@roster.hospital-a.example) set its zone to Pacific/Auckland")
}

func TestManageAlerts(t *testing.T) {
	e := newEnv(t)
	c, _, a := e.joinAndLogin("alice")
	ctx := context.Background()
	const topic = "https://ntfy.sh/alice-roster-5f2b9c81d4"
	e.secret("alice-roster-5f2b9c81d4")
	// An operator's target is kept through the owner's changes.
	const operators = "json+https://hooks.example.org/roster"
	require.NoError(t, e.store.SetSettings(ctx, a.ID, &store.Settings{Notify: []string{operators}}))

	done(t, c.post("/manage/alerts", url.Values{"ntfy": {topic}, "email": {"alice@example.org"}}), "alerts")
	set, err := e.store.Settings(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{operators, topic, "mailto:alice@example.org"}, set.Notify)

	res := c.get("/manage/")
	assert.Contains(t, res.body, `value="`+topic+`"`)
	assert.Contains(t, res.body, `value="alice@example.org"`)
	assert.Contains(t, res.body, "1 more alert target(s)")

	// Bad ones are refused, and nothing changes.
	for _, f := range []url.Values{
		{"ntfy": {"http://ntfy.sh/topic"}},
		{"ntfy": {"ntfy.sh/topic"}},
		{"ntfy": {"mailto:alice@example.org"}},
		{"email": {"not an address"}},
		{"email": {"Alice <alice@example.org>"}},
	} {
		res := c.post("/manage/alerts", f)
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "%v", f)
	}
	set, err = e.store.Settings(ctx, a.ID)
	require.NoError(t, err)
	assert.Len(t, set.Notify, 3)

	// Both empty: the owner's alerts are off, the operator's stay.
	done(t, c.post("/manage/alerts", url.Values{"ntfy": {""}, "email": {""}}), "alerts")
	set, err = e.store.Settings(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{operators}, set.Notify)
}

func TestManageCalDAV(t *testing.T) {
	e := newEnv(t)
	c, _, a := e.joinAndLogin("alice")
	ctx := context.Background()
	const calPass = "caldav-app-password-7781"
	e.secret(calPass)
	f := url.Values{
		"do": {"set"}, "url": {"https://cloud.example.org/remote.php/dav"},
		"username": {"alice"}, "password": {calPass}, "calendar": {"Roster"},
	}
	done(t, c.post("/manage/caldav", f), "caldav")
	set, err := e.store.Settings(ctx, a.ID)
	require.NoError(t, err)
	require.NotNil(t, set.CalDAV)
	assert.Equal(t, store.CalDAV{URL: "https://cloud.example.org/remote.php/dav", Username: "alice", Password: calPass, Calendar: "Roster"}, *set.CalDAV)
	assert.False(t, bytes.Contains(e.storeBytes(), []byte(calPass)), "the CalDAV password is in the store in clear")

	res := c.get("/manage/")
	assert.Contains(t, res.body, "https://cloud.example.org/remote.php/dav (Roster)")
	assert.NotContains(t, res.body, calPass, "the manage page shows the CalDAV password")

	// An empty password keeps the one saved, for the same server and user.
	f.Set("password", "")
	f.Set("calendar", "Work")
	done(t, c.post("/manage/caldav", f), "caldav")
	set, err = e.store.Settings(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, calPass, set.CalDAV.Password)
	assert.Equal(t, "Work", set.CalDAV.Calendar)
	// Not for another server.
	f.Set("url", "https://other.example.org/dav")
	assert.Equal(t, http.StatusUnprocessableEntity, c.post("/manage/caldav", f).StatusCode)

	for _, bad := range []string{"http://cloud.example.org/dav", "https://alice:pw@cloud.example.org/dav", "cloud.example.org", ""} {
		g := url.Values{"do": {"set"}, "url": {bad}, "username": {"alice"}, "password": {"x"}}
		assert.Equal(t, http.StatusUnprocessableEntity, c.post("/manage/caldav", g).StatusCode, bad)
	}

	done(t, c.post("/manage/caldav", url.Values{"do": {"remove"}}), "nocaldav")
	set, err = e.store.Settings(ctx, a.ID)
	require.NoError(t, err)
	assert.Nil(t, set.CalDAV)
	assert.Contains(t, e.log.String(), "set its calendar sync to https://cloud.example.org")
	assert.Contains(t, e.log.String(), "stopped its calendar sync")
}

func TestManageNewToken(t *testing.T) {
	e := newEnv(t)
	c, j, a := e.joinAndLogin("alice")
	ctx := context.Background()
	res := c.post("/manage/token", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assertPageHeaders(t, res)
	nj := e.parseJoined(res)
	assert.NotEqual(t, j.token, nj.token)
	require.NoError(t, feed.CheckToken(nj.token))
	assert.Empty(t, nj.manage, "the new address page shows the manage code")

	_, err := e.store.ByToken(ctx, j.token)
	assert.ErrorIs(t, err, store.ErrNotFound, "the old token still works")
	b, err := e.store.ByToken(ctx, nj.token)
	require.NoError(t, err)
	assert.Equal(t, a.ID, b.ID)
	assert.Equal(t, []store.ID{a.ID, a.ID}, e.svc.reloaded())

	assertQR(t, nj.page, nj.qr)
	assert.Contains(t, e.log.String(), "(alice@roster.hospital-a.example) got a new feed address")
}

func TestManagePauseResume(t *testing.T) {
	e := newEnv(t)
	c, _, a := e.joinAndLogin("alice")
	done(t, c.post("/manage/pause", nil), "paused")
	got := e.account(a.ID)
	assert.True(t, got.Paused)
	assert.Equal(t, join.PausedByOwner, got.PauseReason)
	res := c.get("/manage/")
	assert.Contains(t, res.body, `action="/manage/resume"`)
	assert.Contains(t, res.body, join.PausedByOwner)

	done(t, c.post("/manage/resume", nil), "resumed")
	assert.False(t, e.account(a.ID).Paused)
	assert.Equal(t, []store.ID{a.ID, a.ID, a.ID}, e.svc.reloaded())

	// A pause the owner did not make is not the owner's to end.
	require.NoError(t, e.store.SetPaused(context.Background(), a.ID, true, "paused by the operator"))
	res = c.post("/manage/resume", nil)
	assert.Equal(t, http.StatusConflict, res.StatusCode)
	assert.True(t, e.account(a.ID).Paused)
}

func TestManagePassword(t *testing.T) {
	e := newEnv(t)
	c, _, a := e.joinAndLogin("alice")
	ctx := context.Background()
	const newPassword = "a whole new password 2027"
	e.secret(newPassword)
	// RosterOn made alice change her password, and the service paused her
	// account when the old one was refused.
	e.check.set(newPassword, false)
	require.NoError(t, e.store.SetPaused(ctx, a.ID, true, "RosterOn rejected the password"))
	calls := e.check.count()

	res := c.get("/manage/")
	assert.Contains(t, res.body, "update your RosterOn password below")
	assert.NotContains(t, res.body, `action="/manage/resume"`)

	res = c.post("/manage/password", url.Values{"password": {goodPassword}})
	assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.body, "RosterOn did not accept that password")
	pw, err := e.store.Password(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, goodPassword, pw, "a refused password replaced the saved one")
	assert.True(t, e.account(a.ID).Paused)

	done(t, c.post("/manage/password", url.Values{"password": {newPassword}}), "password")
	pw, err = e.store.Password(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, newPassword, pw)
	assert.False(t, e.account(a.ID).Paused, "the password pause was not ended")
	assert.Equal(t, calls+2, e.check.count())
	assert.Equal(t, []store.ID{a.ID}, e.svc.verified(), "the service was not told the password was verified")
	assert.Contains(t, e.log.String(), "updated its RosterOn password, and is resumed")

	// The owner's own pause stays through a password update.
	require.NoError(t, e.store.SetPaused(ctx, a.ID, true, join.PausedByOwner))
	done(t, c.post("/manage/password", url.Values{"password": {newPassword}}), "password")
	assert.True(t, e.account(a.ID).Paused)

	// RosterOn down: nothing changes.
	e.check.set(newPassword, true)
	res = c.post("/manage/password", url.Values{"password": {newPassword + "!"}})
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	pw, err = e.store.Password(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, newPassword, pw)
}

func TestManagePasswordRateLimited(t *testing.T) {
	e := newEnv(t, func(c *join.Config) {
		c.Limits = join.Limits{Password: join.Limit{N: 2, Per: 15 * time.Minute}}
	})
	c, _, _ := e.joinAndLogin("alice") // one check
	for range 2 {
		res := c.post("/manage/password", url.Values{"password": {badPassword}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	}
	res := c.post("/manage/password", url.Values{"password": {badPassword}})
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	assert.NotEmpty(t, res.Header.Get("Retry-After"))
	assert.Equal(t, 3, e.check.count(), "RosterOn was asked past the limit")
}

func TestManageDelete(t *testing.T) {
	e := newEnv(t)
	c, j, a := e.joinAndLogin("alice")
	ctx := context.Background()
	require.NoError(t, e.store.SaveBlob(ctx, a.ID, "roster.json", []byte(`{"roster":"alice's shifts"}`)))

	res := c.post("/manage/delete", nil)
	assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.body, "Tick the box")
	e.account(a.ID)
	assert.Empty(t, e.svc.removed())

	// Without the manage code typed again, nothing is deleted.
	for _, current := range []string{"", "wrong code", j.token} {
		res = c.post("/manage/delete", url.Values{"confirm": {"yes"}, "current": {current}})
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
		assert.Contains(t, res.body, "Type your current manage code")
	}
	e.account(a.ID)
	assert.Empty(t, e.svc.removed())

	res = c.post("/manage/delete", url.Values{"confirm": {"yes"}, "current": {j.manage}})
	require.Equal(t, http.StatusOK, res.StatusCode)
	assertPageHeaders(t, res)
	assert.Contains(t, res.body, "Your account is deleted")
	assert.Contains(t, res.body, "erased")
	ck := setCookie(t, res, "rosteron-manage")
	assert.Less(t, ck.MaxAge, 0, "the manage cookie is not cleared")

	_, err := e.store.Get(ctx, a.ID)
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = e.store.ByToken(ctx, j.token)
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = e.store.ByManage(ctx, j.manage)
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.Equal(t, []store.ID{a.ID}, e.svc.removed())
	assert.False(t, bytes.Contains(e.storeBytes(), []byte("alice's shifts")), "the roster is still in the store's bytes")
	assert.Contains(t, e.log.String(), "(alice@roster.hospital-a.example) deleted by its owner")

	res = c.get("/manage/")
	assert.Contains(t, res.body, `action="/manage/login"`)
	// The same code no longer logs in.
	res = e.newClient().post("/manage/login", url.Values{"code": {j.manage}})
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
}

func TestManageCodeChangeEndsSessions(t *testing.T) {
	e := newEnv(t)
	c, j, a := e.joinAndLogin("alice")
	other := e.newClient()
	e.login(other, j.manage)

	// A new manage code from the page: shown once, the old one dead, this
	// session kept, the other one ended.
	// Not without the current code typed again: a stolen cookie cannot
	// take the account over.
	res := c.post("/manage/code", nil)
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	assert.Contains(t, res.body, "Type your current manage code")
	_, err := e.store.ByManage(context.Background(), j.manage)
	require.NoError(t, err, "the code changed without the current one")

	res = c.post("/manage/code", url.Values{"current": {j.manage}})
	require.Equal(t, http.StatusOK, res.StatusCode)
	assertPageHeaders(t, res)
	m := manageRE.FindStringSubmatch(res.body)
	require.NotNil(t, m)
	code := m[1]
	e.secret(code)
	assert.NotEqual(t, j.manage, code)
	b, err := e.store.ByManage(context.Background(), code)
	require.NoError(t, err)
	assert.Equal(t, a.ID, b.ID)
	assert.Contains(t, c.get("/manage/").body, `action="/manage/zone"`, "the session that changed the code ended")

	res = other.get("/manage/")
	assert.Contains(t, res.body, `action="/manage/login"`, "a session from before the change goes on")
	res = other.post("/manage/zone", url.Values{"zone": {"Europe/London"}})
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	assert.Contains(t, res.body, "Your manage session has ended")
	assert.Equal(t, testZone, e.account(a.ID).Zone)

	// And a change made elsewhere (the store) ends the rest.
	_, err = e.store.NewManage(context.Background(), a.ID)
	require.NoError(t, err)
	res = c.post("/manage/pause", nil)
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	assert.False(t, e.account(a.ID).Paused)

	res = e.newClient().post("/manage/login", url.Values{"code": {j.manage}})
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
}

func TestManageSessionExpires(t *testing.T) {
	e := newEnv(t)
	c, _, a := e.joinAndLogin("alice")
	e.clock.Add(29 * time.Minute)
	assert.Contains(t, c.get("/manage/").body, `action="/manage/zone"`)
	e.clock.Add(time.Minute)
	// The jar keeps the cookie (its clock is the real one): the server
	// refuses it all the same.
	res := c.post("/manage/zone", url.Values{"zone": {"Europe/London"}})
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	assert.Equal(t, testZone, e.account(a.ID).Zone)
}

func TestManageCookieForged(t *testing.T) {
	e := newEnv(t)
	_, _, a := e.joinAndLogin("alice")
	c := e.newClient()
	c.get("/join")
	u, _ := url.Parse(e.public + "/manage/")
	for _, v := range []string{"", "x", strings.Repeat("A", 80)} {
		c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "rosteron-manage", Value: v, Path: "/manage/"}})
		res := c.post("/manage/pause", nil)
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
	}
	assert.False(t, e.account(a.ID).Paused)
}

// TestSecureCookies serves an https public URL: the cookies are Secure,
// the CSRF one __Host- prefixed.
func TestSecureCookies(t *testing.T) {
	e := newTLSEnv(t)
	res := e.client.get("/join")
	require.Equal(t, http.StatusOK, res.StatusCode)
	ck := setCookie(t, res, "__Host-rosteron-csrf")
	assert.True(t, ck.Secure)
	assert.True(t, ck.HttpOnly)
	assert.Equal(t, "/", ck.Path)
	assert.Empty(t, ck.Domain)

	j := e.join(e.client, "alice")
	res = e.client.post("/manage/login", url.Values{"code": {j.manage}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.body)
	ck = setCookie(t, res, "__Host-rosteron-manage")
	assert.True(t, ck.Secure)
	assert.True(t, ck.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, ck.SameSite)
	assert.Equal(t, "/", ck.Path, "a __Host- cookie has Path=/")
	assert.Empty(t, ck.Domain)
	assert.Contains(t, e.client.get("/manage/").body, `action="/manage/zone"`)
}

func setCookie(t *testing.T, res *response, name string) *http.Cookie {
	t.Helper()
	for _, ck := range res.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	require.Failf(t, "no cookie", "the answer sets no %s cookie", name)
	return nil
}

func cookieNames(c *client) []string {
	u, _ := url.Parse(c.e.public + "/manage/")
	var names []string
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name != "rosteron-csrf" {
			names = append(names, ck.Name)
		}
	}
	return names
}

// TestBelowAPath serves the pages below /rosteron, as a reverse proxy that
// strips the path does: links, forms, redirects and cookies carry it.
func TestBelowAPath(t *testing.T) {
	e := newEnvWith(t, envOptions{prefix: "/rosteron"})
	form := e.client.get("/join")
	require.Equal(t, http.StatusOK, form.StatusCode)
	assert.Contains(t, form.body, `action="/rosteron/join"`)
	assert.Contains(t, form.body, `href="/rosteron/manage/"`)
	assert.Equal(t, "/rosteron/", setCookie(t, form, "rosteron-csrf").Path)

	j := e.join(e.client, "alice")
	assert.True(t, strings.HasPrefix(j.page, e.public+"/"), j.page)
	assert.Contains(t, j.res.body, e.public+"/manage/")

	c := e.newClient()
	res := c.post("/manage/login", url.Values{"code": {j.manage}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.body)
	assert.Equal(t, "/rosteron/manage/", res.Header.Get("Location"))
	assert.Equal(t, "/rosteron/manage/", setCookie(t, res, "rosteron-manage").Path)
	res = c.get("/manage/")
	assert.Contains(t, res.body, `action="/rosteron/manage/zone"`)
	res = c.post("/manage/zone", url.Values{"zone": {"Europe/London"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/rosteron/manage/?done=zone", res.Header.Get("Location"))
}

// TestLogHoldsNoSecret goes through every page that handles a secret and
// checks the log line by line: one line per join, refusal and change,
// and no password, token, manage code, cookie or CalDAV password.
func TestLogHoldsNoSecret(t *testing.T) {
	e := newEnv(t)
	const calPass, newPassword = "caldav-secret-0193", "new-rosteron-secret-4471"
	e.secret(goodPassword, badPassword, calPass, newPassword)
	e.client.post("/join", joinForm("alice", badPassword))
	c, j, a := e.joinAndLogin("alice")
	c.post("/manage/login", url.Values{"code": {j.token}})
	c.post("/manage/caldav", url.Values{"do": {"set"}, "url": {"https://dav.example.org/"}, "username": {"alice"}, "password": {calPass}})
	c.post("/manage/alerts", url.Values{"ntfy": {"https://ntfy.sh/secret-topic-8812"}})
	e.secret("secret-topic-8812")
	e.check.set(newPassword, false)
	c.post("/manage/password", url.Values{"password": {newPassword}})
	nj := e.parseJoined(c.post("/manage/token", nil))
	res := c.post("/manage/code", url.Values{"current": {j.manage}})
	newCode := manageRE.FindStringSubmatch(res.body)[1]
	e.secret(newCode)
	for _, ck := range res.Cookies() {
		e.secret(ck.Value)
	}
	for _, ck := range c.http.Jar.Cookies(&url.URL{Scheme: "http", Host: strings.TrimPrefix(e.public, "http://"), Path: "/manage/"}) {
		e.secret(ck.Value)
	}
	c.post("/manage/delete", url.Values{"confirm": {"yes"}, "current": {newCode}})

	logged := e.log.String()
	for _, s := range []string{j.token, j.manage, nj.token} {
		require.NotEmpty(t, s)
	}
	for _, s := range append(e.secrets, j.token, j.manage, nj.token) {
		if s != "" {
			assert.NotContains(t, logged, s)
		}
	}
	lines := strings.Split(strings.TrimSpace(logged), "\n")
	want := []string{
		"refused a join for alice@roster.hospital-a.example: RosterOn refused the login",
		who(a) + " joined",
		who(a) + " logged in to manage it",
		"refused a manage login from 127.0.0.1: wrong manage code",
		who(a) + " set its calendar sync to https://dav.example.org",
		who(a) + " set its alerts (1 targets)",
		who(a) + " updated its RosterOn password",
		who(a) + " got a new feed address",
		who(a) + " got a new manage code",
		who(a) + " deleted by its owner",
	}
	require.Len(t, lines, len(want), logged)
	for i, w := range want {
		assert.True(t, strings.HasPrefix(lines[i], "join: "), lines[i])
		assert.Contains(t, lines[i], w)
	}
}

func who(a *store.Account) string {
	return "account #" + strconv.FormatInt(int64(a.ID), 10) + " (" + a.Username + "@roster.hospital-a.example)"
}
