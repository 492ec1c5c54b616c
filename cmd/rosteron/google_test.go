package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/google"
	"github.com/rosteron/rosteron/calendar/google/googletest"
	"github.com/rosteron/rosteron/internal/syncbuf"
	"github.com/rosteron/rosteron/snapshot"
)

// googleAuthRun starts google-auth against fake and returns the consent
// address it printed, and a channel with its exit status.
func googleAuthRun(t *testing.T, ctx context.Context, fake *googletest.Server, stdin io.Reader, tokenFile string) (string, *syncbuf.Buffer, *syncbuf.Buffer, chan int) {
	t.Helper()
	dir := t.TempDir()
	clientFile := filepath.Join(dir, "client.json")
	require.NoError(t, os.WriteFile(clientFile, fake.ClientFile(), 0o600))
	var stdout, stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"google-auth", "--google-client", clientFile, "--google-token", tokenFile}, stdin, &stdout, &stderr, func(string) string { return "" })
	}()
	consent := regexp.MustCompile(`(?m)^  (http://\S+/o/oauth2/auth\?\S+)$`)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := stderr.Wait(wctx, consent.MatchString)
	require.NoError(t, err, "google-auth printed no consent address: %s", out)
	return consent.FindStringSubmatch(out)[1], &stdout, &stderr, done
}

func TestGoogleAuth(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tokenFile := filepath.Join(t.TempDir(), "google-token.json")
	authURL, stdout, stderr, done := googleAuthRun(t, ctx, fake, strings.NewReader(""), tokenFile)

	u, err := url.Parse(authURL)
	require.NoError(t, err)
	q := u.Query()
	assert.Equal(t, google.Scope, q.Get("scope"), "the narrowest scope")
	assert.Equal(t, "offline", q.Get("access_type"))
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/$`, q.Get("redirect_uri"))

	// The browser, sent back by Google.
	redirect, err := fake.Authorize(authURL)
	require.NoError(t, err)

	// Another page's answer (a state not this run's) is refused, and the
	// run waits on.
	forged := strings.Replace(redirect, "state="+url.QueryEscape(q.Get("state")), "state=forged", 1)
	require.NotEqual(t, redirect, forged)
	resp, err := http.Get(forged)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	resp, err = http.Get(redirect)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(page), "close this tab")

	select {
	case code := <-done:
		require.Equal(t, exitOK, code, stderr.String())
	case <-ctx.Done():
		t.Fatal("google-auth did not finish")
	}
	assert.Contains(t, stdout.String(), "Wrote the Google token to "+tokenFile)

	fi, err := os.Stat(tokenFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	data, err := os.ReadFile(tokenFile)
	require.NoError(t, err)
	tok, err := google.ParseToken(data)
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.NotContains(t, stderr.String()+stdout.String(), tok.RefreshToken, "no token printed")

	// The token works for sync.
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(k string) string { return map[string]string{googleAPIEnv: fake.Endpoint()}[k] }}
	clientFile := filepath.Join(t.TempDir(), "client.json")
	require.NoError(t, os.WriteFile(clientFile, fake.ClientFile(), 0o600))
	cal, err := c.openGoogle(ctx, "sync", googleFlags{client: clientFile, token: tokenFile}, "Roster", mustLoadZone(t, "Australia/Sydney"))
	require.NoError(t, err)
	assert.Equal(t, "Google Calendar: Roster", cal.String())
}

// A browser on another machine cannot reach 127.0.0.1 here: the address
// it ends on is pasted instead.
func TestGoogleAuthPasted(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tokenFile := filepath.Join(t.TempDir(), "token.json")
	in, paste := io.Pipe()
	defer paste.Close()
	authURL, _, stderr, done := googleAuthRun(t, ctx, fake, in, tokenFile)
	redirect, err := fake.Authorize(authURL)
	require.NoError(t, err)
	_, err = io.WriteString(paste, "not an address\nhttp://127.0.0.1:1/?state=wrong&code=x\n"+redirect+"\n")
	require.NoError(t, err)
	select {
	case code := <-done:
		require.Equal(t, exitOK, code, stderr.String())
	case <-ctx.Done():
		t.Fatal("google-auth did not finish")
	}
	data, err := os.ReadFile(tokenFile)
	require.NoError(t, err)
	_, err = google.ParseToken(data)
	assert.NoError(t, err)
	assert.Equal(t, 2, strings.Count(stderr.String(), "rosteron: that is not the address Google sent the browser to"), "each wrong line is told")
}

func TestGoogleAuthDenied(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tokenFile := filepath.Join(t.TempDir(), "token.json")
	authURL, stdout, stderr, done := googleAuthRun(t, ctx, fake, strings.NewReader(""), tokenFile)
	redirect, err := fake.Deny(authURL)
	require.NoError(t, err)
	resp, err := http.Get(redirect)
	require.NoError(t, err)
	resp.Body.Close()
	select {
	case code := <-done:
		assert.NotEqual(t, exitOK, code)
		assert.NotEqual(t, exitUsage, code)
	case <-ctx.Done():
		t.Fatal("google-auth did not finish")
	}
	assert.Empty(t, stdout.String())
	assert.Contains(t, stderr.String(), "rosteron: Google Calendar refused the credentials: access was not granted in the browser (access_denied)")
	assert.NoFileExists(t, tokenFile)
}

func TestGoogleAuthUsage(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	client := filepath.Join(t.TempDir(), "client.json")
	require.NoError(t, os.WriteFile(client, fake.ClientFile(), 0o600))
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"web":{}}`), 0o600))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{cmd("google-auth", "--google-token", "t.json"), "missing --google-client"},
		{cmd("google-auth", "--google-client", client), "missing --google-token"},
		{cmd("google-auth", "--google-client", client, "--google-token", "t", "extra"), "takes no arguments"},
		{cmd("google-auth", "--google-client", client, "--google-token", "t", "--google-calendar", "R"), "unknown flag --google-calendar"},
		{cmd("google-auth", "--google-client", client, "--google-token", "t", "--timeout", "0s"), "invalid --timeout"},
		{cmd("google-auth", "--google-client", bad, "--google-token", "t"), "no client_id"},
		{cmd("google-auth", "--google-client", filepath.Join(t.TempDir(), "missing.json"), "--google-token", "t"), "cannot read --google-client"},
		{cmd("google-auth", "--google-client", client, "--google-token", filepath.Join(t.TempDir(), "no", "t.json")), "its folder does not exist"},
	} {
		r := runWith(t, nil, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		assertOneErrorLine(t, r)
		assert.Contains(t, r.stderr, tc.want, tc.args)
	}
	r := runWith(t, nil, "", "google-auth", "--help")
	assert.Equal(t, exitOK, r.code)
	assert.Equal(t, googleAuthUsage, r.stdout)
}

