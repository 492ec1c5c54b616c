package join_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/join"
	"github.com/rosteron/rosteron/store"
)

const refusedText = "RosterOn did not accept that username and password"

// TestManagePasswordInstanceNotAllowed: an account whose instance in the
// store is not one the pages allow gets no login checked there.
func TestManagePasswordInstanceNotAllowed(t *testing.T) {
	e := newEnv(t)
	c, _, a := e.joinAndLogin("alice")
	ctx := context.Background()
	_, err := e.store.DB().ExecContext(ctx, `UPDATE accounts SET instance = ? WHERE id = ?`, "https://evil.example", a.ID)
	require.NoError(t, err)
	calls := e.check.count()
	const newPassword = "a new password for evil"
	e.secret(newPassword)

	res := c.post("/manage/password", url.Values{"password": {newPassword}})
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	assert.Contains(t, res.body, "may not log in to your account")
	assert.Contains(t, res.body, "Nothing was sent")
	assert.Equal(t, calls, e.check.count(), "the login was checked with an instance not allowed")
	pw, err := e.store.Password(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, goodPassword, pw)
	assert.Empty(t, e.svc.verified())
	assert.Contains(t, e.log.String(), "not one this service may log in to")
}

// TestJoinMemberNeverReachesRosterOn: joins for a username that has an
// account are checked against the saved password, whatever its case, and
// RosterOn never sees them.
func TestJoinMemberNeverReachesRosterOn(t *testing.T) {
	e := newEnv(t)
	e.join(e.client, "alice")
	require.Equal(t, 1, e.check.count())
	// The join counted against the username's 3 a day: a day on, so that
	// the 3 below are all allowed.
	e.clock.Add(24 * time.Hour)

	// A wrong password for a non-member, as RosterOn refuses it: the
	// member's answer is the same.
	res := e.newClient().post("/join", joinForm("zed", badPassword))
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, res.body, refusedText)
	calls := e.check.count()

	for _, name := range []string{"alice", "ALICE"} {
		res := e.newClient().post("/join", joinForm(name, badPassword))
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, name)
		assert.Contains(t, res.body, refusedText, name)
	}
	res = e.newClient().post("/join", joinForm("Alice", goodPassword))
	assert.Equal(t, http.StatusConflict, res.StatusCode)
	assert.Contains(t, res.body, "joined already: use your manage code")
	assert.Equal(t, calls, e.check.count(), "RosterOn was asked about a member's password")
	assert.Contains(t, e.log.String(), "not the saved password (RosterOn not asked)")
}

// TestJoinFailuresPerUsername: by default, a username without an account
// reaches RosterOn at most 3 times in any 24 hours, whatever its case.
func TestJoinFailuresPerUsername(t *testing.T) {
	e := newEnv(t)
	e.secret(badPassword, goodPassword)
	for i := range 3 {
		res := e.client.post("/join", joinForm("carol", badPassword))
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "attempt %d", i+1)
		e.clock.Add(time.Hour)
	}
	for _, name := range []string{"carol", "CAROL"} {
		res := e.client.post("/join", joinForm(name, goodPassword))
		assert.Equal(t, http.StatusTooManyRequests, res.StatusCode)
		assert.Equal(t, fmt.Sprint((21 * time.Hour).Seconds()), res.Header.Get("Retry-After"))
		assert.Contains(t, res.body, "Wait 21 hours")
	}
	assert.Equal(t, 3, e.check.count())
	// Even spread out, no more than 3 in a day.
	e.clock.Add(21*time.Hour - time.Second)
	res := e.client.post("/join", joinForm("carol", goodPassword))
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	assert.Equal(t, 3, e.check.count(), "RosterOn was asked a 4th time within 24 hours")
	e.clock.Add(time.Second)
	res = e.client.post("/join", joinForm("carol", goodPassword))
	assert.Equal(t, http.StatusOK, res.StatusCode, res.body)
	e.parseJoined(res)
	assert.Equal(t, 4, e.check.count())
}

// TestManagePasswordNotBlockedByJoinFlood: a flood of joins for a
// member's username neither reaches RosterOn nor holds up the owner's
// password update, which has its account's own limit.
func TestManagePasswordNotBlockedByJoinFlood(t *testing.T) {
	e := newEnv(t)
	c, _, a := e.joinAndLogin("alice")
	for range 6 {
		e.newClient().post("/join", joinForm("alice", badPassword))
	}
	res := e.newClient().post("/join", joinForm("alice", badPassword))
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	require.Equal(t, 1, e.check.count())

	const newPassword = "the owner's new password"
	e.secret(newPassword)
	e.check.set(newPassword, false)
	done(t, c.post("/manage/password", url.Values{"password": {newPassword}}), "password")
	assert.Equal(t, 2, e.check.count())
	assert.Equal(t, []store.ID{a.ID}, e.svc.verified())
	// The owner's own limit: 5 an hour.
	for range 4 {
		done(t, c.post("/manage/password", url.Values{"password": {newPassword}}), "password")
	}
	res = c.post("/manage/password", url.Values{"password": {newPassword}})
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	assert.Equal(t, "720", res.Header.Get("Retry-After"))
	assert.Equal(t, 6, e.check.count())
}

