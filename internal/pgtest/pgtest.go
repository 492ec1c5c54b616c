// Package pgtest runs a real PostgreSQL, Debian's postgresql package, on
// loopback for tests: one cluster per test process, initialised in a
// temporary folder, with a fresh database for each test that asks.
//
// PostgreSQL refuses to run as root, and CI runs as root: the cluster is
// then initialised and run as the postgres user that Debian's package
// makes. It listens on 127.0.0.1 only, on a port of its own, with
// scram-sha-256 password authentication, so that a test connects as the
// service does: a DSN without the password, and the password apart.
//
// Outside CI a machine without PostgreSQL skips the tests that need it; in
// CI (CI=true) it fails them, since a store test that skips proves
// nothing.
//
// A package that uses it calls Main from its TestMain, which stops the
// cluster and removes its folder when the tests are done.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// EnvBin names the folder of PostgreSQL's server programs (initdb,
// postgres, pg_ctl), when it is not the newest /usr/lib/postgresql/*/bin.
const EnvBin = "ROSTERON_PG_BIN"

// startTimeout bounds how long the cluster may take to accept
// connections. It is ready in about a second; a loaded CI machine gets
// plenty more.
const startTimeout = 60 * time.Second

// InCI reports whether the tests run in CI, where nothing may be skipped
// for want of PostgreSQL.
func InCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Bin returns the folder of PostgreSQL's server programs, or "" when
// there is none.
func Bin() string {
	if p := os.Getenv(EnvBin); p != "" {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Cluster is the test process's PostgreSQL.
type Cluster struct {
	// Host and Port are where it listens (127.0.0.1).
	Host string
	Port int
	// User is its superuser, and Password that user's password.
	User     string
	Password string
	// Dir is its folder: data, socket and log.
	Dir string

	bin  string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

var (
	mu      sync.Mutex
	shared  *Cluster
	failed  error
	counter atomic.Int64
)

// Main runs the package's tests and then stops the cluster, if one was
// started: call it from TestMain as os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops the cluster and removes its folder. Main calls it.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		shared.stop()
		shared = nil
	}
}

// Start returns the test process's cluster, starting it the first time.
// Without PostgreSQL it skips t, or fails it in CI.
func Start(t testing.TB) *Cluster {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		select {
		case <-shared.done:
			t.Fatalf("pgtest: PostgreSQL exited during the tests; its log:\n%s", tail(shared.log))
		default:
		}
		return shared
	}
	if failed != nil {
		t.Fatalf("pgtest: %v", failed)
	}
	bin := Bin()
	if bin == "" {
		if InCI() {
			t.Fatalf("pgtest: PostgreSQL is not installed (CI=true: install Debian's postgresql, or set %s)", EnvBin)
		}
		t.Skipf("pgtest: PostgreSQL is not installed (Debian's postgresql, or set %s)", EnvBin)
	}
	var c *Cluster
	var err error
	for range 3 { // a port taken between choosing and listening: again
		if c, err = start(bin); err == nil || !errors.Is(err, errPortTaken) {
			break
		}
	}
	if err != nil {
		failed = err
		t.Fatalf("pgtest: %v", err)
	}
	shared = c
	return c
}

var errPortTaken = errors.New("port taken")

