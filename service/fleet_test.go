package service

import (
	"context"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/internal/pgtest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/store"
	"github.com/rosteron/rosteron/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Three replicas on one Postgres database (three store handles), 60
// accounts on one mock RosterOn, in a real Chrome: the host never has more
// than K sessions at once across the three, every account is refreshed,
// and each has one committed refresh in the period.
func TestFleetPolitenessOnOneHost(t *testing.T) {
	path := chrometest.NeedLocal(t)
	ctx := context.Background()
	users := mockserver.GenerateUsers("nurse", 60, 19, time.Now())
	m := mockserver.New(mockserver.WithUsers(users...))
	ts := httptest.NewServer(m)
	t.Cleanup(ts.Close)
	t.Cleanup(m.Close)
	instance := ts.URL + m.BasePath()

	key := storetest.Key(t)
	open := storetest.Fresh(t, store.KindPostgres)
	first := open(key)
	for _, u := range users {
		_, _, err := first.Create(ctx, store.NewAccount{Username: u.Username, Instance: instance, Password: u.Password})
		require.NoError(t, err)
	}
	b := NewBrowser(browser.WithExecPath(path), browser.WithReadyTabs(2))
	t.Cleanup(func() { _ = b.Close() })

	const K = 2
	log := &syncBuffer{}
	for i := range 3 {
		st := first
		if i > 0 {
			st = open(key)
		}
		start(t, Config{
			Store:        st,
			Fetch:        b.Fetch(session.WithTimeout(time.Minute)),
			Options:      storeOptions(st),
			Interval:     time.Hour,
			PerHost:      K,
			LoginGap:     20 * time.Millisecond,
			MaxSessions:  3,
			JobTimeout:   2 * time.Minute,
			Log:          log,
			pollInterval: 50 * time.Millisecond,
			changesEvery: 100 * time.Millisecond,
			healthEvery:  time.Minute,
		})
	}

	require.Eventually(t, func() bool {
		list, err := first.List(ctx)
		if err != nil || len(list) != len(users) {
			return false
		}
		for _, a := range list {
			if a.Health.LastGood.IsZero() {
				return false
			}
		}
		return true
	}, 5*time.Minute, 50*time.Millisecond, "every account refreshed; log:\n%s", log)

	require.LessOrEqual(t, m.MaxSessions(), K, "sessions at once on the one host, across the three replicas")
	require.GreaterOrEqual(t, m.MaxSessions(), 1)

	// One committed refresh per account in the period (an hour).
	rows, err := first.DB().QueryContext(ctx,
		`SELECT (args->>'account')::bigint, count(*), max(attempted_by[array_length(attempted_by, 1)])
		 FROM river_job WHERE kind = 'refresh' AND state = 'completed' GROUP BY 1`)
	require.NoError(t, err)
	defer rows.Close()
	done := map[store.ID]int{}
	by := map[string]bool{}
	for rows.Next() {
		var id store.ID
		var n int
		var who string
		require.NoError(t, rows.Scan(&id, &n, &who))
		done[id] = n
		by[who] = true
	}
	require.NoError(t, rows.Err())
	require.Len(t, done, len(users))
	for id, n := range done {
		require.Equal(t, 1, n, "account #%d's refreshes committed", id)
	}
	t.Logf("jobs run by %d replicas; most sessions at once on the host: %d", len(by), m.MaxSessions())
	for _, u := range users {
		require.NotContains(t, log.String(), u.Password)
	}
}
