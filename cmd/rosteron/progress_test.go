package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// steps is what a session tells its observer in a run that logs in and
// fails to read the roster, with a password in an error, should a lower
// layer ever quote it.
func steps(password string) []session.Event {
	req := func(step, method, url string, status int, text string) session.Event {
		return session.Event{Kind: session.RequestDone, Step: step, Request: session.Request{
			Method: method, URL: url, Status: status, StatusText: text, Took: 41 * time.Millisecond}}
	}
	return []session.Event{
		{Kind: session.StepStarted, Step: session.StepBrowser},
		{Kind: session.StepFinished, Step: session.StepBrowser, Took: 1250 * time.Millisecond},
		{Kind: session.StepStarted, Step: session.PurposeLogin},
		req(session.PurposeLogin, "GET", "https://h.example/M/Account/Login", 200, "OK"),
		{Kind: session.StepFinished, Step: session.PurposeLogin, Took: 95 * time.Millisecond},
		{Kind: session.StepStarted, Step: session.PurposeHome},
		req(session.PurposeHome, "POST", "https://h.example/M/Account/Login", 302, "Found"),
		req(session.PurposeHome, "GET", "https://h.example/M/", 200, "OK"),
		{Kind: session.StepFinished, Step: session.PurposeHome, Took: 160 * time.Millisecond},
		{Kind: session.StepStarted, Step: session.PurposeRoster},
		{Kind: session.RequestDone, Step: session.PurposeRoster, Request: session.Request{
			Method: "GET", URL: "https://h.example/M/Roster/List?pageNo=1&row=1", Error: "net::ERR_CONNECTION_RESET", Took: 3 * time.Millisecond}},
		{Kind: session.StepFinished, Step: session.PurposeRoster, Took: 4 * time.Millisecond, Err: errors.New("reset with " + password)},
	}
}

// Through the writer: what a terminal gets, and what --verbose gets.
func TestProgressLines(t *testing.T) {
	t.Parallel()
	const pw = "s3cret-Pa55"
	c := &cli{password: pw}
	var term, verbose bytes.Buffer
	pt := &progress{w: &term, clean: c.oneLine}
	pv := &progress{w: &verbose, verbose: true, clean: c.oneLine}
	for _, ev := range steps(pw) {
		pt.observe(ev)
		pv.observe(ev)
	}
	assert.Equal(t, `rosteron: starting the browser… done in 1.2 s
rosteron: opening the login page… done in 95 ms
rosteron: logging in… done in 160 ms
rosteron: reading the roster… failed after 4 ms
`, term.String())
	assert.Equal(t, `rosteron: starting the browser…
rosteron: starting the browser: done in 1.2 s
rosteron: opening the login page…
rosteron:   GET https://h.example/M/Account/Login → 200 OK in 41 ms
rosteron: opening the login page: done in 95 ms
rosteron: logging in…
rosteron:   POST https://h.example/M/Account/Login → 302 Found in 41 ms
rosteron:   GET https://h.example/M/ → 200 OK in 41 ms
rosteron: logging in: done in 160 ms
rosteron: reading the roster…
rosteron:   GET https://h.example/M/Roster/List?pageNo=1&row=1 → net::ERR_CONNECTION_RESET after 3 ms
rosteron: reading the roster: failed after 4 ms
`, verbose.String())
	assert.NotContains(t, term.String()+verbose.String(), pw)

	// A step that starts while another's line is open (which a session
	// never does) still gets a line of its own.
	term.Reset()
	pt.observe(session.Event{Kind: session.StepStarted, Step: session.PurposeLogout})
	pt.observe(session.Event{Kind: session.StepStarted, Step: "other\x1b[2J"})
	assert.Equal(t, "rosteron: logging out… \nrosteron: other\uFFFD[2J… ", term.String())
}

func TestQuietAndVerbose(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"roster", "--url", goodURL, "--username", "joe"}, {"demo"}} {
		r := runWith(t, withPassword, "", append(args, "--quiet", "--verbose")...)
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "--quiet and --verbose")
		r = runWith(t, nil, "", args[0], "--help")
		assert.Contains(t, r.stdout, "--quiet")
		assert.Contains(t, r.stdout, "--verbose")
	}
}

