package service

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/store/storetest"
)

// A serve killed mid-refresh leaves its job "running", and River would
// rescue it only after RescueStuckJobsAfter (minutes). With Exclusive (the
// store is this process's alone), the next start takes it up at once.
func TestExclusiveTakesUpOrphanedJobs(t *testing.T) {
	path := t.TempDir() + "/store.db"
	key := storetest.Key(t)
	st := storetest.OpenAt(t, path, key)
	f := newFake()
	a := addAccount(t, st, "alice", "a.example", "pw-alice-1111")
	rs := start(t, testConfig(st, f, &syncBuffer{}))
	waitRefreshed(t, f, 1, a)
	rs.stop(t)

	// What a process killed mid-refresh leaves: the account's job
	// running, so that no other job of the account can be queued.
	res, err := st.DB().ExecContext(context.Background(),
		`UPDATE river_job SET state = 'running', finalized_at = NULL
		 WHERE id = (SELECT max(id) FROM river_job WHERE kind = 'refresh')`)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	require.Equal(t, 1, liveJobs(t, st)[a.id])

	before := f.count(a.id)
	cfg := testConfig(st, f, &syncBuffer{})
	cfg.Exclusive = true
	start(t, cfg)
	// Well inside the 3 minutes River's rescue would take here
	// (JobTimeout 1 min + 2).
	require.Eventually(t, func() bool { return f.count(a.id) > before }, 30*time.Second, 5*time.Millisecond,
		"the orphaned refresh runs at once")
}
