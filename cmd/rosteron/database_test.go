package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckDSN(t *testing.T) {
	tests := []struct {
		name, dsn string
		allow     bool
		want      string // the error's text; "" for none
		where     string
	}{
		{"loopback", "postgres://rosteron@127.0.0.1:5432/roster?sslmode=disable", false, "", "postgres 127.0.0.1/roster"},
		{"localhost", "postgres://rosteron@localhost/roster", false, "", "postgres localhost/roster"},
		{"socket", "host=/run/postgresql dbname=roster user=rosteron", false, "", "postgres /run/postgresql/roster"},
		{"verified", "postgres://rosteron@db.example.org/roster?sslmode=verify-full", false, "", "postgres db.example.org/roster"},
		{"verify-ca without a CA file", "host=db.example.org dbname=roster sslmode=verify-ca", false, "does not ask for verified TLS", ""},
		{"ssl=true undoes verify-full", "postgres://rosteron@db.example.org/roster?sslmode=verify-full&ssl=true", false, "does not ask for verified TLS", ""},
		{"password after # in the userinfo", "postgres://rosteron:#Db-Pa55@db.example.org/roster?sslmode=verify-full", false, "holds a password", ""},
		{"sslpassword", "postgres://rosteron@db.example.org/roster?sslmode=verify-full&sslpassword=Db-Pa55", false, "holds a password", ""},
		{"password glued to a quote", "user='rosteron'password=Db-Pa55 host=127.0.0.1", false, "holds a password", ""},
		{"remote in clear", "postgres://rosteron@db.example.org/roster?sslmode=disable", false,
			"the database host db.example.org is not this machine, and the address does not ask for verified TLS: add sslmode=verify-full", ""},
		{"remote, TLS unverified", "postgres://rosteron@db.example.org/roster?sslmode=require", false, "does not ask for verified TLS", ""},
		{"remote, default prefer", "postgres://rosteron@db.example.org/roster", false, "does not ask for verified TLS", ""},
		{"remote allowed", "postgres://rosteron@db.example.org/roster?sslmode=disable", true, "", ""},
		{"password in the URL", "postgres://rosteron:Db-Pa55@db.example.org/roster?sslmode=verify-full", false,
			"the --database address holds a password (or an sslpassword): remove it, and put the password in a file given with --database-password-file", ""},
		{"password in the query", "postgresql://rosteron@db.example.org/roster?password=Db-Pa55", false, "holds a password", ""},
		{"password key", "host=127.0.0.1 password=Db-Pa55 dbname=roster", false, "the --database address holds a password", ""},
		{"password key spaced", "host=127.0.0.1 PASSWORD = Db-Pa55", false, "holds a password", ""},
		{"not an address", "roster", false, "is neither a valid postgres:// URL nor valid key=value settings", ""},
		{"broken URL", "postgres://rosteron:Db-Pa55@[::1/roster", false, "is neither a valid postgres:// URL", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			where, err := checkDSN("serve", tt.dsn, tt.allow)
			if tt.want == "" {
				require.NoError(t, err)
				if tt.where != "" {
					assert.Equal(t, tt.where, where)
				}
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "Db-Pa55")
			var usage *usageError
			assert.ErrorAs(t, err, &usage)
		})
	}
}

// The database flags from the command line and the environment: a URL
// with a password is refused before anything is opened, and never
// quoted; the password file goes with --database only; plaintext is
// allowed only when asked, with a warning.
func TestDatabaseFlags(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	r := runWith(t, nil, "", "accounts", "list", "--state", state, "--database", "postgres://u:Db-Pa55@127.0.0.1/x")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "holds a password")
	assert.NotContains(t, r.stderr, "Db-Pa55")

	r = runWith(t, map[string]string{envDatabase: "postgres://u:Db-Pa55@127.0.0.1/x"}, "",
		"serve", "--accounts", "--state", state, "--key-file", key)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "holds a password")
	assert.NotContains(t, r.stderr, "Db-Pa55")

	r = runWith(t, nil, "", "accounts", "list", "--state", state, "--database-password-file", key)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--database-password-file and --database-allow-plaintext go with --database")

	r = runWith(t, map[string]string{envDatabase: "postgres://u@db.example.org/x"}, "", "accounts", "list", "--state", state)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "add sslmode=verify-full")

	// Allowed in clear: the warning, then the connection fails (no
	// database there; port 1 refuses at once).
	r = runWith(t, map[string]string{envDatabase: "postgres://u@192.0.2.1:1/x?connect_timeout=1", envAllowPlaintext: "1"}, "",
		"accounts", "list", "--state", state)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "warning: --database-allow-plaintext: the database postgres 192.0.2.1/x may be reached without verified TLS")
	r = runWith(t, map[string]string{envAllowPlaintext: "maybe", envDatabase: "postgres://u@127.0.0.1/x"}, "", "accounts", "list", "--state", state)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "invalid "+envAllowPlaintext)

	r = runWith(t, nil, "", "serve", "--accounts", "--state", state, "--key-file", key, "--job-timeout", "0s")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "invalid --job-timeout 0s")
}
