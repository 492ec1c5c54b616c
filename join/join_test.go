package join_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/join"
	"github.com/rosteron/rosteron/store"
	"github.com/rosteron/rosteron/store/storetest"
)

func TestJoin(t *testing.T) {
	e := newEnv(t)
	c := e.client

	form := c.get("/join")
	require.Equal(t, http.StatusOK, form.StatusCode)
	assertPageHeaders(t, form)
	for _, want := range []string{
		`name="username"`, `type="password"`, `autocomplete="current-password"`,
		`<select id="instance" name="instance" required>`, `value="` + instanceA + `"`, `value="` + instanceB + `"`,
		`name="zone"`, `<datalist id="zones">`, `<option value="Australia/Sydney">`,
		`method="post" action="/join"`,
	} {
		assert.Contains(t, form.body, want)
	}
	assert.NotContains(t, form.body, `name="code"`, "no invite code was set")

	j := e.join(c, "alice")
	assert.Equal(t, 1, e.check.count())

	// The page address: PUBLIC/TOKEN/, with a token as the feed takes it.
	require.NoError(t, feed.CheckToken(j.token))
	a, err := e.store.ByToken(context.Background(), j.token)
	require.NoError(t, err)
	assert.Equal(t, "alice", a.Username)
	assert.Equal(t, instanceA, a.Instance)
	assert.Equal(t, testZone, a.Zone)
	assert.False(t, a.Paused)
	assert.Equal(t, []store.ID{a.ID}, e.svc.reloaded())

	// The password is kept, and sealed: not in the store's bytes.
	pw, err := e.store.Password(context.Background(), a.ID)
	require.NoError(t, err)
	assert.Equal(t, goodPassword, pw)
	assert.False(t, bytes.Contains(e.storeBytes(), []byte(goodPassword)), "the password is in the store in clear")

	// The manage code finds the account.
	require.NotEmpty(t, j.manage)
	m, err := e.store.ByManage(context.Background(), j.manage)
	require.NoError(t, err)
	assert.Equal(t, a.ID, m.ID)

	// The QR code is the page address's.
	require.NotEmpty(t, j.qr)
	assertQR(t, j.page, j.qr)

	// The calendar addresses, and the manage address.
	res := j.res.body
	assertPageHeaders(t, j.res)
	assert.Contains(t, res, `value="`+j.page+feed.ICSName+`"`)
	assert.Contains(t, res, `href="webcal://`+strings.TrimPrefix(e.public, "http://")+"/"+j.token+"/"+feed.ICSName+`"`)
	assert.Contains(t, res, e.public+"/manage/")
	assert.Contains(t, res, "Keep the manage code private")

	assert.Regexp(t, `join: account #\d+ \(alice@roster\.hospital-a\.example\) joined`, e.log.String())
}

func TestJoinOneInstanceIsShownNotChosen(t *testing.T) {
	e := newEnv(t, func(c *join.Config) { c.Instances = []string{instanceB} })
	form := e.client.get("/join")
	assert.NotContains(t, form.body, "<select")
	assert.Contains(t, form.body, `<input type="hidden" name="instance" value="`+instanceB+`">`)
	assert.Contains(t, form.body, "rosteron.hospital-b.example/RosterOnProd")

	f := joinForm("bob", goodPassword)
	f.Del("instance")
	e.secret(goodPassword)
	res := e.client.post("/join", f)
	require.Equal(t, http.StatusOK, res.StatusCode, res.body)
	a, err := e.store.Find(context.Background(), instanceB, "bob")
	require.NoError(t, err)
	assert.Equal(t, "bob", a.Username)
}

func TestJoinRefusesAnInstanceNotAllowed(t *testing.T) {
	e := newEnv(t)
	f := joinForm("mallory", goodPassword)
	f.Set("instance", "https://evil.example")
	res := e.client.post("/join", f)
	assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.body, "Pick your RosterOn from the list")
	assert.Zero(t, e.check.count())
}

func TestJoinWrongPassword(t *testing.T) {
	e := newEnv(t)
	e.secret(badPassword)
	res := e.client.post("/join", joinForm("alice", badPassword))
	assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.body, "RosterOn did not accept that username and password")
	assert.NotContains(t, res.body, badPassword)
	assert.Contains(t, res.body, `value="alice"`, "the username is kept in the form")
	assert.Equal(t, 1, e.check.count())
	as, err := e.store.List(context.Background())
	require.NoError(t, err)
	assert.Empty(t, as, "a refused join stored an account")
	assert.Empty(t, e.svc.reloaded())
	assert.Contains(t, e.log.String(), "refused a join for alice@roster.hospital-a.example: RosterOn refused the login")
}

