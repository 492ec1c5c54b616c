package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// passwordSource takes the first source given, in the documented order,
// and reads the first line of a file.
func TestPasswordSources(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, data string, perm os.FileMode) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(data), perm))
		return p
	}
	flagFile := write("flag", "from-flag\n", 0o600)
	envFile := write("env", "from-env-file\r\nignored\n", 0o600)
	creds := filepath.Dir(write("creds/"+credentialName, "from-credential", 0o400))
	secrets := filepath.Dir(write("secrets/"+dockerSecretName, "from-secret\n", 0o444))
	empty := t.TempDir()

	tests := []struct {
		name    string
		flag    string
		env     map[string]string
		secrets string
		want    string
	}{
		{"flag first", flagFile, map[string]string{"ROSTERON_PASSWORD_FILE": envFile, "CREDENTIALS_DIRECTORY": creds, "ROSTERON_PASSWORD": "from-env"}, secrets, "from-flag"},
		{"then the file env names", "", map[string]string{"ROSTERON_PASSWORD_FILE": envFile, "CREDENTIALS_DIRECTORY": creds, "ROSTERON_PASSWORD": "from-env"}, secrets, "from-env-file"},
		{"then a systemd credential", "", map[string]string{"CREDENTIALS_DIRECTORY": creds, "ROSTERON_PASSWORD": "from-env"}, secrets, "from-credential"},
		{"then a Docker secret", "", map[string]string{"CREDENTIALS_DIRECTORY": empty, "ROSTERON_PASSWORD": "from-env"}, secrets, "from-secret"},
		{"then the environment", "", map[string]string{"CREDENTIALS_DIRECTORY": empty, "ROSTERON_PASSWORD": "from-env"}, empty, "from-env"},
	}
	for _, tc := range tests {
		c := &cli{stdin: strings.NewReader(""), getenv: func(k string) string { return tc.env[k] }, secretsDir: tc.secrets}
		got, prompt, err := c.passwordSource(context.Background(), "roster", passwordFlags{file: tc.flag})
		require.NoError(t, err, tc.name)
		assert.False(t, prompt, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
		assert.Equal(t, tc.want, c.password, "%s: kept to be scrubbed from messages", tc.name)
	}
}

// A password file that cannot be used is an error that names the file and
// never quotes what it holds.
func TestPasswordFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const secret = "hunter2-secret"
	emptyFile := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(emptyFile, []byte("\n"+secret+"\n"), 0o600))
	long := filepath.Join(dir, "long")
	require.NoError(t, os.WriteFile(long, []byte(strings.Repeat(secret, maxPasswordLine/len(secret)+2)), 0o600))
	secrets := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(secrets, dockerSecretName), 0o700))

	tests := []struct {
		name    string
		pf      passwordFlags
		env     map[string]string
		secrets string
		code    int
		msg     string
	}{
		{"missing", passwordFlags{file: filepath.Join(dir, "nope")}, nil, dir, exitUsage, "no password file " + filepath.Join(dir, "nope")},
		{"missing, named by env", passwordFlags{}, map[string]string{"ROSTERON_PASSWORD_FILE": filepath.Join(dir, "nope")}, dir, exitUsage, "no password file"},
		{"empty first line", passwordFlags{file: emptyFile}, nil, dir, exitUsage, "no password on the first line of " + emptyFile},
		{"no line", passwordFlags{file: long}, nil, dir, exitUsage, "has no line break in its first 64 KiB"},
		{"a directory", passwordFlags{file: dir}, nil, dir, exitUsage, "is a directory"},
		{"a secret that is a directory", passwordFlags{}, map[string]string{"ROSTERON_PASSWORD": secret}, secrets, exitUsage, "(found there, so read in place of $ROSTERON_PASSWORD)"},
		{"two sources", passwordFlags{stdin: true, file: emptyFile}, nil, dir, exitUsage, "--password-stdin and --password-file"},
	}
	for _, tc := range tests {
		c := &cli{stdin: strings.NewReader(secret + "\n"), getenv: func(k string) string { return tc.env[k] }, secretsDir: tc.secrets}
		_, _, err := c.passwordSource(context.Background(), "roster", tc.pf)
		require.Error(t, err, tc.name)
		assert.Contains(t, err.Error(), tc.msg, tc.name)
		assert.NotContains(t, err.Error(), secret, tc.name)
		assert.Equal(t, tc.code, exitCode(context.Background(), err), tc.name)
	}

	if os.Geteuid() != 0 { // root reads any file
		unreadable := filepath.Join(dir, "unreadable")
		require.NoError(t, os.WriteFile(unreadable, []byte(secret+"\n"), 0o000))
		c := &cli{stdin: strings.NewReader(""), getenv: func(string) string { return "" }, secretsDir: dir}
		_, _, err := c.passwordSource(context.Background(), "roster", passwordFlags{file: unreadable})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "permission denied")
		assert.Equal(t, exitError, exitCode(context.Background(), err))
	}
}