// demoOnTerminal runs the demo with its standard error on a
// pseudo-terminal, and returns what the terminal showed.
func demoOnTerminal(t *testing.T, args ...string) (result, string) {
	t.Helper()
	ptm, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptm.Close()
	require.NoError(t, pty.Setsize(ptm, &pty.Winsize{Rows: 40, Cols: 100}))
	shown := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, ptm) // ends with EIO once the terminal side closes
		shown <- b.String()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout bytes.Buffer
	env := chromeEnv(nil)
	code := run(ctx, append([]string{"demo"}, args...), strings.NewReader(""), &stdout, tty, func(k string) string { return env[k] })
	require.NoError(t, tty.Close())
	select {
	case s := <-shown:
		// The terminal turns "\n" into "\r\n".
		return result{code: code, stdout: stdout.String()}, strings.ReplaceAll(s, "\r\n", "\n")
	case <-time.After(20 * time.Second):
		t.Fatal("the terminal did not close")
		return result{}, ""
	}
}

// On a terminal the demo shows each step as it happens; with --quiet,
// nothing; with --verbose, each request too.
func TestProgressOnATerminal(t *testing.T) {
	needChrome(t)
	r, shown := demoOnTerminal(t, "--format", "json")
	require.Equal(t, exitOK, r.code, shown)
	assert.Regexp(t, regexp.MustCompile(`^rosteron demo: started a mock RosterOn at http://127\.0\.0\.1:\d+/RosterOnProd/Mobile
rosteron: starting the browser… done in \d+(\.\d)? m?s
rosteron: opening the login page… done in \d+(\.\d)? m?s
rosteron: logging in… done in \d+(\.\d)? m?s
rosteron: reading the roster… done in \d+(\.\d)? m?s
rosteron: logging out… done in \d+(\.\d)? m?s
$`), shown)
	assert.NotContains(t, shown, mockserver.DemoPassword)
	assert.Contains(t, r.stdout, `"items"`, "the roster still goes to standard output")

	r, shown = demoOnTerminal(t, "--format", "json", "--quiet")
	require.Equal(t, exitOK, r.code, shown)
	assert.Empty(t, shown)

	r, shown = demoOnTerminal(t, "--format", "json", "--verbose")
	require.Equal(t, exitOK, r.code, shown)
	assert.Regexp(t, `(?m)^rosteron:   GET http://127\.0\.0\.1:\d+/RosterOnProd/Mobile/Roster/List\?pageNo=1&row=1 → 200 OK in \d+ m?s$`, shown)
	assert.Regexp(t, `(?m)^rosteron:   POST http://127\.0\.0\.1:\d+/RosterOnProd/Mobile/Account/Login → 302 Found in \d+ m?s$`, shown)
	assert.Regexp(t, `(?m)^rosteron: logging out: done in `, shown)
	assert.NotContains(t, shown, mockserver.DemoPassword)
	assert.NotContains(t, shown, session.AuthCookie)
}

// Standard error that is not a terminal shows no progress, unless asked
// for with --verbose; a failure's progress ends before its error.
func TestProgressNotOnATerminal(t *testing.T) {
	needChrome(t)
	mock := mockserver.New()
	ts := httptest.NewServer(mock)
	defer ts.Close()
	env := chromeEnv(map[string]string{"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword})

	r := runWith(t, env, "", "roster", "--format", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stderr)

	r = runWith(t, env, "", "roster", "--format", "json", "--verbose")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^rosteron: starting the browser…\n`, r.stderr)
	assert.Regexp(t, `(?m)^rosteron:   GET \S+/Account/LogOff → 302 Found in \d+ m?s$`, r.stderr)
	assert.NotContains(t, r.stderr, mockserver.DemoPassword)

	env["ROSTERON_PASSWORD"] = "not-the-Pa55word"
	r = runWith(t, env, "", "roster", "--format", "json", "--verbose")
	require.Equal(t, exitBadCredentials, r.code, r.stderr)
	assert.Regexp(t, `rosteron: logging in: failed after \d+ m?s\nrosteron: RosterOn rejected the login credentials for username 'joe.bloggs'\n$`, r.stderr)
	assert.NotContains(t, r.stderr, "not-the-Pa55word")
}
