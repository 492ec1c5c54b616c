package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/google"
	"github.com/rosteron/rosteron/internal/atomicfile"
	"github.com/rosteron/rosteron/snapshot"
)

// googleAPIEnv names the environment variable that points the Google
// Calendar API at another address, a fake of it in tests.
const googleAPIEnv = "ROSTERON_GOOGLE_API_URL"

// googleUsage documents googleFlags in the help texts of the commands that
// write into Google Calendar.
const googleUsage = `  --google-client FILE
                      the OAuth client file downloaded from Google Cloud (an
                      OAuth client of type "Desktop app"); with
                      --google-token, writes into Google Calendar
  --google-token FILE the token file rosteron google-auth wrote; the access
                      tokens it is refreshed with are written back to it
  --google-calendar NAME
                      the Google calendar to write into, created if missing
                      (default: the calendar name)
`

// googleFlags are the flags that choose a Google calendar.
type googleFlags struct {
	client   string
	token    string
	calendar string
	// noCreate is set by a dry run: a missing calendar is not made.
	noCreate bool
}

func (g *googleFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.client, "google-client", "", "")
	fs.StringVar(&g.token, "google-token", "", "")
	fs.StringVar(&g.calendar, "google-calendar", "", "")
}

// given reports whether any --google- flag was given.
func (g googleFlags) given() bool {
	return g.client != "" || g.token != "" || g.calendar != ""
}

// googleHTTPTimeout bounds each request to Google, refreshes included.
const googleHTTPTimeout = 2 * time.Minute

// openGoogle opens the Google calendar f names (defaultName when
// --google-calendar is not given), writing refreshed tokens back to the
// token file. loc is the roster's zone: Google needs instants, so a
// missing or floating one is a usage error.
func (c *cli) openGoogle(ctx context.Context, cmd string, f googleFlags, defaultName string, loc *time.Location) (calendar.Calendar, error) {
	switch {
	case f.client == "":
		return nil, usagef(cmd, "Google Calendar needs --google-client FILE, the OAuth client file from Google Cloud")
	case f.token == "":
		return nil, usagef(cmd, "Google Calendar needs --google-token FILE, which rosteron google-auth writes")
	case loc == nil || loc == snapshot.Floating:
		return nil, usagef(cmd, "Google Calendar needs real instants: give the roster's time zone with --tz, such as --tz Australia/Melbourne")
	}
	name := strings.TrimSpace(f.calendar)
	if name == "" {
		name = strings.TrimSpace(defaultName)
	}
	if name == "" {
		return nil, usagef(cmd, "no Google calendar name: give --google-calendar NAME")
	}
	cfg, err := readGoogleClient(cmd, f.client)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(f.token)
	if err != nil {
		return nil, usagef(cmd, "cannot read --google-token: %v", fileError(err))
	}
	tok, err := google.ParseToken(data)
	if err != nil {
		return nil, usagef(cmd, "invalid --google-token %q: %v", f.token, err)
	}
	endpoint := c.getenv(googleAPIEnv)
	if endpoint != "" {
		if err := checkGoogleAPIEnv(endpoint); err != nil {
			shown := endpoint
			if u, perr := url.Parse(endpoint); perr == nil {
				shown = u.Redacted() // no password in a message
			}
			return nil, usagef(cmd, "invalid $%s %q: %v", googleAPIEnv, shown, err)
		}
	}
	c.warnOpenFile("Google token file", f.token)
	c.addSecrets("", cfg.ClientSecret, tok.AccessToken, tok.RefreshToken)
	var warnOnce sync.Once
	save := func(t *oauth2.Token) {
		// Before anything can log it.
		c.addSecrets("", t.AccessToken, t.RefreshToken)
		if err := writeGoogleToken(f.token, t); err != nil {
			// The refresh token still works: only the access token is
			// lost, and refreshed again next time.
			warnOnce.Do(func() {
				c.errorf("warning: cannot write the refreshed Google token back to %s: %v", f.token, fileError(err))
			})
		}
	}
	client, err := google.Client(ctx, cfg, tok, endpoint, &http.Client{Timeout: googleHTTPTimeout}, save)
	if err != nil {
		return nil, err
	}
	return google.Open(ctx, google.Config{Client: client, Endpoint: endpoint, Calendar: name, Location: loc, NoCreate: f.noCreate})
}

