package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosteron/rosteron/internal/atomicfile"
	"github.com/rosteron/rosteron/mockserver"
)

func mockUsage() string {
	return `Usage: rosteron mock [flags]

Serves a mock RosterOn Mobile over HTTP until stopped with Ctrl-C or
SIGTERM, to try rosteron against without a real instance. The first line of
output is

  rosteron mock serving BASEURL

for scripts to read; the next is the demo login, whose password is public.

Flags:
  --addr HOST:PORT     the address to listen on; port 0 picks a free port,
                       which BASEURL shows (default 127.0.0.1:8080)
  --base-path PATH     the path before /Account/Login
                       (default ` + mockserver.DefaultBasePath + `)
  --fault NAME,...     misbehave in these ways (default none):
` + indent(faultNames(), 23, 80) + `;
                       NAME@STEP only on the requests of one step, STEP
                       one of login, home, roster, logout: hang@roster
                       logs in and never answers the roster
  --latency DURATION   delay every response, such as 500ms (default 0s)
  --realistic          load on every page what real instances load: jQuery,
                       jQuery Migrate and jQuery Mobile with its styles
                       (about 520 KB), versioned and cached as real
                       instances serve them, and their inline scripts;
                       needs Debian's libjs-jquery, libjs-jquery-migrate-1
                       and libjs-jquery-mobile
  --scripts DIR        where --realistic reads them from
                       (default ` + mockserver.DebianScriptDir + `)
  --shifts N           give the demo user a roster of N shifts, such as 124
                       for the size of a typical real roster (default 32)
  --users N            serve N generated users besides the demo ones:
                       usernames ` + mockUserPrefix + `.0001 to ` + mockUserPrefix + `.N, each
                       with a password and a roster of its own (default 0)
  --users-seed S       the generated users' seed: the same N and S give
                       the same usernames and passwords (default 1)
  --users-out FILE     write the generated users, one 'username,password'
                       line each, to FILE (made 0600, replaced whole), as
                       'rosteron accounts import' reads them; their
                       passwords are never printed
  -h, --help           print this help

Rosters change while it runs through its control endpoint, under /_mock/
(outside RosterOn's paths): GET or PUT /_mock/users/USER/roster, POST a
change such as {"op":"move","date":"2026-12-02","times":"09:00 - 17:30"}
(ops move, add, remove, warn) to /_mock/users/USER/changes, PUT a user to
/_mock/users/USER. See docs/mock.md.

Example:
  rosteron mock --addr 127.0.0.1:18080 &
  ROSTERON_PASSWORD=` + mockserver.DemoPassword + ` rosteron roster \
      --url http://127.0.0.1:18080` + mockserver.DefaultBasePath + ` --username ` + mockserver.DemoUsername + `
`
}

