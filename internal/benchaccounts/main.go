// Command benchaccounts measures the multi-account service (issues 18, 19) under
// a sustained load: many accounts, each with a roster of its own, spread
// over many RosterOn instances (mock servers on loopback addresses
// 127.0.0.2, 127.0.0.3, …, each a host name of its own), refreshed by one
// service.Service through one shared headless Chrome, with the accounts
// in a real SQLite store, their passwords sealed.
//
//	go run ./internal/benchaccounts -accounts 1000 -hosts 20 -per-host 2 \
//	    -interval 2m -duration 5m -out BENCHMARKS.md
//
// It reports the refreshes per minute sustained after a warm-up, the
// processor time per refresh (this process and its Chrome, read from
// /proc), peak memory, the highest number of sessions logged in at once
// in all and on each host (the mocks' own counts, from login to logout),
// and the errors. With -out it writes that section into the file: in
// place of the section it wrote before, or at the end.
//
// With -postgres the store and the jobs are in a PostgreSQL of its own
// (internal/pgtest starts Debian's on loopback), and -workers N runs N
// replicas of the service on it, each with its own store handle and
// Chrome, as on N machines; it adds River's queue latency and the
// database's rows and bytes per account.
//
// Linux only: the loopback addresses other than 127.0.0.1 and /proc.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/internal/pgtest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/service"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

// config is the command line.
type config struct {
	accounts    int
	hosts       int
	perHost     int
	maxSessions int
	interval    time.Duration
	duration    time.Duration
	warmup      time.Duration
	loginGap    time.Duration
	plain       bool
	seed        int64
	out         string
	postgres    bool
	workers     int
}

func main() {
	var c config
	flag.IntVar(&c.accounts, "accounts", 1000, "accounts in the store, each a user of its own on the mocks")
	flag.IntVar(&c.hosts, "hosts", 20, "RosterOn instances (mock servers), each on a loopback address of its own")
	flag.IntVar(&c.perHost, "per-host", service.DefaultPerHost, "the most sessions open at once on one host (Config.PerHost)")
	flag.IntVar(&c.maxSessions, "max-sessions", service.DefaultMaxSessions, "the most sessions open at once in the shared browser (Config.MaxSessions)")
	flag.DurationVar(&c.interval, "interval", 2*time.Minute, "each account's refresh interval, compressed so that the load is sustained (Config.Interval)")
	flag.DurationVar(&c.duration, "duration", 5*time.Minute, "how long to run")
	flag.DurationVar(&c.warmup, "warmup", 0, "the start left out of the rate (default: a fifth of -duration)")
	flag.DurationVar(&c.loginGap, "login-gap", service.DefaultLoginGap, "the least time between two logins to one host (Config.LoginGap); 0 for none")
	flag.BoolVar(&c.plain, "plain", false, "serve plain pages rather than the realistic script stack and 80–140 shift rosters")
	flag.Int64Var(&c.seed, "seed", 1, "the generated users' seed")
	flag.StringVar(&c.out, "out", "", "write the Markdown section into this file (replacing the one written before), besides stdout")
	flag.BoolVar(&c.postgres, "postgres", false, "keep the store and the jobs in a PostgreSQL of its own (Debian's postgresql, started on loopback) rather than SQLite")
	flag.IntVar(&c.workers, "workers", 1, "with -postgres: replicas of the service, each with its own store handle and its own Chrome")
	flag.Parse()
	if c.warmup == 0 {
		c.warmup = c.duration / 5
	}
	if err := run(c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchaccounts:", err)
		os.Exit(1)
	}
}

func (c config) check() error {
	switch {
	case c.accounts < 1 || c.hosts < 1 || c.perHost < 1 || c.maxSessions < 1:
		return errors.New("-accounts, -hosts, -per-host and -max-sessions must be at least 1")
	case c.hosts > 250:
		return errors.New("-hosts: at most 250 (127.0.0.2 to 127.0.0.251)")
	case c.interval <= 0 || c.duration <= 0 || c.warmup < 0 || c.warmup >= c.duration:
		return errors.New("-interval and -duration must be positive, and -warmup shorter than -duration")
	case c.workers < 1 || (c.workers > 1 && !c.postgres):
		return errors.New("-workers: at least 1, and more than 1 only with -postgres (SQLite is one process's)")
	}
	return nil
}

// host is one mock RosterOn instance.
type host struct {
	addr string // 127.0.0.N
	url  string // its base URL
	mock *mockserver.Server
	srv  *http.Server
}