// checkGoogleAPIEnv accepts for $ROSTERON_GOOGLE_API_URL, which exists
// for tests, an http or https address on a loopback host, without a user
// name or password: the access token is sent there.
func checkGoogleAPIEnv(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "":
		return errors.New("not an absolute URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("want an http:// or https:// address")
	case u.User != nil:
		return errors.New("a user name or password in the address would be sent with every request: leave it out")
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
		return nil
	}
	return errors.New("it points the Google Calendar API elsewhere for tests, so it must be a loopback address (127.0.0.1, ::1 or localhost); unset it to use Google")
}

func readGoogleClient(cmd, path string) (*oauth2.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef(cmd, "cannot read --google-client: %v", fileError(err))
	}
	cfg, err := google.ParseClient(data)
	if err != nil {
		return nil, usagef(cmd, "invalid --google-client %q: %v", path, err)
	}
	return cfg, nil
}

// fileError is err without the file's name, which the message gives.
func fileError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// writeGoogleToken replaces the token file, readable by its owner only.
func writeGoogleToken(path string, t *oauth2.Token) error {
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Replace(path, append(data, '\n'), 0o600, true)
}

const googleAuthUsage = `Usage: rosteron google-auth --google-client FILE --google-token FILE [flags]

Authorises rosteron to write into Google Calendar, once, and writes the
token file that rosteron sync and serve read (--google-token). It can run
on any machine with a browser; copy the token file to the server after.

It prints an address to open in a browser, where Google asks to let the
OAuth client write into calendars that it creates (the scope
calendar.app.created: it sees none of the account's other calendars).
Google then sends the browser back to rosteron on 127.0.0.1, which takes
the answer, checks it, and writes the token file, readable by its owner
only. When the browser runs on another machine, that last page fails to
load: copy its whole address from the browser's address bar and paste it
here, on standard input.

The OAuth client is the person's own (or the operator's): see
docs/calendars.md for making one in Google Cloud. An app whose consent
screen is left in "Testing" gets refresh tokens that expire after 7 days.

Flags:
  --google-client FILE
                      the OAuth client file downloaded from Google Cloud (an
                      OAuth client of type "Desktop app")
  --google-token FILE the token file to write
  --timeout DURATION  how long to wait for the browser (default 10m)
  -h, --help          print this help
`

// googleAuthFlags registers google-auth's flags: the client and token
// files (no calendar: the token is good for any that rosteron creates)
// and the time to wait.
func googleAuthFlags(fs *flag.FlagSet) (*googleFlags, *time.Duration) {
	f := new(googleFlags)
	fs.StringVar(&f.client, "google-client", "", "")
	fs.StringVar(&f.token, "google-token", "", "")
	return f, fs.Duration("timeout", 10*time.Minute, "")
}

