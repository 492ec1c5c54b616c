package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/internal/radicaletest"
)

func TestCalDAVFlags(t *testing.T) {
	t.Parallel()
	fs := newFlagSet("sync")
	var f caldavFlags
	f.register(fs)
	assert.False(t, f.given())
	require.NoError(t, fs.Parse([]string{
		"--caldav", "https://dav.example.org/", "--caldav-username", "joe",
		"--caldav-calendar", "Roster", "--caldav-password-file", "/etc/rosteron/caldav-password",
	}))
	assert.Equal(t, caldavFlags{url: "https://dav.example.org/", username: "joe", calendar: "Roster",
		passwordFile: "/etc/rosteron/caldav-password"}, f)
	assert.True(t, f.given())
	assert.True(t, caldavFlags{passwordFile: "x"}.given(), "a lone --caldav-password-file still means CalDAV")
	assert.NotContains(t, caldavUsage, "--caldav-password ", "no flag holds the password")
	for _, name := range []string{"--caldav URL", "--caldav-username USER", "--caldav-calendar NAME", "--caldav-password-file FILE",
		caldavCredentialName, caldavSecretName} {
		assert.Contains(t, caldavUsage, name)
	}
}

func TestCalDAVUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const secret = "caldav-hunter2"
	emptyFile := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(emptyFile, []byte("\n"+secret+"\n"), 0o600))
	tests := []struct {
		name      string
		f         caldavFlags
		allowHTTP bool
		msg       string
	}{
		{"no URL", caldavFlags{username: "joe"}, false, "need --caldav URL"},
		{"not a URL", caldavFlags{url: "dav.example.org", username: "joe"}, false, "invalid --caldav"},
		{"another scheme", caldavFlags{url: "ftp://dav.example.org/", username: "joe"}, false, "invalid --caldav"},
		{"credentials in it", caldavFlags{url: "https://joe:" + secret + "@dav.example.org/", username: "joe"}, false, "holds credentials"},
		{"plain http to another host", caldavFlags{url: "http://dav.example.org/", username: "joe"}, false, "--allow-http"},
		{"no username", caldavFlags{url: "https://dav.example.org/"}, false, "needs --caldav-username"},
		{"no password", caldavFlags{url: "https://dav.example.org/", username: "joe"}, false, "no CalDAV password"},
		{"no password file", caldavFlags{url: "https://dav.example.org/", username: "joe", passwordFile: filepath.Join(dir, "nope")},
			false, "no CalDAV password file " + filepath.Join(dir, "nope")},
		{"an empty first line", caldavFlags{url: "https://dav.example.org/", username: "joe", passwordFile: emptyFile},
			false, "no CalDAV password on the first line of " + emptyFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			c := &cli{stderr: &stderr, getenv: func(string) string { return "" }, secretsDir: dir}
			cal, err := c.openCalDAV(context.Background(), "sync", tc.f, "Roster", tc.allowHTTP)
			require.Error(t, err)
			assert.Nil(t, cal)
			assert.Equal(t, exitUsage, exitCode(context.Background(), err), "%v", err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Contains(t, err.Error(), "rosteron sync --help")
			assert.NotContains(t, err.Error(), secret)
		})
	}
}

// The password comes from --caldav-password-file, else the systemd
// credential, else the Docker secret; it is kept to be scrubbed.
func TestCalDAVPasswordSources(t *testing.T) {
	const pw = "caldav-Secr3t-pässword"
	srv := radicaletest.Start(t, map[string]string{"joe": pw})
	dir := t.TempDir()
	write := func(name string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(pw+"\nignored\n"), 0o600))
		return p
	}
	flagFile := write("flag/caldav-password")
	creds := filepath.Dir(write("creds/" + caldavCredentialName))
	secrets := filepath.Dir(write("secrets/" + caldavSecretName))
	empty := t.TempDir()

	tests := []struct {
		name    string
		file    string
		creds   string
		secrets string
	}{
		{"the flag's file", flagFile, empty, empty},
		{"the systemd credential", "", creds, empty},
		{"the Docker secret", "", empty, secrets},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var stderr bytes.Buffer
			env := map[string]string{"CREDENTIALS_DIRECTORY": tc.creds}
			c := &cli{stderr: &stderr, getenv: func(k string) string { return env[k] }, secretsDir: tc.secrets}
			f := caldavFlags{url: srv.URL, username: "joe", passwordFile: tc.file}
			cal, err := c.openCalDAV(ctx, "sync", f, "Roster", false)
			require.NoError(t, err)
			assert.Contains(t, cal.String(), "Roster", "the default name")
			assert.NotContains(t, cal.String(), pw)
			assert.Contains(t, c.secrets, pw)
			assert.Equal(t, "a [REDACTED] b", c.oneLine("a "+pw+" b"), "scrubbed from messages")
			assert.Empty(t, stderr.String())
		})
	}

	// --caldav-calendar wins over the default name.
	c := &cli{stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }, secretsDir: empty}
	cal, err := c.openCalDAV(context.Background(), "sync", caldavFlags{url: srv.URL + "/", username: "joe", calendar: "Shifts", passwordFile: flagFile}, "Roster", false)
	require.NoError(t, err)
	assert.Contains(t, cal.String(), ": Shifts")
	assert.Equal(t, []string{"Roster", "Shifts"}, sortedValues(srv.Collections("joe")))
}

func sortedValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	if len(out) == 2 && out[0] > out[1] {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// A wrong CalDAV password is the calendar's error, naming CalDAV, not a
// usage error nor RosterOn's refused login; the password is in no message.
func TestCalDAVWrongPassword(t *testing.T) {
	srv := radicaletest.Start(t, map[string]string{"joe": "the-right-one"})
	file := filepath.Join(t.TempDir(), "caldav-password")
	const wrong = "the-Wrong-one"
	require.NoError(t, os.WriteFile(file, []byte(wrong+"\n"), 0o600))
	var stderr bytes.Buffer
	c := &cli{stderr: &stderr, getenv: func(string) string { return "" }, secretsDir: t.TempDir()}
	cal, err := c.openCalDAV(context.Background(), "sync", caldavFlags{url: srv.URL, username: "joe", passwordFile: file}, "Roster", false)
	require.Error(t, err)
	assert.True(t, cal == nil, "a nil interface, not one holding a nil pointer")
	var auth *calendar.AuthError
	require.ErrorAs(t, err, &auth)
	assert.Equal(t, "CalDAV", auth.Service)
	assert.NotEqual(t, exitBadCredentials, exitCode(context.Background(), err), "RosterOn's exit code for a refused login")
	c.errorf("%v", err)
	assert.Contains(t, stderr.String(), "CalDAV")
	assert.Contains(t, stderr.String(), `"joe"`)
	assert.NotContains(t, stderr.String(), wrong)
	assert.False(t, strings.Contains(err.Error(), wrong))
}