func startHosts(n int, users [][]mockserver.User, opts []mockserver.Option) ([]*host, error) {
	var hosts []*host
	for i := range n {
		addr := fmt.Sprintf("127.0.0.%d", i+2)
		ln, err := net.Listen("tcp", addr+":0")
		if err != nil {
			stopHosts(hosts)
			return nil, fmt.Errorf("listening on %s (Linux routes all of 127.0.0.0/8 to loopback; other systems may not): %w", addr, err)
		}
		m := mockserver.New(append(append([]mockserver.Option(nil), opts...), mockserver.WithUsers(users[i]...))...)
		srv := &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		hosts = append(hosts, &host{addr: addr, url: "http://" + ln.Addr().String() + m.BasePath(), mock: m, srv: srv})
	}
	return hosts, nil
}

func stopHosts(hosts []*host) {
	for _, h := range hosts {
		h.mock.Close()
		_ = h.srv.Close()
	}
}

// counter wraps the FetchFunc: it counts the refreshes done (and when),
// their errors, and the fetches under way at once.
type counter struct {
	fetch service.FetchFunc
	// shared, when set, is the counter the counts go to: one over every
	// replica.
	shared *counter

	inFlight, maxInFlight atomic.Int64

	mu     sync.Mutex
	done   []time.Time
	errs   map[string]int
	nerrs  int
	shifts int
}

func (w *counter) Fetch(ctx context.Context, a *store.Account, password string, limiter *session.Limiter) (*snapshot.Snapshot, error) {
	c := w
	if w.shared != nil {
		c = w.shared
	}
	n := c.inFlight.Add(1)
	for {
		m := c.maxInFlight.Load()
		if n <= m || c.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	snap, err := w.fetch(ctx, a, password, limiter)
	c.inFlight.Add(-1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			// Those the end of the run cut short are not the service's.
			c.nerrs++
			c.errs[oneLine(err)]++
		}
		return snap, err
	}
	c.done = append(c.done, time.Now())
	c.shifts += len(snap.Items)
	return snap, nil
}

func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// since returns how many refreshes were done in [from, to).
func (c *counter) between(from, to time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.done {
		if !t.Before(from) && t.Before(to) {
			n++
		}
	}
	return n
}

// result is what a run measured.
type result struct {
	cfg        config
	chrome     string
	loadBefore string
	loadAfter  string
	setup      time.Duration
	refreshes  int // in all
	measured   int // after the warm-up
	window     time.Duration
	perMinute  float64
	cpu        cpuUse
	goPeak     int64 // this process's VmHWM, bytes
	chromePeak int64 // the Chrome tree's largest sampled PSS sum, bytes
	chromeMax  int64 // the largest VmHWM of a single Chrome process, bytes
	inFlight   int64
	loggedIn   int // the most sessions logged in at once over all hosts, sampled
	hostMax    []int
	launches   int
	errs       map[string]int
	nerrs      int
	shifts     int
	pg         *pgFigures // with -postgres
}