// TestManageChangesRateLimited: every change of one account counts
// against its own limit.
func TestManageChangesRateLimited(t *testing.T) {
	e := newEnv(t, func(c *join.Config) {
		c.Limits = join.Limits{Manage: join.Limit{N: 3, Per: time.Hour}}
	})
	c, j, a := e.joinAndLogin("alice")
	done(t, c.post("/manage/zone", url.Values{"zone": {"Europe/London"}}), "zone")
	done(t, c.post("/manage/pause", nil), "paused")
	done(t, c.post("/manage/resume", nil), "resumed")
	reloads := len(e.svc.reloaded())
	for _, act := range []string{"zone", "alerts", "caldav", "pause", "resume", "token", "code", "delete", "password"} {
		res := c.post("/manage/"+act, url.Values{"zone": {"Europe/Paris"}, "current": {j.manage}, "confirm": {"yes"}, "password": {goodPassword}})
		assert.Equal(t, http.StatusTooManyRequests, res.StatusCode, act)
		assert.Equal(t, "1200", res.Header.Get("Retry-After"), act)
	}
	assert.Equal(t, reloads, len(e.svc.reloaded()), "a change over the limit reloaded the account")
	assert.Equal(t, "Europe/London", e.account(a.ID).Zone)
	assert.Empty(t, e.svc.removed())
	// Another account is not held up.
	c2, _, _ := e.joinAndLogin("bob")
	done(t, c2.post("/manage/zone", url.Values{"zone": {"Europe/Paris"}}), "zone")
	e.clock.Add(20 * time.Minute)
	done(t, c.post("/manage/zone", url.Values{"zone": {"Europe/Paris"}}), "zone")
	assert.Contains(t, e.log.String(), "too many attempts (manage)")
}

// TestCheckErrorScrubbed: a check's error that quotes the password, in
// clear or encoded, is logged without it.
func TestCheckErrorScrubbed(t *testing.T) {
	e := newEnv(t)
	const pw = "s3cret pass/word+="
	forms := []string{
		pw,
		url.QueryEscape(pw),
		base64.StdEncoding.EncodeToString([]byte(pw)),
		base64.StdEncoding.EncodeToString([]byte("dave:" + pw)),
		base64.RawURLEncoding.EncodeToString([]byte(pw)),
	}
	e.secret(forms...)
	e.check.fail(fmt.Errorf("posting %s: %s %s; Authorization: Basic %s; token %s: connection reset", forms[1], forms[0], forms[2], forms[3], forms[4]))
	res := e.client.post("/join", joinForm("dave", pw))
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	for _, f := range forms {
		assert.NotContains(t, res.body, f)
	}

	e.check.fail(nil)
	c, _, _ := e.joinAndLogin("alice")
	e.check.fail(fmt.Errorf("login of alice with %q failed: connection reset; Basic %s", pw,
		base64.StdEncoding.EncodeToString([]byte("alice:"+pw))))
	e.secret(base64.StdEncoding.EncodeToString([]byte("alice:" + pw)))
	res = c.post("/manage/password", url.Values{"password": {pw}})
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)

	logged := e.log.String()
	for _, s := range e.secrets {
		assert.NotContains(t, logged, s)
	}
	assert.Equal(t, 2, strings.Count(logged, "[REDACTED]: connection reset")+strings.Count(logged, "failed: connection reset"), logged)
	assert.Contains(t, logged, "Basic [REDACTED]")
}

// TestCheckBusy: a check the service has no place for is answered 503
// with Retry-After, and is not counted against the username.
func TestCheckBusy(t *testing.T) {
	e := newEnv(t, func(c *join.Config) {
		c.Limits = join.Limits{
			Username: join.Limit{N: 1, Per: 24 * time.Hour, Window: true},
			Password: join.Limit{N: 1, Per: time.Hour},
		}
	})
	e.check.fail(fmt.Errorf("checking: %w", join.ErrBusy))
	for range 3 {
		res := e.client.post("/join", joinForm("alice", goodPassword))
		assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
		assert.Equal(t, "10", res.Header.Get("Retry-After"))
		assert.Contains(t, res.body, "too many logins at once: try again in a moment")
	}
	e.check.fail(nil)
	c, _, a := e.joinAndLogin("alice") // the username's one attempt is still there

	e.check.fail(join.ErrBusy)
	for range 2 {
		res := c.post("/manage/password", url.Values{"password": {goodPassword}})
		assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
		assert.Equal(t, "10", res.Header.Get("Retry-After"))
	}
	e.check.fail(nil)
	done(t, c.post("/manage/password", url.Values{"password": {goodPassword}}), "password")
	assert.Equal(t, []store.ID{a.ID}, e.svc.verified())
}

// TestManageCookieHostPrefix: over https the manage cookie is __Host-,
// and two of them (one tossed in by a sibling) are both refused.
func TestManageCookieHostPrefix(t *testing.T) {
	e := newTLSEnv(t)
	j := e.join(e.client, "alice")
	res := e.client.post("/manage/login", url.Values{"code": {j.manage}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.body)
	ck := setCookie(t, res, "__Host-rosteron-manage")
	e.secret(ck.Value)

	get := func(cookie string) string {
		req, err := http.NewRequest(http.MethodGet, e.public+"/manage/", nil)
		require.NoError(t, err)
		req.Header.Set("Cookie", cookie)
		res, err := e.srv.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return string(b)
	}
	one := "__Host-rosteron-manage=" + ck.Value
	assert.Contains(t, get(one), `action="/manage/zone"`)
	assert.Contains(t, get(one+"; "+one), `action="/manage/login"`, "two manage cookies were taken")
	assert.Contains(t, get("__Secure-rosteron-manage="+ck.Value), `action="/manage/login"`, "the old name was taken")
}
