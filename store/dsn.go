package store

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrDSNPassword: the database address itself holds a password (or an
// sslpassword), which would be seen in process lists and logs.
var ErrDSNPassword = errors.New("the database address holds a password")

// ErrDSNInvalid: the database address cannot be read. Its text never
// quotes the address.
var ErrDSNInvalid = errors.New("the database address is not a valid postgres:// URL nor key=value settings")

// PlaintextHostError: a host that is not loopback would be reached
// without TLS that verifies its certificate.
type PlaintextHostError struct{ Host string }

func (e *PlaintextHostError) Error() string {
	return fmt.Sprintf("the database host %s is not loopback, and the connection to it is not TLS with a verified certificate: "+
		"add sslmode=verify-full to the database address (and sslrootcert=FILE when its certificate authority is not the system's; "+
		"verify-ca only with sslrootcert=FILE), or allow plaintext explicitly on a network you trust", e.Host)
}

// forbiddenDSNKeys may not be written in a database address.
var forbiddenDSNKeys = []string{"password", "sslpassword"}

// CheckDSN judges a database address the way pgx reads it (libpq's
// rules, which net/url does not follow: a userinfo ends at the first @
// even past a ? or #): it refuses a password or sslpassword written in
// it, and, unless allowPlaintext, any host (the first and every
// fallback) that is not loopback and that pgx would reach without
// verifying its certificate. It returns pgx's configuration (the
// environment's and a .pgpass's settings applied) and the hosts.
// No error quotes the address.
func CheckDSN(dsn string, allowPlaintext bool) (*pgx.ConnConfig, []string, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, nil, errors.New("no database address given")
	}
	if err := checkDSNKeys(dsn); err != nil {
		return nil, nil, err
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, nil, ErrDSNInvalid
	}
	targets := []*pgconn.FallbackConfig{{Host: cfg.Host, Port: cfg.Port, TLSConfig: cfg.TLSConfig}}
	targets = append(targets, cfg.Fallbacks...)
	var hosts []string
	for _, t := range targets {
		if !containsString(hosts, t.Host) {
			hosts = append(hosts, t.Host)
		}
		if !allowPlaintext && !isLocalHost(t.Host) && !tlsVerified(t.TLSConfig) {
			return nil, nil, &PlaintextHostError{Host: t.Host}
		}
	}
	return cfg, hosts, nil
}

// tlsVerified: whether pgx's TLS configuration checks the server's
// certificate. nil is plaintext. Go's own verification checks the chain
// and the host name (pgx's verify-full, or sslrootcert=system). pgx's
// verify-ca (and require with a root file) skips Go's verification and
// checks the chain against RootCAs in VerifyPeerCertificate, without the
// host name: that is accepted only with an explicit CA file (RootCAs
// set), never with the system's CAs, which would let any publicly
// certified host stand in for the database.
func tlsVerified(c *tls.Config) bool {
	if c == nil {
		return false
	}
	if !c.InsecureSkipVerify {
		return true
	}
	return c.VerifyPeerCertificate != nil && c.RootCAs != nil
}

// checkDSNKeys refuses the keys of forbiddenDSNKeys in dsn, as pgx's
// parser reads them: it parses with an allow-list that grows by every
// other key pgx names, until the address parses or a forbidden key is
// named.
func checkDSNKeys(dsn string) error {
	allowed := []string{}
	const notAllowed = "connection string key "
	for range 200 {
		_, err := pgconn.ParseConfigWithOptions(dsn, pgconn.ParseConfigOptions{ConnStringAllowedKeys: allowed})
		if err == nil {
			return nil
		}
		var pe *pgconn.ParseConfigError
		if !errors.As(err, &pe) {
			return ErrDSNInvalid
		}
		msg := err.Error()
		i := strings.LastIndex(msg, notAllowed)
		if i < 0 || !strings.HasSuffix(msg, " is not in ConnStringAllowedKeys") {
			// Not an allow-list refusal: the address is broken. pgx's
			// text may quote it, so it is not passed on.
			return ErrDSNInvalid
		}
		key, uerr := strconv.Unquote(strings.TrimSuffix(msg[i+len(notAllowed):], " is not in ConnStringAllowedKeys"))
		if uerr != nil || containsString(allowed, key) {
			return ErrDSNInvalid
		}
		// Any case: pgx would send "PASSWORD" to the server as a
		// setting, into its log.
		if containsString(forbiddenDSNKeys, strings.ToLower(key)) {
			return ErrDSNPassword
		}
		allowed = append(allowed, key)
	}
	return ErrDSNInvalid
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