func run(c config, w io.Writer) error {
	if err := c.check(); err != nil {
		return err
	}
	if runtime.GOOS != "linux" {
		return errors.New("needs Linux: the loopback addresses 127.0.0.2 and up, and /proc")
	}
	started := time.Now()
	res := &result{cfg: c, loadBefore: loadAverage(), errs: map[string]int{}}

	var mockOpts []mockserver.Option
	if !c.plain {
		stack, err := mockserver.LoadScriptStack("")
		if err != nil {
			return fmt.Errorf("%w (or run with -plain)", err)
		}
		mockOpts = append(mockOpts, mockserver.WithScriptStack(stack))
	}
	users := mockserver.GenerateUsers("nurse", c.accounts, c.seed, time.Now())
	byHost := make([][]mockserver.User, c.hosts)
	for i, u := range users {
		byHost[i%c.hosts] = append(byHost[i%c.hosts], u)
	}
	hosts, err := startHosts(c.hosts, byHost, mockOpts)
	if err != nil {
		return err
	}
	defer stopHosts(hosts)

	dir, err := os.MkdirTemp("", "rosteron-benchaccounts-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	key, err := store.NewKey()
	if err != nil {
		return err
	}
	ctx := context.Background()
	// open opens a store handle: the one SQLite file, or, with -postgres,
	// one handle per replica on the one database, as replicas on many
	// machines would have.
	var open func() (store.Store, error)
	var pgdb *pgtest.Database
	if c.postgres {
		cl, err := pgtest.StartCluster()
		if err != nil {
			return err
		}
		defer cl.Close()
		if pgdb, err = cl.CreateDatabase("bench"); err != nil {
			return err
		}
		open = func() (store.Store, error) {
			return store.OpenPostgres(ctx, store.PostgresConfig{DSN: pgdb.DSN, Password: pgdb.Password}, key)
		}
	} else {
		open = func() (store.Store, error) { return store.Open(ctx, filepath.Join(dir, "rosteron.db"), key) }
	}
	st, err := open()
	if err != nil {
		return err
	}
	defer st.Close()
	for i, u := range users {
		if _, _, err := st.Create(ctx, store.NewAccount{Username: u.Username, Instance: hosts[i%c.hosts].url, Password: u.Password}); err != nil {
			return fmt.Errorf("adding account %d of %d: %w", i+1, len(users), err)
		}
	}

	gap := c.loginGap
	if gap == 0 {
		gap = time.Nanosecond // the Config's zero is its default
	}
	guardKey := make([]byte, 32)
	_, _ = rand.Read(guardKey)
	cnt := &counter{errs: map[string]int{}}
	var (
		brs  []*service.Browser
		svcs []*service.Service
	)
	defer func() {
		for _, b := range brs {
			b.Close()
		}
	}()
	for w := range c.workers {
		wst := st
		if w > 0 {
			if wst, err = open(); err != nil {
				return err
			}
			defer wst.Close()
		}
		br := service.NewBrowser(append(chrometest.Options(), browser.WithReadyTabs(c.maxSessions))...)
		brs = append(brs, br)
		wc := &counter{fetch: br.Fetch(session.WithTimeout(time.Minute)), errs: cnt.errs}
		wc.shared = cnt
		svc, err := service.New(service.Config{
			Store: wst,
			Fetch: wc.Fetch,
			Options: func(ctx context.Context, a *store.Account) (*service.Options, error) {
				pw, err := wst.Password(ctx, a.ID)
				if err != nil {
					return nil, err
				}
				tok, err := wst.Token(ctx, a.ID)
				if err != nil {
					return nil, err
				}
				// As serve --accounts keys the lock-out guard: a MAC, not
				// argon2id at every start.
				return &service.Options{Password: pw, Token: tok, Secrets: []string{pw, tok},
					LoginHasher: feed.KeyedLoginHasher(guardKey)}, nil
			},
			Interval:    c.interval,
			PerHost:     c.perHost,
			LoginGap:    gap,
			MaxSessions: c.maxSessions,
			Log:         io.Discard,
		})
		if err != nil {
			return err
		}
		svcs = append(svcs, svc)
	}
	res.setup = time.Since(started)

	runCtx, stop := context.WithTimeout(ctx, c.duration)
	defer stop()
	cpu0 := readCPU()
	t0 := time.Now()
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		sample(runCtx, res, brs, hosts)
	}()
	var (
		warmMu  sync.Mutex
		cpuWarm cpuUse
	)
	warm := time.AfterFunc(c.warmup, func() {
		u := readCPU()
		warmMu.Lock()
		cpuWarm = u
		warmMu.Unlock()
	})
	runErrs := make([]error, len(svcs))
	var wg sync.WaitGroup
	for i, svc := range svcs {
		wg.Go(func() { runErrs[i] = svc.Run(runCtx) })
	}
	wg.Wait()
	end := time.Now()
	cpuEnd := readCPU()
	warm.Stop()
	<-sampled
	warmMu.Lock()
	defer warmMu.Unlock()
	for _, runErr := range runErrs {
		if runErr != nil && !errors.Is(runErr, context.DeadlineExceeded) && !errors.Is(runErr, context.Canceled) {
			return fmt.Errorf("the service stopped: %w", runErr)
		}
	}
	if c.postgres {
		if err := measurePostgres(ctx, st.DB(), pgdb, res, t0.Add(c.warmup), c.accounts); err != nil {
			return err
		}
	}

	res.chrome = chromeVersion(brs[0])
	res.refreshes = cnt.between(t0, end.Add(time.Hour))
	from := t0.Add(c.warmup)
	res.measured = cnt.between(from, end)
	res.window = end.Sub(from)
	res.perMinute = float64(res.measured) / res.window.Minutes()
	if cpuWarm.total() == 0 {
		cpuWarm = cpu0
	}
	res.cpu = cpuEnd.sub(cpuWarm)
	res.goPeak = selfHWM()
	for _, h := range hosts {
		res.hostMax = append(res.hostMax, h.mock.MaxSessions())
	}
	res.inFlight = cnt.maxInFlight.Load()
	for _, b := range brs {
		res.launches += b.Launches()
	}
	cnt.mu.Lock()
	res.errs, res.nerrs, res.shifts = cnt.errs, cnt.nerrs, cnt.shifts
	cnt.mu.Unlock()
	res.loadAfter = loadAverage()

	report := res.markdown()
	fmt.Fprint(w, report)
	if c.out != "" {
		if err := writeSection(c.out, report); err != nil {
			return err
		}
	}
	for i, m := range res.hostMax {
		if m > c.perHost {
			return fmt.Errorf("host %s saw %d sessions at once, more than -per-host %d", hosts[i].addr, m, c.perHost)
		}
	}
	if res.refreshes == 0 {
		return errors.New("no refresh succeeded")
	}
	return nil
}

