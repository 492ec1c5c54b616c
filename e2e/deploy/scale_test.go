package deploy

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The scale profile's settings for the test: a short interval, so that a
// whole refresh round fits in the test, and a short job timeout, so that
// River's rescue of a dead replica's job (the job timeout plus the 2 min
// margin serve adds, see docs/scale.md) comes well within one interval.
// The interval must also hold the first round (all 200 accounts due at
// once, about 1 refresh a second here with --per-host 4) and the stall a
// dead replica causes: the host places it held stay taken until their
// lease ends (the job timeout plus 1 min), and with --per-host 4 it may
// hold them all. 4 min was too short for that; 6 min held it with a
// quarter to spare on a quiet machine, and CI runs other packages' tests
// (Chrome among them) beside this one on its two cores: 10 min leaves
// the first round room at under half that rate. The test's run time does
// not grow with it: it waits for the round, not for the period.
const (
	scaleUsers      = 200
	scaleInterval   = 10 * time.Minute
	scaleJobTimeout = 30 * time.Second
	// River's rescuer runs every 30 s (JobRescuerIntervalDefault); a
	// rescued job is retried after a second or so.
	riverRescuerEvery = 30 * time.Second
)

// The scale profile as a user runs it, `docker compose --profile scale
// up`, after scripts/scale-secrets: Postgres with TLS, a mock with 200
// users imported as accounts, two serve replicas with their own Chrome
// each, and the proxy. One replica is killed (docker kill) while it runs
// a refresh, in the middle of the first round; then:
//
//   - every account was refreshed within its period, with one committed
//     result (one completed River job) per period;
//   - pages and feeds answered through the proxy all along;
//   - the survivor ran the dead replica's jobs, after River's rescue
//     (the time is logged);
//   - a pg_dump holds none of the users' passwords.
//
// It logs the times it measured.
func TestComposeScale(t *testing.T) {
	needDocker(t)
	began := time.Now()
	timings := map[string]time.Duration{}
	defer func() {
		timings["total"] = time.Since(began)
		keys := make([]string, 0, len(timings))
		for k := range timings {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.Logf("timing: %-34s %v", k, timings[k].Round(100*time.Millisecond))
		}
	}()

	// The secrets, made by the documented command into a folder of the
	// test's.
	secrets := filepath.Join(t.TempDir(), "secrets")
	out, err := exec.Command(filepath.Join(root, "scripts", "scale-secrets"), secrets).CombinedOutput()
	require.NoError(t, err, "%s", out)
	key := readTrim(t, filepath.Join(secrets, "rosteron_key"))
	dbPassword := readTrim(t, filepath.Join(secrets, "rosteron_database_password"))

	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := fmt.Sprintf("ROSTERON_SCALE_PORT=%d\nROSTERON_SCALE_PUBLIC_URL=%s\n"+
		"ROSTERON_SCALE_USERS=%d\nROSTERON_SCALE_REFRESH=%s\nROSTERON_SCALE_JOB_TIMEOUT=%s\n"+
		"ROSTERON_SCALE_PER_HOST=4\nROSTERON_SCALE_LOGIN_GAP=250ms\n"+
		// Each answer of the mock 300 ms late, as over a real network: a
		// refresh then takes a few seconds, not a few hundred
		// milliseconds, so that a replica can be killed while it runs one.
		"ROSTERON_SCALE_MOCK_LATENCY=300ms\n",
		port, base, scaleUsers, scaleInterval, scaleJobTimeout)
	// Only the secrets' files move to the test's folder (serve's too, so
	// that Compose does not warn of it).
	override := fmt.Sprintf(`services:
  proxy:
    restart: unless-stopped
secrets:
  rosteron_key:
    file: %[1]s/rosteron_key
  rosteron_database_password:
    file: %[1]s/rosteron_database_password
  rosteron_password:
    file: %[1]s/rosteron_key
`, secrets)
	p := newProject(t, env, override)
	s := &scaleProject{project: p}

	// The documented command: every service of the profile, the import
	// included, at once (so the import's and the replicas' migrations
	// start together, under their advisory lock).
	step := time.Now()
	p.run("--profile", "scale", "up", "-d", "proxy", "scale-import")
	importer := strings.TrimSpace(p.run("--profile", "scale", "ps", "-a", "-q", "scale-import"))
	require.NotEmpty(t, importer, "no scale-import container")
	code := strings.TrimSpace(docker(t, "wait", importer))
	if code != "0" {
		logs, _ := outputOf("docker", "logs", importer)
		t.Fatalf("scale-import exited %s:\n%s", code, logs)
	}
	timings["up and import 200 accounts"] = time.Since(step)
	for _, svc := range []string{"postgres", "serve-1", "serve-2", "proxy"} {
		require.Equal(t, "healthy", waitHealth(t, p, svc), svc)
	}
	// The period starts here at the latest: the accounts are in the
	// store and both replicas run.
	periodStart := s.now(t)
	timings["up until all healthy"] = time.Since(step)
	// Both started at once, with the import, and none failed: their
	// migrations did not race.
	for _, svc := range []string{"serve-1", "serve-2"} {
		assert.Equal(t, "0", strings.TrimSpace(docker(t, "inspect", "-f", "{{.RestartCount}}", p.container(svc))),
			"%s restarted: %s", svc, tail(p.run("logs", "--no-color", svc), 5))
	}

	// The users, with their passwords, from the mock's users file.
	users := s.users(t)
	require.Len(t, users, scaleUsers)
	var list []scaleAccount
	waitFor(t, "the survivor to list the 200 accounts", 2*time.Minute, func() bool {
		list = s.accounts(t, "serve-2")
		return len(list) == scaleUsers
	})

	// Over TLS, verified: every connection of the role rosteron.
	plain, err := s.sql("SELECT count(*) FILTER (WHERE NOT ssl), count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE usename = 'rosteron'")
	require.NoError(t, err)
	f := strings.Split(plain, "|")
	require.Len(t, f, 2, plain)
	assert.Equal(t, "0", f[0], "connections without TLS")
	assert.NotEqual(t, "0", f[1], "no connection of rosteron")

	// In the middle of the round: once a quarter of the accounts have
	// their first roster, a replica is killed while it runs a refresh.
	step = time.Now()
	waitFor(t, "a quarter of the first round", scaleInterval, func() bool {
		return s.refreshed(t) >= scaleUsers/4
	})
	// Pages and feeds through the proxy, from before the kill to the
	// end: a client asks the page and the feed of one account with a
	// roster after another.
	poll := s.pollProxy(t, base)
	defer poll.stop()
	waitFor(t, "requests through the proxy before the kill", time.Minute, func() bool {
		return len(poll.requests()) >= 10
	})
	victim, survivor, orphans, killedAt := s.killMidRefresh(t)
	timings["start until the kill"] = time.Since(step)
	t.Logf("killed %s with %d refresh job(s) running: %v", victim, len(orphans), orphans)

	// The survivor runs them: River's rescuer finds them stuck after
	// RescueStuckJobsAfter and the survivor runs them again, once each.
	step = time.Now()
	rescueBound := scaleJobTimeout + 3*time.Minute + 2*riverRescuerEvery
	var rescued map[int64]time.Duration
	waitFor(t, survivor+" to run "+victim+"'s jobs", rescueBound, func() bool {
		rescued = s.rescued(t, orphans, survivor, killedAt)
		return len(rescued) == len(orphans)
	})
	var slowest time.Duration
	for id, d := range rescued {
		t.Logf("job %d: run again and completed by %s %v after the kill", id, survivor, d.Round(time.Second))
		slowest = max(slowest, d)
	}
	timings["kill until rescued jobs completed"] = slowest
	timings["kill until rescued (wall)"] = time.Since(step)

	// Every account refreshed in the first round, in the period it was
	// due, by either replica, the dead one's jobs by the survivor.
	waitFor(t, "every account's first refresh", scaleInterval+rescueBound, func() bool {
		return s.refreshed(t) == scaleUsers
	})
	timings["kill until every account refreshed"] = time.Since(killedAt.Local())
	jobs := s.completedJobs(t)
	require.Len(t, jobs, scaleUsers, "accounts with a completed refresh")
	late := 0
	for account, js := range jobs {
		first := js[0]
		// Due (inserted by the dispatcher) within the first period (its
		// phase, plus the 2 % jitter), and committed within the period
		// that began when it was due.
		if first.created.After(periodStart.Add(scaleInterval + scaleInterval/50)) {
			t.Errorf("account %d: its first refresh was queued at %v, after its first period (from %v)", account, first.created, periodStart)
		}
		if d := first.finalized.Sub(first.created); d > scaleInterval {
			late++
			t.Errorf("account %d: its refresh queued at %v was committed %v later, past its period", account, first.created, d)
		}
		// One committed result per period: a completed job per account
		// and period, never two within half an interval (the least gap
		// the schedule ever gives one account).
		for i := 1; i < len(js); i++ {
			if gap := js[i].finalized.Sub(js[i-1].finalized); gap < scaleInterval/2 {
				t.Errorf("account %d: two committed refreshes %v apart (jobs %d and %d)", account, gap, js[i-1].id, js[i].id)
			}
		}
	}
	// And the store agrees: every account healthy, with a roster from
	// this run.
	for _, a := range s.accounts(t, survivor) {
		if a.LastGood == nil || a.LastGood.Before(periodStart.Add(-scaleInterval)) || a.State != "ok" {
			t.Errorf("account %d (%s): state %q, last good %v", a.ID, a.Username, a.State, a.LastGood)
		}
	}

	// Pages and feeds never failed through the proxy, but for a request
	// already on its way to the victim when it died.
	reqs := poll.stop()
	require.NotEmpty(t, reqs)
	assert.True(t, reqs[0].start.Before(killedAt.Local()), "requests through the proxy before the kill")
	var failed, afterKill int
	for _, r := range reqs {
		if r.start.After(killedAt.Local()) {
			afterKill++
		}
		if r.err == "" {
			continue
		}
		if r.start.Before(killedAt.Local()) && r.end.After(killedAt.Local().Add(-time.Second)) {
			t.Logf("a request in flight at the kill failed: %s", r.err)
			continue
		}
		failed++
		if failed <= 5 {
			t.Errorf("through the proxy, %s at %v: %s", r.url, r.start.Format(time.TimeOnly), r.err)
		}
	}
	t.Logf("through the proxy: %d requests, %d after the kill, %d failed", len(reqs), afterKill, failed)
	assert.Greater(t, afterKill, 10, "requests through the proxy after the kill")
	assert.Zero(t, failed, "requests that failed through the proxy")

	s.logFigures(t)

	// No secret in clear in the database: a whole pg_dump searched for
	// every user's password, the key and the database's password.
	step = time.Now()
	dump := docker(t, "exec", p.container("postgres"), "pg_dump", "--no-owner", "-d", "rosteron")
	require.Contains(t, dump, users[0].username, "the dump holds the accounts")
	require.Contains(t, dump, "river_job", "the dump holds River's jobs")
	// bytea columns (the sealed values, the feeds' state) are dumped as
	// hex, and a value may have been stored base64'd: each form is looked
	// for.
	for _, u := range users {
		for form, v := range forms(u.password) {
			if strings.Contains(dump, v) {
				t.Errorf("the pg_dump holds %s's password (%s)", u.username, form)
			}
		}
	}
	for form, v := range forms(strings.TrimPrefix(key, "rosteron-key-1:")) {
		assert.NotContains(t, dump, v, "the key (%s)", form)
	}
	for form, v := range forms(dbPassword) {
		assert.NotContains(t, dump, v, "the database password (%s)", form)
	}
	assert.NotContains(t, dump, key)
	assert.NotContains(t, dump, strings.TrimPrefix(key, "rosteron-key-1:"))
	assert.NotContains(t, dump, dbPassword)
	t.Logf("pg_dump: %d bytes, searched for %d passwords", len(dump), len(users))
	timings["pg_dump and search"] = time.Since(step)

	// Nor in the configuration, the containers' or their logs.
	for _, svc := range []string{"postgres", survivor, "proxy"} {
		inspect := docker(t, "inspect", p.container(svc))
		assert.NotContains(t, inspect, dbPassword, svc)
		assert.NotContains(t, inspect, key, svc)
	}
	logs := p.run("--profile", "scale", "logs", "--no-color")
	assert.NotContains(t, logs, dbPassword)
	assert.NotContains(t, logs, key)
	for _, u := range users {
		if strings.Contains(logs, u.password) {
			t.Errorf("the logs hold %s's password", u.username)
		}
	}
	assert.NotContains(t, p.run("--profile", "scale", "config"), dbPassword)
}

