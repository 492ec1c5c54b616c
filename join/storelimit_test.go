package join_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/join"
	"github.com/rosteron/rosteron/store"
	"github.com/rosteron/rosteron/store/storetest"
)

// eachStore runs f on a fresh store of each kind: SQLite, and a real
// PostgreSQL (pgtest).
func eachStore(t *testing.T, f func(t *testing.T, st store.Store)) {
	storetest.Kinds(t, func(t *testing.T, open func(t *testing.T, key *store.Key) store.Store) {
		f(t, open(t, storetest.Key(t)))
	})
}

// dump is every row of every table of the store's database, as text.
func dump(t *testing.T, st store.Store) string {
	t.Helper()
	ctx := context.Background()
	db := st.DB()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if st.Kind() == store.KindPostgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := db.QueryContext(ctx, q)
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		tables = append(tables, n)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	var b strings.Builder
	for _, tbl := range tables {
		dumpTable(t, db, tbl, &b)
	}
	return b.String()
}

func dumpTable(t *testing.T, db *sql.DB, table string, b *strings.Builder) {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM "` + table + `"`)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		fmt.Fprintf(b, "%s:", table)
		for _, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(b, " %v", v)
		}
		b.WriteString("\n")
	}
	require.NoError(t, rows.Err())
}

// Two StoreLimiters on one store, two replicas' limiters, count together,
// both kinds of limit, and the store keeps MACs: no address, no username.
func TestStoreLimiterShared(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		a, err := join.NewStoreLimiter(ctx, st)
		require.NoError(t, err)
		b, err := join.NewStoreLimiter(ctx, st)
		require.NoError(t, err)

		for _, limit := range []join.Limit{
			{N: 3, Per: time.Hour, Window: true},
			{N: 3, Per: 2 * time.Hour}, // a bucket, counted as a window
		} {
			user := fmt.Sprintf("user:%s\x00alice.%v@example.org", instanceA, limit.Window)
			for i, l := range []*join.StoreLimiter{a, b, a} {
				ok, _, err := l.Take(ctx, user, limit)
				require.NoError(t, err)
				require.True(t, ok, "attempt %d of 3", i+1)
			}
			for _, l := range []*join.StoreLimiter{a, b} {
				ok, retry, err := l.Take(ctx, user, limit)
				require.NoError(t, err)
				assert.False(t, ok, "the fourth attempt, on either replica")
				assert.Greater(t, retry, time.Duration(0))
				assert.LessOrEqual(t, retry, limit.Per)
			}
			ok, _, err := b.Take(ctx, "addr:203.0.113.7", limit)
			require.NoError(t, err)
			assert.True(t, ok, "another key is not held up")
		}
		ok, _, err := a.Take(ctx, "addr:203.0.113.7", join.Limit{})
		require.NoError(t, err)
		assert.True(t, ok, "no limit")

		all := dump(t, st)
		assert.Contains(t, all, "join/user/", "the counts are in the store")
		for _, plain := range []string{"203.0.113.7", "alice", "example.org", "hospital-a"} {
			assert.NotContains(t, all, plain, "the store holds a key in clear")
		}
	})
}

// Two join pages on one store, as two replicas behind a load balancer:
// the username's limit holds across them.
func TestRateLimitSharedByReplicas(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		limits := func(c *join.Config) {
			c.SharedLimits = true
			c.Limits = join.Limits{Username: join.Limit{N: 3, Per: 15 * time.Minute, Window: true}}
		}
		one := newEnvWith(t, envOptions{store: st}, limits)
		two := newEnvWith(t, envOptions{store: st}, limits)
		one.secret(badPassword, goodPassword)
		two.secret(badPassword, goodPassword)
		for i, e := range []*env{one, two, one} {
			res := e.client.post("/join", joinForm("alice", badPassword))
			require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "attempt %d", i+1)
		}
		res := two.client.post("/join", joinForm("ALICE", goodPassword))
		assert.Equal(t, http.StatusTooManyRequests, res.StatusCode, "the other replica counted them")
		assert.NotEmpty(t, res.Header.Get("Retry-After"))
		assert.Equal(t, 3, one.check.count()+two.check.count(), "RosterOn was asked past the limit")
		assert.NotContains(t, dump(t, st), "alice")
	})
}

// Two limits of one key with one span but different counts are counted
// apart: the key's MAC covers N too.
func TestStoreLimiterKeyCoversN(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		l, err := join.NewStoreLimiter(ctx, st)
		require.NoError(t, err)
		one := join.Limit{N: 1, Per: time.Hour, Window: true}
		two := join.Limit{N: 2, Per: time.Hour, Window: true}
		ok, _, err := l.Take(ctx, "addr:203.0.113.9", one)
		require.NoError(t, err)
		require.True(t, ok)
		for i := range 2 {
			ok, _, err = l.Take(ctx, "addr:203.0.113.9", two)
			require.NoError(t, err)
			assert.True(t, ok, "attempt %d of the other limit", i+1)
		}
	})
}