func chromeVersion(b *service.Browser) string {
	if p := b.PID(); p > 0 {
		if args := chrometest.Args(p); len(args) > 0 {
			return filepath.Base(args[0])
		}
	}
	return "Chrome"
}

// sample reads, every half second until ctx ends, the memory of the
// Chrome tree and the sessions logged in over all hosts.
func sample(ctx context.Context, res *result, brs []*service.Browser, hosts []*host) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		var all int64
		for _, br := range brs {
			if pid := br.PID(); pid > 0 {
				sum, largest := chromeMemory(pid)
				all += sum
				res.chromeMax = max(res.chromeMax, largest)
			}
		}
		res.chromePeak = max(res.chromePeak, all)
		n := 0
		for _, h := range hosts {
			n += h.mock.Sessions()
		}
		res.loggedIn = max(res.loggedIn, n)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (r *result) markdown() string {
	var b strings.Builder
	c := r.cfg
	pages := "realistic pages (the script stack, 80–140 shifts)"
	if c.plain {
		pages = "plain pages"
	}
	start, end := markers(c)
	title, where := "Many accounts in one serve (benchaccounts)", "a SQLite store"
	if c.postgres {
		title = fmt.Sprintf("Many accounts, %d %s on Postgres (benchaccounts -postgres)", c.workers, map[bool]string{true: "worker", false: "workers"}[c.workers == 1])
		where = fmt.Sprintf("a Postgres store (Debian's PostgreSQL on loopback, fsync off) with %d service %s, each with its own store handle and its own Chrome,", c.workers, map[bool]string{true: "replica", false: "replicas"}[c.workers == 1])
	}
	fmt.Fprintf(&b, "%s\n\n## %s\n\n", start, title)
	fmt.Fprintf(&b, "`go run ./internal/benchaccounts -accounts %d -hosts %d -per-host %d -max-sessions %d -interval %v -duration %v -warmup %v -login-gap %v%s%s`: "+
		"%d accounts in %s spread over %d mock RosterOn hosts on loopback, each with a roster of its own, on %s; "+
		"one service, one shared Chrome (%s), %d CPUs, load average %s before and %s after. Setting up (mocks, store, %d accounts sealed) took %s.\n\n",
		c.accounts, c.hosts, c.perHost, c.maxSessions, c.interval, c.duration, c.warmup, c.loginGap, map[bool]string{true: " -plain"}[c.plain], pgFlags(c),
		c.accounts, where, c.hosts, pages, r.chrome, runtime.NumCPU(), r.loadBefore, r.loadAfter, c.accounts, r.setup.Round(time.Millisecond))
	asked := float64(c.accounts) / c.interval.Minutes()
	b.WriteString("| measure | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| refreshes asked for (accounts ÷ interval) | %.0f a minute |\n", asked)
	fmt.Fprintf(&b, "| refreshes per minute sustained, after the warm-up | %.1f (%d in %s; %.2f a second) |\n", r.perMinute, r.measured, r.window.Round(time.Second), r.perMinute/60)
	fmt.Fprintf(&b, "| refreshes in all | %d, %d errors |\n", r.refreshes, r.nerrs)
	if r.measured > 0 {
		per := func(d time.Duration) string {
			return fmt.Sprintf("%.0f ms", float64(d.Milliseconds())/float64(r.measured))
		}
		fmt.Fprintf(&b, "| processor time per refresh, after the warm-up | %s (Chrome %s, this process, the mocks included, %s) |\n", per(r.cpu.total()), per(r.cpu.chrome), per(r.cpu.self))
		fmt.Fprintf(&b, "| processor use, after the warm-up | %.2f of %d CPUs |\n", r.cpu.total().Seconds()/r.window.Seconds(), runtime.NumCPU())
	}
	fmt.Fprintf(&b, "| peak memory, this process, the mocks included (VmHWM) | %.0f MiB |\n", mib(r.goPeak))
	fmt.Fprintf(&b, "| peak memory, the Chrome tree (largest sum of PSS, sampled every 0.5 s) | %.0f MiB (largest single process %.0f MiB) |\n", mib(r.chromePeak), mib(r.chromeMax))
	fmt.Fprintf(&b, "| most fetches under way at once (waiting for a host included) | %d (-max-sessions %d) |\n", r.inFlight, c.maxSessions)
	fmt.Fprintf(&b, "| most sessions logged in at once, all hosts (sampled) | %d |\n", r.loggedIn)
	hm := 0
	for _, m := range r.hostMax {
		hm = max(hm, m)
	}
	fmt.Fprintf(&b, "| most sessions logged in at once on one host (the mocks' counts) | %d (-per-host %d): %s |\n", hm, c.perHost, hostCounts(r.hostMax))
	fmt.Fprintf(&b, "| Chrome launches | %d |\n", r.launches)
	if r.refreshes > 0 {
		fmt.Fprintf(&b, "| shifts read per refresh | %.0f |\n", float64(r.shifts)/float64(r.refreshes))
	}
	if len(r.errs) > 0 {
		b.WriteString("\nErrors:\n\n")
		keys := make([]string, 0, len(r.errs))
		for k := range r.errs {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return r.errs[keys[i]] > r.errs[keys[j]] })
		for _, k := range keys {
			fmt.Fprintf(&b, "- %d × %s\n", r.errs[k], k)
		}
	}
	// What one host can take: its logins are -login-gap apart, and at
	// most -per-host sessions are open at once.
	if c.loginGap > 0 {
		perHost := 1 / c.loginGap.Seconds()
		fmt.Fprintf(&b, "\nWith -login-gap %v between logins to one host, one host takes at most %.2f sessions a second (and -per-host ÷ a session's length), so %d hosts at most %.0f a minute.\n",
			c.loginGap, perHost, c.hosts, perHost*float64(c.hosts)*60)
	}
	if r.pg != nil {
		r.pg.markdown(&b)
	}
	fmt.Fprintf(&b, "\n%s\n", end)
	return b.String()
}