func TestJoinRosterOnDown(t *testing.T) {
	e := newEnv(t)
	e.check.set(goodPassword, true)
	e.secret(goodPassword)
	res := e.client.post("/join", joinForm("alice", goodPassword))
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	assert.Contains(t, res.body, "Could not reach RosterOn")
	as, err := e.store.List(context.Background())
	require.NoError(t, err)
	assert.Empty(t, as)
}

func TestJoinTwice(t *testing.T) {
	e := newEnv(t)
	e.join(e.client, "alice")
	other := e.newClient()
	res := other.post("/join", joinForm("alice", goodPassword))
	assert.Equal(t, http.StatusConflict, res.StatusCode)
	assert.Contains(t, res.body, "This account has joined already: use your manage code")
	assert.Nil(t, pageRE.FindStringSubmatch(res.body), "a second join showed an address")
	as, err := e.store.List(context.Background())
	require.NoError(t, err)
	assert.Len(t, as, 1)
}

func TestJoinInviteCode(t *testing.T) {
	const code = "ward-7-invite"
	e := newEnv(t, func(c *join.Config) { c.Code = code })
	e.secret(code)
	form := e.client.get("/join")
	assert.Contains(t, form.body, `name="code"`)

	f := joinForm("alice", goodPassword)
	f.Set("code", "ward-7-guess")
	res := e.client.post("/join", f)
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	assert.Contains(t, res.body, "That invite code is not right")
	assert.Zero(t, e.check.count(), "RosterOn was asked with a wrong invite code")

	f.Del("code")
	res = e.client.post("/join", f)
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	assert.Zero(t, e.check.count())

	f.Set("code", code)
	res = e.client.post("/join", f)
	require.Equal(t, http.StatusOK, res.StatusCode, res.body)
	e.parseJoined(res)
}

func TestJoinZone(t *testing.T) {
	e := newEnv(t)
	for _, zone := range []string{"", "Mars/Olympus_Mons", "Local", "../../etc/passwd", "/etc/localtime"} {
		f := joinForm("alice", goodPassword)
		f.Set("zone", zone)
		res := e.client.post("/join", f)
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "zone %q", zone)
		assert.Contains(t, res.body, "Area/City", "zone %q", zone)
	}
	assert.Zero(t, e.check.count())
	// The zones offered are all real.
	for _, z := range join.Zones {
		_, err := time.LoadLocation(z)
		assert.NoError(t, err, z)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	e.secret(goodPassword)

	// No cookie, no token.
	fresh := e.newClient()
	res := fresh.postRaw("/join", joinForm("alice", goodPassword))
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	assert.Contains(t, res.body, "reload the page")
	assertPageHeaders(t, res)

	// A cookie, and a wrong token or none.
	e.client.get("/join")
	f := joinForm("alice", goodPassword)
	f.Set("csrf", e.client.csrf+"x")
	assert.Equal(t, http.StatusForbidden, e.client.postRaw("/join", f).StatusCode)
	f.Del("csrf")
	assert.Equal(t, http.StatusForbidden, e.client.postRaw("/join", f).StatusCode)

	// Another client's token with this client's cookie.
	other := e.newClient()
	other.get("/join")
	require.NotEqual(t, other.csrf, e.client.csrf)
	f.Set("csrf", other.csrf)
	assert.Equal(t, http.StatusForbidden, e.client.postRaw("/join", f).StatusCode)

	// The same on the manage pages.
	assert.Equal(t, http.StatusForbidden, fresh.postRaw("/manage/login", url.Values{"code": {"x"}}).StatusCode)

	assert.Zero(t, e.check.count(), "a forged form reached RosterOn")
	as, err := e.store.List(context.Background())
	require.NoError(t, err)
	assert.Empty(t, as)

	// And the right one passes.
	f.Set("csrf", e.client.csrf)
	assert.Equal(t, http.StatusOK, e.client.postRaw("/join", f).StatusCode)
}

func TestCrossOriginPost(t *testing.T) {
	e := newEnv(t)
	e.secret(goodPassword)
	e.client.get("/join")
	for name, hdr := range map[string]http.Header{
		"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": {"cross-site"}},
		"Sec-Fetch-Site same-site":  {"Sec-Fetch-Site": {"same-site"}},
		"Origin of another site":    {"Origin": {"https://evil.example"}},
	} {
		t.Run(name, func(t *testing.T) {
			e.client.header = hdr
			res := e.client.post("/join", joinForm("alice", goodPassword))
			assert.Equal(t, http.StatusForbidden, res.StatusCode)
			assert.Contains(t, res.body, "Reload the form")
			assertPageHeaders(t, res)
		})
	}
	assert.Zero(t, e.check.count(), "a cross-site form reached RosterOn")

	// A browser's same-origin post passes.
	e.client.header = http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {e.public}}
	res := e.client.post("/join", joinForm("alice", goodPassword))
	assert.Equal(t, http.StatusOK, res.StatusCode, res.body)
}