// forms are the ways a secret could show in a dump: as it is, as the hex
// of a bytea column, and base64'd.
func forms(secret string) map[string]string {
	return map[string]string{
		"in clear": secret,
		"hex":      hex.EncodeToString([]byte(secret)),
		"base64":   base64.StdEncoding.EncodeToString([]byte(secret)),
	}
}

// logFigures logs what docs/scale.md's figures come from: the first
// round's rate, the queue's latency (scheduled → started), each
// replica's share of the jobs, and Postgres's size per account.
func (s *scaleProject) logFigures(t *testing.T) {
	t.Helper()
	for _, q := range []struct{ what, sql string }{
		{"first round (refreshes, seconds, per second)", `WITH f AS (SELECT DISTINCT ON (args->>'account') created_at, finalized_at
			FROM river_job WHERE kind = 'refresh' AND state = 'completed' ORDER BY args->>'account', finalized_at)
			SELECT count(*), round(extract(epoch FROM max(finalized_at) - min(created_at))::numeric, 1),
			round((count(*) / nullif(extract(epoch FROM max(finalized_at) - min(created_at)), 0))::numeric, 2) FROM f`},
		{"queue latency, scheduled → started (p50, p95, max seconds)", `SELECT
			round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - scheduled_at))::numeric, 2),
			round(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - scheduled_at))::numeric, 2),
			round(max(extract(epoch FROM attempted_at - scheduled_at))::numeric, 2)
			FROM river_job WHERE kind = 'refresh' AND state = 'completed' AND attempt = 1`},
		{"completed refresh jobs by replica", `SELECT string_agg(r || ': ' || n, ', ') FROM (SELECT
			split_part(attempted_by[array_length(attempted_by, 1)], '_', 1) AS r, count(*) AS n
			FROM river_job WHERE kind = 'refresh' AND state = 'completed' GROUP BY 1 ORDER BY 1) x`},
		{"database bytes (whole, per account)", `SELECT pg_database_size('rosteron'),
			pg_database_size('rosteron') / greatest((SELECT count(DISTINCT args->>'account') FROM river_job), 1)`},
		{"largest tables (rows, bytes)", `SELECT string_agg(relname || ' ' || n_live_tup || ' ' ||
			pg_total_relation_size(relid), ', ' ORDER BY pg_total_relation_size(relid) DESC)
			FROM (SELECT * FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 6) x`},
	} {
		out, err := s.sql(q.sql)
		if err != nil {
			t.Logf("figure %s: %v", q.what, err)
			continue
		}
		t.Logf("figure: %s: %s", q.what, out)
	}
}