func hostCounts(xs []int) string {
	count := map[int]int{}
	for _, x := range xs {
		count[x]++
	}
	var keys []int
	for k := range count {
		keys = append(keys, k)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(keys)))
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d hosts saw %d", count[k], k))
	}
	return strings.Join(parts, ", ")
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// The section's markers in the file -out names.
const (
	sectionStart = "<!-- benchaccounts: start -->"
	sectionEnd   = "<!-- benchaccounts: end -->"
)

// markers are the section's markers for c: one section for SQLite, and
// one for each count of Postgres workers.
func markers(c config) (start, end string) {
	if !c.postgres {
		return sectionStart, sectionEnd
	}
	tag := fmt.Sprintf("benchaccounts-postgres-%d", c.workers)
	return "<!-- " + tag + ": start -->", "<!-- " + tag + ": end -->"
}

func pgFlags(c config) string {
	if !c.postgres {
		return ""
	}
	return fmt.Sprintf(" -postgres -workers %d", c.workers)
}

// writeSection puts section in the file at path: in place of the one
// between the markers, or at the end.
func writeSection(path, section string) error {
	sectionStart, sectionEnd := section[:strings.Index(section, "\n")], ""
	if i := strings.LastIndex(strings.TrimRight(section, "\n"), "\n"); i >= 0 {
		sectionEnd = strings.TrimSpace(section[i:])
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	s := string(old)
	if i := strings.Index(s, sectionStart); i >= 0 {
		if j := strings.Index(s[i:], sectionEnd); j >= 0 {
			rest := strings.TrimPrefix(s[i+j+len(sectionEnd):], "\n")
			s = s[:i] + section + rest
			return os.WriteFile(path, []byte(s), 0o644)
		}
	}
	if s != "" && !strings.HasSuffix(s, "\n\n") {
		s = strings.TrimRight(s, "\n") + "\n\n"
	}
	return os.WriteFile(path, []byte(s+section), 0o644)
}