func TestGoogleAuthTimeout(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	client := filepath.Join(t.TempDir(), "client.json")
	require.NoError(t, os.WriteFile(client, fake.ClientFile(), 0o600))
	r := runWith(t, nil, "", "google-auth", "--google-client", client, "--google-token", filepath.Join(t.TempDir(), "t"), "--timeout", "1ms")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "rosteron: no answer from the browser within 1ms (--timeout)")
}

func mustLoadZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// googleFiles writes a client file for fake and a token file holding a
// refresh token only, as google-auth's would be once its access token is
// stale.
func googleFiles(t *testing.T, fake *googletest.Server) (client, token string) {
	t.Helper()
	dir := t.TempDir()
	client = filepath.Join(dir, "client.json")
	require.NoError(t, os.WriteFile(client, fake.ClientFile(), 0o600))
	token = filepath.Join(dir, "token.json")
	data, err := json.Marshal(map[string]string{"refresh_token": fake.RefreshToken(), "token_type": "Bearer"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(token, data, 0o600))
	return client, token
}

func TestOpenGoogle(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	ctx := context.Background()
	client, token := googleFiles(t, fake)
	var stderr bytes.Buffer
	env := map[string]string{googleAPIEnv: fake.Endpoint()}
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr, getenv: func(k string) string { return env[k] }}
	syd := mustLoadZone(t, "Australia/Sydney")

	cal, err := c.openGoogle(ctx, "sync", googleFlags{client: client, token: token, calendar: "Shifts"}, "Roster", syd)
	require.NoError(t, err)
	assert.Equal(t, "Google Calendar: Shifts", cal.String())
	assert.Equal(t, []string{"Shifts"}, fake.Calendars())
	assert.Equal(t, "Australia/Sydney", fake.CalendarZone(fake.CalendarID("Shifts")))

	// The refreshed access token was written back, privately.
	data, err := os.ReadFile(token)
	require.NoError(t, err)
	tok, err := google.ParseToken(data)
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	fi, err := os.Stat(token)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	assert.Empty(t, stderr.String())

	cal, err = c.openGoogle(ctx, "sync", googleFlags{client: client, token: token}, "Roster", syd)
	require.NoError(t, err)
	assert.Equal(t, "Google Calendar: Roster", cal.String(), "the default name")
	_, err = cal.List(ctx, "joe@example.com/x")
	require.NoError(t, err)

	// Revoked: the calendar's credentials error, not a usage one.
	fake.Revoke()
	_, err = c.openGoogle(ctx, "sync", googleFlags{client: client, token: token}, "Roster", syd)
	var ae *calendar.AuthError
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, ae.Reason, "7 days", "the refresh is refused, not only the access token")
}