// runAs returns the credential to run PostgreSQL with: the postgres user
// when this process is root, nil otherwise.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and no postgres user to run PostgreSQL as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func start(bin string) (_ *Cluster, err error) {
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "rosteron-pgtest-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	pw := make([]byte, 16)
	rand.Read(pw)
	c := &Cluster{
		Host:     "127.0.0.1",
		User:     "rosteron_test",
		Password: hex.EncodeToString(pw),
		Dir:      dir,
		bin:      bin,
		done:     make(chan struct{}),
		log:      filepath.Join(dir, "postgres.log"),
	}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.Password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if cred != nil {
		os.Chown(pwfile, int(cred.Uid), int(cred.Gid))
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", c.User,
		"--pwfile", pwfile, "--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
		"-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	os.Remove(pwfile)

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	c.Port = port
	logf, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	// Durability is not under test here: fsync off makes each test's
	// database and commits fast on a busy CI disk.
	c.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-c", "listen_addresses=127.0.0.1", "-p", strconv.Itoa(port),
		"-c", "unix_socket_directories="+dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=64MB")
	c.cmd.Stdout = logf
	c.cmd.Stderr = logf
	c.cmd.Dir = dir
	// Pdeathsig: a test binary killed outright takes its PostgreSQL with
	// it (SIGQUIT: PostgreSQL's immediate shutdown) rather than leaving
	// it running.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	go func() { c.cmd.Wait(); close(c.done) }()
	if err := c.waitReady(); err != nil {
		c.stop()
		if strings.Contains(readFile(c.log), "Address already in use") {
			return nil, errPortTaken
		}
		return nil, fmt.Errorf("%v; its log:\n%s", err, tail(c.log))
	}
	return c, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until the cluster answers a query, or it exits.
func (c *Cluster) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	for {
		db := c.open("postgres")
		err := db.PingContext(context.Background())
		db.Close()
		if err == nil {
			return nil
		}
		select {
		case <-c.done:
			return errors.New("postgres exited at start")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within %s: %v", startTimeout, err)
		}
	}
}

// DSN returns the address of the named database, without the password
// (sslmode=disable: loopback).
func (c *Cluster) DSN(database string) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", c.User, c.Host, c.Port, database)
}

// Config returns the connection configuration of the named database,
// the password included.
func (c *Cluster) Config(database string) *pgx.ConnConfig {
	cfg, err := pgx.ParseConfig(c.DSN(database))
	if err != nil {
		panic(err) // DSN always parses
	}
	cfg.Password = c.Password
	return cfg
}

func (c *Cluster) open(database string) *sql.DB {
	return stdlib.OpenDB(*c.Config(database))
}

// StartCluster starts a cluster of its own, outside a test (a benchmark
// program): the caller stops it with Close. It fails without PostgreSQL.
func StartCluster() (*Cluster, error) {
	bin := Bin()
	if bin == "" {
		return nil, fmt.Errorf("PostgreSQL is not installed (Debian's postgresql, or set %s)", EnvBin)
	}
	var c *Cluster
	var err error
	for range 3 {
		if c, err = start(bin); err == nil || !errors.Is(err, errPortTaken) {
			break
		}
	}
	return c, err
}

// Close stops a cluster that StartCluster started and removes its folder.
func (c *Cluster) Close() { c.stop() }

// CreateDatabase makes an empty database of that name.
func (c *Cluster) CreateDatabase(name string) (*Database, error) {
	admin := c.open("postgres")
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE ` + pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("creating database %s: %w", name, err)
	}
	return &Database{Name: name, DSN: c.DSN(name), Password: c.Password, cluster: c}, nil
}

// Database is a database of its own for one test.
type Database struct {
	// Name is the database's name; DSN its address without the
	// password, and Password the password.
	Name     string
	DSN      string
	Password string
	cluster  *Cluster
}

// NewDatabase makes a fresh, empty database for t, dropped when t ends
// (after t's own cleanups, which close what t opened).
func NewDatabase(t testing.TB) *Database {
	t.Helper()
	c := Start(t)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), counter.Add(1))
	admin := c.open("postgres")
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("pgtest: creating a database: %v", err)
	}
	t.Cleanup(func() {
		admin := c.open("postgres")
		defer admin.Close()
		// WITH (FORCE): a connection a failed test left open does not
		// keep the database.
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	return &Database{Name: name, DSN: c.DSN(name), Password: c.Password, cluster: c}
}

// Open opens the database as its superuser, for a test's own checks.
func (d *Database) Open(t testing.TB) *sql.DB {
	db := d.cluster.open(d.Name)
	t.Cleanup(func() { db.Close() })
	return db
}

// Cluster is the cluster the database is in.
func (d *Database) Cluster() *Cluster { return d.cluster }

// Bin is the folder of the cluster's programs (pg_dump, psql's peers).
func (c *Cluster) Bin() string { return c.bin }

func (c *Cluster) stop() {
	if c.cmd != nil && c.cmd.Process != nil {
		c.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-c.done:
		case <-time.After(30 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	}
	os.RemoveAll(c.Dir)
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func tail(path string) string {
	s := readFile(path)
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

func openConfig(cfg *pgx.ConnConfig) *sql.DB { return stdlib.OpenDB(*cfg) }