func TestRateLimitPerUsername(t *testing.T) {
	e := newEnv(t, func(c *join.Config) {
		c.Limits = join.Limits{Username: join.Limit{N: 3, Per: 15 * time.Minute}}
	})
	e.secret(badPassword, goodPassword)
	for i := range 3 {
		res := e.client.post("/join", joinForm("alice", badPassword))
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "attempt %d", i+1)
	}
	// Over the limit, even with the right password, and whatever the case.
	for _, name := range []string{"alice", "ALICE"} {
		res := e.client.post("/join", joinForm(name, goodPassword))
		assert.Equal(t, http.StatusTooManyRequests, res.StatusCode)
		assert.Equal(t, "300", res.Header.Get("Retry-After"), "one attempt comes back every 15/3 minutes")
		assert.Contains(t, res.body, "Wait 5 minutes")
		assertPageHeaders(t, res)
	}
	assert.Equal(t, 3, e.check.count(), "RosterOn was asked past the limit")
	// Another username is not held up.
	res := e.client.post("/join", joinForm("bob", goodPassword))
	assert.Equal(t, http.StatusOK, res.StatusCode)
	e.parseJoined(res)
	assert.Contains(t, e.log.String(), "too many attempts (user)")
}

func TestRateLimitPerAddress(t *testing.T) {
	e := newEnv(t, func(c *join.Config) {
		c.Limits = join.Limits{Address: join.Limit{N: 4, Per: time.Hour}}
	})
	e.secret(badPassword)
	for i := range 4 {
		res := e.client.post("/join", joinForm("user"+string(rune('a'+i)), badPassword))
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "attempt %d", i+1)
	}
	res := e.client.post("/join", joinForm("usere", badPassword))
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	assert.Equal(t, "900", res.Header.Get("Retry-After"))
	// Manage logins count against the same address.
	res = e.client.post("/manage/login", url.Values{"code": {"guess"}})
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	assert.Equal(t, 4, e.check.count(), "RosterOn was asked past the limit")
}

func TestForwardedForFromTrustedProxyOnly(t *testing.T) {
	limit := func(c *join.Config) { c.Limits = join.Limits{Address: join.Limit{N: 1, Per: time.Hour}} }
	post := func(e *env, xff string) int {
		e.client.header = http.Header{"X-Forwarded-For": {xff}}
		return e.client.post("/join", joinForm("alice", badPassword)).StatusCode
	}

	t.Run("trusted", func(t *testing.T) {
		e := newEnv(t, limit, func(c *join.Config) { c.TrustedProxies = prefixes("127.0.0.0/8", "::1/128") })
		e.secret(badPassword)
		assert.Equal(t, http.StatusUnprocessableEntity, post(e, "203.0.113.7"))
		assert.Equal(t, http.StatusUnprocessableEntity, post(e, "203.0.113.8"), "another client behind the proxy is its own")
		assert.Equal(t, http.StatusTooManyRequests, post(e, "203.0.113.7"))
		// A client cannot forge its way out: the right-most untrusted hop counts.
		assert.Equal(t, http.StatusTooManyRequests, post(e, "198.51.100.1, 203.0.113.7"))
		assert.Contains(t, e.log.String(), "from 203.0.113.7")
	})
	t.Run("not trusted", func(t *testing.T) {
		e := newEnv(t, limit)
		e.secret(badPassword)
		assert.Equal(t, http.StatusUnprocessableEntity, post(e, "203.0.113.7"))
		assert.Equal(t, http.StatusTooManyRequests, post(e, "203.0.113.8"), "X-Forwarded-For believed from a peer not trusted")
	})
}

func TestMethodsAndSizes(t *testing.T) {
	e := newEnv(t)
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		req, err := http.NewRequest(m, e.public+"/join", nil)
		require.NoError(t, err)
		res := e.client.do(req)
		assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode, m)
		assert.Equal(t, "GET, HEAD, POST", res.Header.Get("Allow"))
		assertPageHeaders(t, res)
	}
	res := e.client.get("/manage/zone")
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	assert.Equal(t, "POST", res.Header.Get("Allow"))
	res = e.client.get("/manage")
	assert.Equal(t, http.StatusMovedPermanently, res.StatusCode)
	assert.Equal(t, "/manage/", res.Header.Get("Location"))
	for _, p := range []string{"/manage", "/manage/"} {
		res = e.client.post(p, nil)
		assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode, p)
		assert.Equal(t, "GET, HEAD", res.Header.Get("Allow"), p)
	}
	res = e.client.post("/manage/nothing", nil)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)

	req, err := http.NewRequest(http.MethodHead, e.public+"/join", nil)
	require.NoError(t, err)
	head := e.client.do(req)
	assert.Equal(t, http.StatusOK, head.StatusCode)
	assert.Empty(t, head.body)
	assertPageHeaders(t, head)

	res = e.client.get("/elsewhere")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assertPageHeaders(t, res)

	f := joinForm("alice", goodPassword)
	f.Set("filler", strings.Repeat("x", 20<<10))
	res = e.client.post("/join", f)
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
	assert.Zero(t, e.check.count())
}