func TestOpenGoogleUsage(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	client, token := googleFiles(t, fake)
	noRefresh := filepath.Join(t.TempDir(), "t.json")
	require.NoError(t, os.WriteFile(noRefresh, []byte(`{"access_token":"ya29.x"}`), 0o600))
	syd := mustLoadZone(t, "Australia/Sydney")
	for _, tc := range []struct {
		name string
		f    googleFlags
		env  string
		loc  *time.Location
		want string
	}{
		{"no client", googleFlags{token: token}, "", syd, "needs --google-client"},
		{"no token", googleFlags{client: client, calendar: "R"}, "", syd, "needs --google-token"},
		{"no zone", googleFlags{client: client, token: token}, "", nil, "--tz"},
		{"floating", googleFlags{client: client, token: token}, "", snapshot.Floating, "--tz"},
		{"no refresh token", googleFlags{client: client, token: noRefresh}, "", syd, "no refresh token"},
		{"missing token", googleFlags{client: client, token: noRefresh + ".gone"}, "", syd, "cannot read --google-token"},
		{"token as client", googleFlags{client: token, token: token}, "", syd, "invalid --google-client"},
		{"plain http API", googleFlags{client: client, token: token}, "http://google.example/calendar/v3", syd, "loopback"},
		{"https API elsewhere", googleFlags{client: client, token: token}, "https://google.example/calendar/v3", syd, "loopback"},
		{"API with a password", googleFlags{client: client, token: token}, "http://u:p@127.0.0.1:1/calendar/v3", syd, "password in the address"},
		{"API not http", googleFlags{client: client, token: token}, "ftp://127.0.0.1/calendar/v3", syd, "http://"},
	} {
		c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
			getenv: func(k string) string {
				if k == googleAPIEnv {
					return tc.env
				}
				return ""
			}}
		_, err := c.openGoogle(context.Background(), "sync", tc.f, "Roster", tc.loc)
		var ue *usageError
		require.True(t, errors.As(err, &ue), "%s: %v", tc.name, err)
		assert.Contains(t, err.Error(), tc.want, tc.name)
		assert.Contains(t, err.Error(), "rosteron sync --help", tc.name)
		assert.NotContains(t, err.Error(), "u:p@", tc.name)
	}
	assert.Empty(t, fake.Requests(), "nothing sent")
}

func TestGoogleFlags(t *testing.T) {
	t.Parallel()
	fs := newFlagSet("sync")
	var f googleFlags
	f.register(fs)
	assert.False(t, f.given())
	_, err := parseArgs("sync", fs, []string{"--google-calendar", "Roster"})
	require.NoError(t, err)
	assert.True(t, f.given())
	for _, name := range []string{"google-client", "google-token", "google-calendar"} {
		assert.NotNil(t, fs.Lookup(name))
		assert.Contains(t, googleUsage, "  --"+name+" ")
	}
}

