package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/caldav"
	"github.com/rosteron/rosteron/internal/radicaletest"
	"github.com/rosteron/rosteron/mockserver"
)

// caldavEnv is where docker-compose.yml's e2e service finds its Radicale
// (the radicale service, by name); elsewhere the suite starts its own on
// loopback.
const caldavEnv = "ROSTERON_E2E_CALDAV"

// radicaleUsers is the compose Radicale's htpasswd file, one demo
// account, which the e2e image holds with the rest of the sources.
const radicaleUsers = "../deploy/radicale/users"

// caldavAccount is a CalDAV server for the sync tests, with an account on
// it.
type caldavAccount struct {
	url, username, password string
	local                   bool // on loopback, started by this test
}

func caldavServer(t *testing.T) caldavAccount {
	t.Helper()
	if u := os.Getenv(caldavEnv); u != "" {
		b, err := os.ReadFile(radicaleUsers)
		require.NoError(t, err)
		user, pass, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
		require.True(t, ok, "%s holds user:password", radicaleUsers)
		return caldavAccount{url: u, username: user, password: pass}
	}
	const user, pass = "nurse", "caldav-secret-e2e"
	srv := radicaletest.Start(t, map[string]string{user: pass})
	return caldavAccount{url: srv.URL, username: user, password: pass, local: true}
}

// TestCLISyncIntoCalDAV is `rosteron sync` as a person runs it from cron:
// the mock's roster, through Chrome, into a real CalDAV server, a
// calendar of its own made on the first run; the second run writes
// nothing; the person's own event in that calendar is never touched.
func TestCLISyncIntoCalDAV(t *testing.T) {
	needChrome(t)
	requireReachable(t)
	acct := caldavServer(t)
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "caldav-password")
	require.NoError(t, os.WriteFile(pwFile, []byte(acct.password+"\n"), 0o600))
	name := "Roster e2e " + randomHex(t)

	args := []string{"sync", "--tz", "Australia/Melbourne",
		"--caldav", acct.url, "--caldav-username", acct.username,
		"--caldav-password-file", pwFile, "--caldav-calendar", name}
	if !acct.local {
		// Plain http:// to another container: said here, not only in
		// the environment, as a person would have to.
		args = append(args, "--allow-http")
	}

	before := time.Now()
	first := cli(t, demoEnv(), "", args...)
	after := time.Now()
	require.Equal(t, 0, first.code, "stderr: %s", first.stderr)
	creates := countPrefix(first.stdout, "create ")
	// One event a shift the roster lists, days before today too. The
	// mock's demo roster follows its clock; a run across midnight may see
	// either day's.
	want := []int{len(mockserver.DemoRoster(before)), len(mockserver.DemoRoster(after))}
	require.Positive(t, want[0])
	assert.Contains(t, want, creates, "one event a shift of the demo roster:\n%s", first.stdout)
	assert.Zero(t, countPrefix(first.stdout, "update ")+countPrefix(first.stdout, "delete "), first.stdout)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cal, err := caldav.Open(ctx, caldav.Config{URL: acct.url, Username: acct.username, Password: acct.password,
		Calendar: name, AllowHTTP: !acct.local})
	require.NoError(t, err)
	account, err := calendar.AccountID(mockURL, mockserver.DemoUsername)
	require.NoError(t, err)
	events, err := cal.List(ctx, account)
	require.NoError(t, err)
	assert.Len(t, events, creates, "the calendar holds what the sync said it created")
	for _, ev := range events {
		assert.True(t, strings.HasSuffix(ev.UID, calendar.UIDDomain), ev.UID)
		assert.Equal(t, account, ev.Account)
	}

	// The person's own event in the same calendar.
	own := ownEvent(t, ctx, acct, cal.URL())
	tag, err := cal.Tag(ctx)
	require.NoError(t, err)

	second := cli(t, demoEnv(), "", args...)
	require.Equal(t, 0, second.code, "stderr: %s", second.stderr)
	assert.Empty(t, strings.TrimSpace(second.stdout), "an unchanged roster writes nothing")
	assert.Contains(t, second.stderr, "0 created, 0 updated, 0 deleted")
	tagAfter, err := cal.Tag(ctx)
	require.NoError(t, err)
	assert.Equal(t, tag, tagAfter, "the calendar did not change")
	assert.Equal(t, own, readOwn(t, ctx, acct, cal.URL()), "the person's own event is as they left it")

	for _, r := range []result{first, second} {
		assert.NotContains(t, r.stdout+r.stderr, acct.password)
		assert.NotContains(t, r.stdout+r.stderr, mockserver.DemoPassword)
	}
}

// TestCLISyncWrongCalDAVPassword: a wrong CalDAV password is the
// calendar's trouble, exit 7 naming CalDAV, never RosterOn's exit 3.
func TestCLISyncWrongCalDAVPassword(t *testing.T) {
	needChrome(t)
	acct := caldavServer(t)
	pwFile := filepath.Join(t.TempDir(), "caldav-password")
	const wrong = "not-the-caldav-password"
	require.NoError(t, os.WriteFile(pwFile, []byte(wrong+"\n"), 0o600))
	args := []string{"sync", "--tz", "Australia/Melbourne",
		"--caldav", acct.url, "--caldav-username", acct.username, "--caldav-password-file", pwFile}
	if !acct.local {
		args = append(args, "--allow-http")
	}
	r := cli(t, demoEnv(), "", args...)
	assert.Equal(t, 7, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, "CalDAV")
	assert.NotContains(t, r.stdout+r.stderr, wrong)
}

const ownUID = "dentist-e2e@example.org"

// ownEvent puts a person's own event into the calendar at calURL and
// returns it as stored.
func ownEvent(t *testing.T, ctx context.Context, acct caldavAccount, calURL string) string {
	t.Helper()
	body := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//person//EN\r\nBEGIN:VEVENT\r\n" +
		"UID:" + ownUID + "\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20261210T010000Z\r\n" +
		"DTEND:20261210T020000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	code, _ := davDo(t, ctx, acct, "PUT", calURL, "dentist-e2e.ics", body)
	require.Equal(t, 201, code)
	return readOwn(t, ctx, acct, calURL)
}

func readOwn(t *testing.T, ctx context.Context, acct caldavAccount, calURL string) string {
	t.Helper()
	code, body := davDo(t, ctx, acct, "GET", calURL, "dentist-e2e.ics", "")
	require.Equal(t, 200, code)
	return body
}

func randomHex(t *testing.T) string {
	var b [4]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return hex.EncodeToString(b[:])
}

func countPrefix(out, prefix string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// davDo sends one request with the account's credentials to the
// resource name in the calendar at calURL.
func davDo(t *testing.T, ctx context.Context, acct caldavAccount, method, calURL, name, body string) (int, string) {
	t.Helper()
	u, err := url.JoinPath(calURL, name)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	require.NoError(t, err)
	req.SetBasicAuth(acct.username, acct.password)
	if body != "" {
		req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}