func TestNewChecksItsConfig(t *testing.T) {
	s := newEnv(t).store
	ok := join.Config{
		Store: s, Service: &fakeService{}, Check: (&checker{}).Check,
		Instances: []string{instanceA},
	}
	for _, tc := range []struct {
		public string
		want   string // "" for accepted
	}{
		{"https://roster.example.org", ""},
		{"https://example.org/rosteron/", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://127.9.9.9", ""},
		{"http://localhost:8080", ""},
		{"http://[::1]:8080", ""},
		{"http://roster.example.org", "HTTPS is required"},
		{"http://192.168.1.10:8080", "HTTPS is required"},
		{"http://localhost.example.org", "HTTPS is required"},
		{"ftp://roster.example.org", "https://"},
		{"https://user:pw@roster.example.org", "username or password"},
	} {
		cfg := ok
		u, err := url.Parse(tc.public)
		require.NoError(t, err)
		cfg.PublicURL = u
		_, err = join.New(cfg)
		if tc.want == "" {
			assert.NoError(t, err, tc.public)
		} else if assert.Error(t, err, tc.public) {
			assert.Contains(t, err.Error(), tc.want, tc.public)
			assert.NotContains(t, err.Error(), "pw@", "the error quotes the URL's password")
		}
	}
	pub, _ := url.Parse("https://roster.example.org")
	for name, cfg := range map[string]join.Config{
		"no public URL": {Store: s, Service: ok.Service, Check: ok.Check, Instances: ok.Instances},
		"no instance":   {Store: s, Service: ok.Service, Check: ok.Check, PublicURL: pub},
		"no store":      {Service: ok.Service, Check: ok.Check, Instances: ok.Instances, PublicURL: pub},
		"no service":    {Store: s, Check: ok.Check, Instances: ok.Instances, PublicURL: pub},
		"no check":      {Store: s, Service: ok.Service, Instances: ok.Instances, PublicURL: pub},
		"bad instance":  {Store: s, Service: ok.Service, Check: ok.Check, Instances: []string{"roster"}, PublicURL: pub},
	} {
		_, err := join.New(cfg)
		assert.Error(t, err, name)
	}
}

func TestNewNeedsAStoreWithAKey(t *testing.T) {
	keyless := storetest.OpenAt(t, filepath.Join(t.TempDir(), "keyless.db"), nil)
	pub, _ := url.Parse("https://roster.example.org")
	_, err := join.New(join.Config{Store: keyless, Service: &fakeService{}, Check: (&checker{}).Check,
		Instances: []string{instanceA}, PublicURL: pub})
	require.Error(t, err)
	assert.True(t, errors.Is(err, store.ErrNoKey), "%v", err)
}

var styleRE = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// assertPageHeaders checks the strict headers every page has, and that
// its inline style is the one its policy allows.
func assertPageHeaders(t *testing.T, res *response) {
	t.Helper()
	h := res.Header
	csp := h.Get("Content-Security-Policy")
	assert.Contains(t, csp, "default-src 'none'")
	assert.Contains(t, csp, "form-action 'self';")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	assert.NotContains(t, csp, "script-src")
	assert.NotContains(t, csp, "unsafe-inline")
	assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
	assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
	assert.Equal(t, "no-store", h.Get("Cache-Control"))
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	assert.Equal(t, "noindex, nofollow", h.Get("X-Robots-Tag"))
	if res.Request.Method == http.MethodHead {
		return
	}
	assert.Equal(t, "text/html; charset=utf-8", h.Get("Content-Type"))
	assert.NotContains(t, strings.ToLower(res.body), "<script")
	assert.NotRegexp(t, `(?i)\son[a-z]+\s*=`, res.body, "no inline handler")
	m := styleRE.FindStringSubmatch(res.body)
	if assert.NotNil(t, m, "no inline style") {
		sum := sha256.Sum256([]byte(m[1]))
		assert.Contains(t, csp, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'", "the style is not the one the policy allows")
	}
}