// faultNames lists the faults the mock server knows, from the server
// itself, so the help stays current.
func faultNames() string {
	var names []string
	for i := range 32 {
		if name := mockserver.Fault(1 << i).String(); !strings.HasPrefix(name, "0x") {
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}

// indent wraps a comma-separated list to width, each line indented by n.
func indent(list string, n, width int) string {
	pad := strings.Repeat(" ", n)
	var lines []string
	line := pad
	for i, item := range strings.Split(list, ", ") {
		if i > 0 {
			item = ", " + item
		}
		// +1 for the comma that ends a line the next item goes after.
		if len(line)+len(item)+1 > width && line != pad {
			lines = append(lines, line+",")
			line = pad
			item = strings.TrimPrefix(item, ", ")
		}
		line += item
	}
	return strings.Join(append(lines, line), "\n")
}

// mockUserPrefix is the generated users' usernames' prefix.
const mockUserPrefix = "user"

// maxMockUsers bounds --users: the mock keeps every user in memory.
const maxMockUsers = 100000

// writeMockUsers writes users as 'username,password' lines, the file
// 'rosteron accounts import' reads, made 0600 whatever the umask.
func writeMockUsers(path string, users []mockserver.User) error {
	var b strings.Builder
	for _, u := range users {
		b.WriteString(u.Username + "," + u.Password + "\n")
	}
	if err := atomicfile.Replace(path, []byte(b.String()), 0o600, true); err != nil {
		return fmt.Errorf("--users-out: %w", err)
	}
	return nil
}

// shutdownTimeout bounds the wait for requests in flight at shutdown.
const shutdownTimeout = 5 * time.Second

func (c *cli) mock(ctx context.Context, args []string) error {
	const cmd = "mock"
	fs := newFlagSet(cmd)
	addr := fs.String("addr", "127.0.0.1:8080", "")
	basePath := fs.String("base-path", mockserver.DefaultBasePath, "")
	faults := fs.String("fault", "", "")
	latency := fs.Duration("latency", 0, "")
	realistic := fs.Bool("realistic", false, "")
	scripts := fs.String("scripts", mockserver.DebianScriptDir, "")
	shifts := fs.Int("shifts", 0, "")
	users := fs.Int("users", 0, "")
	usersSeed := fs.Int64("users-seed", 1, "")
	usersOut := fs.String("users-out", "", "")
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(cmd, "mock takes no arguments, only flags (got %q)", pos[0])
	}
	plan, err := mockserver.ParseFaultPlan(*faults)
	if err != nil {
		return usagef(cmd, "invalid --fault %q: want some of %s, each optionally @login, @home, @roster or @logout", *faults, faultNames())
	}
	if *latency < 0 {
		return usagef(cmd, "invalid --latency %v: want 0 or more", *latency)
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return usagef(cmd, "invalid --addr %q: want HOST:PORT, such as 127.0.0.1:8080 or :0", *addr)
	}
	if *shifts < 0 {
		return usagef(cmd, "invalid --shifts %d: want 0 or more", *shifts)
	}
	if *users < 0 || *users > maxMockUsers {
		return usagef(cmd, "invalid --users %d: want 0 to %d", *users, maxMockUsers)
	}
	if *usersOut != "" && *users == 0 {
		return usagef(cmd, "--users-out goes with --users N, the users it lists")
	}
	var stack *mockserver.ScriptStack
	if *realistic {
		if stack, err = mockserver.LoadScriptStack(*scripts); err != nil {
			return fmt.Errorf("--realistic: %w", err)
		}
	}

	generated := mockserver.GenerateUsers(mockUserPrefix, *users, *usersSeed, time.Now())
	if *usersOut != "" {
		// Written before serving, so that whoever waits for the first
		// line finds the file whole.
		if err := writeMockUsers(*usersOut, generated); err != nil {
			return err
		}
	}
	mock := mockserver.New(
		mockserver.WithMoreUsers(generated...),
		mockserver.WithBasePath(*basePath),
		mockserver.WithFaultPlan(plan),
		mockserver.WithLatency(*latency),
		mockserver.WithScriptStack(stack),
		mockserver.WithDemoShifts(*shifts),
	)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           mock,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	fmt.Fprintf(c.stdout, "rosteron mock serving %s\n", baseURL(*addr, ln.Addr(), mock.BasePath()))
	fmt.Fprintf(c.stdout, "demo login: username %s password %s\n", mockserver.DemoUsername, mockserver.DemoPassword)
	if len(generated) > 0 {
		where := "give --users-out FILE for their passwords"
		if *usersOut != "" {
			where = "their passwords are in " + *usersOut
		}
		fmt.Fprintf(c.stderr, "rosteron mock: %d more users, %s to %s (%s)\n", len(generated),
			generated[0].Username, generated[len(generated)-1].Username, where)
	}
	if p := plan.String(); p != "none" || *latency > 0 {
		fmt.Fprintf(c.stderr, "rosteron mock: faults %s, latency %v\n", p, *latency)
	}
	if stack != nil {
		script, style := stack.Size()
		fmt.Fprintf(c.stderr, "rosteron mock: realistic pages, %d KB of script and %d KB of style each\n", script>>10, style>>10)
	}
	fmt.Fprintln(c.stderr, "rosteron mock: press Ctrl-C to stop")

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(c.stderr, "rosteron mock: stopped")
	return nil
}

// baseURL is the mock's base URL: the host as --addr names it, so that
// "0.0.0.0:8080" (for a browser in another container, which rewrites it)
// prints as asked, 127.0.0.1 when --addr names none (":0"), and the port
// actually listened on.
func baseURL(addr string, listening net.Addr, basePath string) string {
	host, port, _ := net.SplitHostPort(addr)
	if host == "" {
		host = "127.0.0.1"
	}
	if tcp, ok := listening.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
	}
	return "http://" + net.JoinHostPort(host, port) + basePath
}