func (c *cli) googleAuth(ctx context.Context, args []string) error {
	const cmd = "google-auth"
	fs := newFlagSet(cmd)
	f, timeout := googleAuthFlags(fs)
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef(cmd, "google-auth takes no arguments")
	case f.client == "":
		return usagef(cmd, "missing --google-client FILE, the OAuth client file from Google Cloud")
	case f.token == "":
		return usagef(cmd, "missing --google-token FILE, the token file to write")
	case *timeout <= 0:
		return usagef(cmd, "invalid --timeout %v: want a positive duration, such as 10m", *timeout)
	}
	cfg, err := readGoogleClient(cmd, f.client)
	if err != nil {
		return err
	}
	// Before the browser, not after: a token that cannot be written is
	// a consent given for nothing.
	if fi, err := os.Stat(filepath.Dir(f.token)); err != nil || !fi.IsDir() {
		return usagef(cmd, "invalid --google-token %q: its folder does not exist", f.token)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("cannot listen on 127.0.0.1 for Google's answer: %w", err)
	}
	defer ln.Close()
	cfg.RedirectURL = "http://" + ln.Addr().String() + "/"
	state := randomToken()
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL(state,
		oauth2.AccessTypeOffline,
		// A refresh token every time, not only at the first consent.
		oauth2.SetAuthURLParam("prompt", "consent"),
		oauth2.S256ChallengeOption(verifier))

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	answers := make(chan authAnswer, 1)
	deliver := func(a authAnswer) {
		select {
		case answers <- a:
		default:
		}
	}
	srv := &http.Server{
		Handler:           authHandler(state, deliver),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
	}()
	go readPastedAnswers(c.stdin, state, deliver, func() {
		c.errorf("that is not the address Google sent the browser to for this run (no code, or another run's state): paste the whole address from the browser's address bar")
	})

	fmt.Fprintf(c.stderr, "Open this address in a browser and let rosteron write into the calendars it creates:\n\n  %s\n\n"+
		"Waiting for Google's answer on %s (or paste the address the browser ends on here)…\n", authURL, cfg.RedirectURL)

	var a authAnswer
	select {
	case a = <-answers:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("no answer from the browser within %v (--timeout)", *timeout)
		}
		return ctx.Err()
	}
	if a.err != "" {
		if a.err == "access_denied" {
			return &calendar.AuthError{Service: google.Service, Reason: "access was not granted in the browser (access_denied)"}
		}
		return &calendar.AuthError{Service: google.Service, Reason: "Google answered with an error: " + a.err}
	}

	// The client secret and the code go to the token endpoint, and not
	// where a redirect would send them.
	c.addSecrets("", cfg.ClientSecret)
	hc := google.NoRedirects(&http.Client{Timeout: googleHTTPTimeout})
	tok, err := cfg.Exchange(context.WithValue(ctx, oauth2.HTTPClient, hc), a.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return google.OAuthError("exchanging the authorisation code for a token", err)
	}
	c.addSecrets("", tok.AccessToken, tok.RefreshToken)
	if tok.RefreshToken == "" {
		return &calendar.AuthError{Service: google.Service, Reason: "Google gave no refresh token: remove rosteron's access at https://myaccount.google.com/permissions and run google-auth again"}
	}
	if scope, _ := tok.Extra("scope").(string); scope != "" && !slices.Contains(strings.Fields(scope), google.Scope) {
		return &calendar.AuthError{Service: google.Service, Reason: "the access granted does not include the calendars rosteron creates: run google-auth again and tick that box on Google's page"}
	}
	if err := writeGoogleToken(f.token, tok); err != nil {
		return fmt.Errorf("cannot write --google-token: %w", fileError(err))
	}
	fmt.Fprintf(c.stdout, "Wrote the Google token to %s (readable by its owner only). Copy it to where rosteron sync or serve runs, and give it with --google-token.\n", f.token)
	return nil
}

// authAnswer is what Google sent back through the browser: a code, or an
// error.
type authAnswer struct {
	code string
	err  string
}

// authHandler takes Google's redirect: an answer with the right state is
// delivered; one with another state (a page that is not this run's) is
// refused and waited past.
func authHandler(state string, deliver func(authAnswer)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		a, ok := parseAnswer(r.URL.Query(), state)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, authPage("This page is not the answer rosteron is waiting for (its state does not match). Start again from the address rosteron printed."))
			return
		}
		deliver(a)
		if a.err != "" {
			fmt.Fprint(w, authPage("Google answered: "+a.err+". rosteron stopped; you can close this tab."))
			return
		}
		fmt.Fprint(w, authPage("rosteron has Google's answer and is writing the token file. You can close this tab."))
	})
}

func authPage(msg string) string {
	return "<!doctype html><meta charset=utf-8><title>rosteron google-auth</title><p>" + html.EscapeString(msg) + "</p>\n"
}

// parseAnswer reads a redirect's query; ok is false when the state is not
// this run's or there is neither a code nor an error.
func parseAnswer(q url.Values, state string) (authAnswer, bool) {
	if q.Get("state") != state {
		return authAnswer{}, false
	}
	if e := q.Get("error"); e != "" {
		return authAnswer{err: e}, true
	}
	if code := q.Get("code"); code != "" {
		return authAnswer{code: code}, true
	}
	return authAnswer{}, false
}

// readPastedAnswers reads addresses pasted on standard input, for a
// browser on another machine, whose redirect to 127.0.0.1 cannot reach
// this one.
func readPastedAnswers(in io.Reader, state string, deliver func(authAnswer), refused func()) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		u, err := url.Parse(line)
		if err == nil {
			if a, ok := parseAnswer(u.Query(), state); ok {
				deliver(a)
				return
			}
		}
		refused()
	}
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