// scaleProject is the scale profile's compose project, with its queries.
type scaleProject struct {
	*project
	pgOnce sync.Once
	pg     string // the postgres container
}

type scaleUser struct{ username, password string }

// users is the mock's users file, as scale-import read it.
func (s *scaleProject) users(t *testing.T) []scaleUser {
	t.Helper()
	out := docker(t, "exec", s.container("scale-mock"), "cat", "/state/users.csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	var users []scaleUser
	for _, r := range recs {
		require.Len(t, r, 2)
		require.NotEmpty(t, r[1])
		users = append(users, scaleUser{r[0], r[1]})
	}
	return users
}

// sql runs one query in the postgres container, as postgres over its
// socket, and returns its rows unaligned, fields separated by |.
func (s *scaleProject) sql(query string) (string, error) {
	s.pgOnce.Do(func() { s.pg = strings.TrimSpace(s.run("--profile", "scale", "ps", "-q", "postgres")) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "exec", s.pg, "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
		"-d", "rosteron", "-c", query).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql %q: %v: %s", query, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func (s *scaleProject) mustSQL(t *testing.T, query string) string {
	t.Helper()
	out, err := s.sql(query)
	require.NoError(t, err)
	return out
}

// now is Postgres's clock, which River's timestamps are read on.
func (s *scaleProject) now(t *testing.T) time.Time {
	t.Helper()
	return parsePGTime(t, s.mustSQL(t, "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"))
}

func parsePGTime(t *testing.T, v string) time.Time {
	t.Helper()
	ts, err := time.Parse("2006-01-02T15:04:05.999999Z", v)
	require.NoError(t, err, "a time from Postgres")
	return ts
}

// River's timestamps, in UTC, as parsePGTime reads them.
const pgTime = `to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

// refreshed is the number of accounts with a completed refresh job.
func (s *scaleProject) refreshed(t *testing.T) int {
	t.Helper()
	out, err := s.sql("SELECT count(DISTINCT args->>'account') FROM river_job WHERE kind = 'refresh' AND state = 'completed'")
	if err != nil {
		return 0 // River's tables not made yet
	}
	n, err := strconv.Atoi(out)
	require.NoError(t, err, out)
	return n
}

type scaleJob struct {
	id                 int64
	created, finalized time.Time
}

// completedJobs is every completed refresh job, by account, oldest first.
func (s *scaleProject) completedJobs(t *testing.T) map[int64][]scaleJob {
	t.Helper()
	out := s.mustSQL(t, fmt.Sprintf("SELECT args->>'account', id, %s, %s FROM river_job "+
		"WHERE kind = 'refresh' AND state = 'completed' ORDER BY finalized_at",
		fmt.Sprintf(pgTime, "created_at"), fmt.Sprintf(pgTime, "finalized_at")))
	jobs := map[int64][]scaleJob{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		require.Len(t, f, 4, line)
		account, err := strconv.ParseInt(f[0], 10, 64)
		require.NoError(t, err, line)
		id, err := strconv.ParseInt(f[1], 10, 64)
		require.NoError(t, err, line)
		jobs[account] = append(jobs[account], scaleJob{id, parsePGTime(t, f[2]), parsePGTime(t, f[3])})
	}
	return jobs
}

// runningOn is the IDs of the refresh jobs that River says a replica
// runs: its client ID starts with its hostname (docker-compose.yml sets
// it to the service's name), hyphens and all, or with underscores.
func (s *scaleProject) runningOn(t *testing.T, host string) []int64 {
	t.Helper()
	like := strings.ReplaceAll(host, "-", "_") + "%"
	out := s.mustSQL(t, fmt.Sprintf("SELECT id FROM river_job WHERE kind = 'refresh' AND state = 'running' "+
		"AND attempted_by[array_length(attempted_by, 1)] LIKE '%s' ORDER BY id", like))
	var ids []int64
	for _, f := range strings.Fields(out) {
		id, err := strconv.ParseInt(f, 10, 64)
		require.NoError(t, err, out)
		ids = append(ids, id)
	}
	return ids
}

// killMidRefresh kills a replica with docker kill as soon as River says
// it runs a refresh job, and returns it, the other replica, the jobs it
// left running and when it died (Postgres's clock). Should every job it
// ran have committed just before it died, it is started again and the
// next one is killed.
func (s *scaleProject) killMidRefresh(t *testing.T) (victim, survivor string, orphans []int64, killedAt time.Time) {
	t.Helper()
	replicas := []string{"serve-1", "serve-2"}
	for try := 1; ; try++ {
		waitFor(t, "a replica to run a refresh", scaleInterval, func() bool {
			for i, r := range replicas {
				if len(s.runningOn(t, r)) > 0 {
					victim, survivor = r, replicas[1-i]
					return true
				}
			}
			return false
		})
		id := s.container(victim)
		docker(t, "kill", id)
		killedAt = s.now(t)
		if orphans = s.runningOn(t, victim); len(orphans) > 0 {
			return victim, survivor, orphans, killedAt
		}
		if try == 5 {
			t.Fatalf("the replica killed finished every job it ran before it died, %d times", try)
		}
		t.Logf("%s finished its jobs before it died: starting it again", victim)
		docker(t, "start", id)
		require.Equal(t, "healthy", waitHealth(t, s.project, victim))
	}
}

// rescued is, of jobs, those that the survivor ran to completion, with the time from killedAt to their completion.
func (s *scaleProject) rescued(t *testing.T, jobs []int64, survivor string, killedAt time.Time) map[int64]time.Duration {
	t.Helper()
	ids := make([]string, len(jobs))
	for i, id := range jobs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	out := s.mustSQL(t, fmt.Sprintf("SELECT id, attempt, attempted_by[array_length(attempted_by, 1)], %s FROM river_job "+
		"WHERE id IN (%s) AND state = 'completed'", fmt.Sprintf(pgTime, "finalized_at"), strings.Join(ids, ",")))
	done := map[int64]time.Duration{}
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "|")
		require.Len(t, f, 4, line)
		id, _ := strconv.ParseInt(f[0], 10, 64)
		require.True(t, strings.HasPrefix(f[2], survivor) || strings.HasPrefix(f[2], strings.ReplaceAll(survivor, "-", "_")),
			"job %s completed by %s, not the survivor %s", f[0], f[2], survivor)
		attempt, _ := strconv.Atoi(f[1])
		require.GreaterOrEqual(t, attempt, 2, "job %s was run again", f[0])
		done[id] = parsePGTime(t, f[3]).Sub(killedAt)
	}
	return done
}

type scaleAccount struct {
	ID       int64      `json:"id"`
	Username string     `json:"username"`
	State    string     `json:"state"`
	LastGood *time.Time `json:"last_good"`
	Page     string     `json:"page"`
}

// accounts is `rosteron accounts list --addresses --json` in a replica,
// on the store it serves.
func (s *scaleProject) accounts(t *testing.T, service string) []scaleAccount {
	t.Helper()
	out, err := s.output("--profile", "scale", "exec", "-T", service, "rosteron", "accounts", "list", "--addresses", "--json")
	i := strings.Index(out, "[")
	if err != nil || i < 0 {
		// Not its output: it holds the feeds' tokens.
		t.Logf("accounts list in %s: %v (%d bytes of output, not shown: they may hold tokens)", service, err, len(out))
		return nil
	}
	var list []scaleAccount
	if err := json.Unmarshal([]byte(out[i:]), &list); err != nil {
		t.Logf("accounts list in %s: %v", service, err)
		return nil
	}
	return list
}

// scaleRequest is one request through the proxy: its start and end, and
// what failed ("" for a 200).
type scaleRequest struct {
	url        string
	start, end time.Time
	err        string
}

type proxyPoll struct {
	once sync.Once
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	reqs []scaleRequest
}

// pollProxy asks, until stop, the page and the iCalendar feed of one
// account after another (those with a roster), through the proxy, as
// phones would.
func (s *scaleProject) pollProxy(t *testing.T, base string) *proxyPoll {
	t.Helper()
	var pages []string
	for _, a := range s.accounts(t, "serve-2") {
		if a.Page != "" && a.LastGood != nil {
			pages = append(pages, strings.TrimSuffix(a.Page, "/"))
		}
	}
	require.NotEmpty(t, pages, "accounts with a roster and a page in accounts list --addresses")
	pp := &proxyPoll{done: make(chan struct{})}
	client := &http.Client{Timeout: 30 * time.Second}
	pp.wg.Add(1)
	go func() {
		defer pp.wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-pp.done:
				return
			case <-tick.C:
			}
			page := pages[(i/2)%len(pages)]
			if !strings.HasPrefix(page, "http") {
				page = base + page
			}
			url := page + "/"
			if i%2 == 1 {
				url = page + "/roster.ics"
			}
			r := scaleRequest{url: "an account's " + map[bool]string{true: "feed", false: "page"}[i%2 == 1], start: time.Now()}
			resp, err := client.Get(url)
			r.end = time.Now()
			switch {
			case err != nil:
				r.err = strings.ReplaceAll(err.Error(), page, "…")
			case resp.StatusCode != http.StatusOK:
				r.err = resp.Status
			}
			if resp != nil {
				resp.Body.Close()
			}
			pp.mu.Lock()
			pp.reqs = append(pp.reqs, r)
			pp.mu.Unlock()
		}
	}()
	return pp
}

// requests is the requests made so far.
func (pp *proxyPoll) requests() []scaleRequest {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return append([]scaleRequest(nil), pp.reqs...)
}

// stop ends the polling and returns every request made.
func (pp *proxyPoll) stop() []scaleRequest {
	pp.once.Do(func() { close(pp.done) })
	pp.wg.Wait()
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return pp.reqs
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}