// sink is a server on loopback that keeps what it is sent: where a
// redirect points.
func sink(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var got []string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.String()+" "+r.Header.Get("Authorization")+" "+string(body))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"ya29.stolen","refresh_token":"1//stolen","token_type":"Bearer","expires_in":3600}`)
	}))
	t.Cleanup(s.Close)
	return s, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// A token endpoint that answers the code exchange with a redirect gets
// the code and the client secret; where it points gets nothing.
func TestGoogleAuthTokenRedirect(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	other, got := sink(t)
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/token", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redir.Close)
	dir := t.TempDir()
	var file map[string]map[string]any
	require.NoError(t, json.Unmarshal(fake.ClientFile(), &file))
	file["installed"]["token_uri"] = redir.URL + "/token"
	data, err := json.Marshal(file)
	require.NoError(t, err)
	clientFile := filepath.Join(dir, "client.json")
	require.NoError(t, os.WriteFile(clientFile, data, 0o600))
	tokenFile := filepath.Join(dir, "token.json")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"google-auth", "--google-client", clientFile, "--google-token", tokenFile}, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	}()
	consent := regexp.MustCompile(`(?m)^  (http://\S+/o/oauth2/auth\?\S+)$`)
	out, err := stderr.Wait(ctx, consent.MatchString)
	require.NoError(t, err, out)
	redirect, err := fake.Authorize(consent.FindStringSubmatch(out)[1])
	require.NoError(t, err)
	resp, err := http.Get(redirect)
	require.NoError(t, err)
	resp.Body.Close()
	select {
	case code := <-done:
		assert.Equal(t, exitCalendar, code, stderr.String())
	case <-ctx.Done():
		t.Fatal("google-auth did not finish")
	}
	assert.Contains(t, stderr.String(), "exchanging the authorisation code for a token")
	assert.Contains(t, stderr.String(), "HTTP 307")
	assert.Contains(t, stderr.String(), "redirect")
	assert.Empty(t, got(), "the redirect's target got nothing")
	assert.NoFileExists(t, tokenFile)
	assert.NotContains(t, stderr.String(), googletest.ClientSecret)
}

// The API answering with a redirect: its target gets no token.
func TestOpenGoogleAPIRedirect(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	other, got := sink(t)
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(redir.Close)
	client, token := googleFiles(t, fake)
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(k string) string { return map[string]string{googleAPIEnv: redir.URL + "/calendar/v3"}[k] }}
	_, err := c.openGoogle(context.Background(), "sync", googleFlags{client: client, token: token}, "Roster", mustLoadZone(t, "Australia/Sydney"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "finding the calendar: HTTP 302")
	assert.Empty(t, got(), "the redirect's target got nothing")
}

// The client secret, the refresh token and each access token are
// secrets: scrubbed from what rosteron logs.
func TestOpenGoogleSecrets(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	client, token := googleFiles(t, fake)
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(k string) string { return map[string]string{googleAPIEnv: fake.Endpoint()}[k] }}
	var told []string
	var mu sync.Mutex
	c.onSecret(func(s string) { mu.Lock(); told = append(told, s); mu.Unlock() })
	_, err := c.openGoogle(context.Background(), "sync", googleFlags{client: client, token: token}, "Roster", mustLoadZone(t, "Australia/Sydney"))
	require.NoError(t, err)
	data, err := os.ReadFile(token)
	require.NoError(t, err)
	tok, err := google.ParseToken(data)
	require.NoError(t, err)
	require.NotEmpty(t, tok.AccessToken)
	mu.Lock()
	defer mu.Unlock()
	for _, s := range []string{googletest.ClientSecret, tok.RefreshToken, tok.AccessToken} {
		assert.Contains(t, c.allSecrets(), s)
		assert.Contains(t, told, s, "told to serve's log")
	}
}

// A token file others may read is warned about, as a password file is.
func TestOpenGoogleWarnsOpenToken(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	client, token := googleFiles(t, fake)
	require.NoError(t, os.Chmod(token, 0o644))
	require.NoError(t, os.Chmod(filepath.Dir(token), 0o755))
	var stderr bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr,
		getenv: func(k string) string { return map[string]string{googleAPIEnv: fake.Endpoint()}[k] }}
	_, err := c.openGoogle(context.Background(), "sync", googleFlags{client: client, token: token}, "Roster", mustLoadZone(t, "Australia/Sydney"))
	require.NoError(t, err)
	assert.Contains(t, stderr.String(), "warning: the Google token file "+token+" (mode 0644")
	assert.Contains(t, stderr.String(), "chmod 600")
}
