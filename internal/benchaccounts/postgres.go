package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/rosteron/rosteron/internal/pgtest"
)

// pgFigures is what a -postgres run reads from the database at its end.
type pgFigures struct {
	jobs                int // refresh jobs started after the warm-up
	latP50, latP95, max time.Duration
	tables              []tableSize
	bytes               int64 // the whole database
	accounts            int
}

type tableSize struct {
	name  string
	rows  int64
	bytes int64
}

// measurePostgres reads the queue latency of the refresh jobs started
// after from (River's scheduled_at to its attempted_at: how long a due
// job waited for a worker), and each table's rows and bytes.
func measurePostgres(ctx context.Context, db *sql.DB, pg *pgtest.Database, res *result, from time.Time, accounts int) error {
	f := &pgFigures{accounts: accounts}
	var p50, p95, mx sql.NullFloat64
	err := db.QueryRowContext(ctx, `
		SELECT count(*),
		       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - scheduled_at)),
		       percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - scheduled_at)),
		       max(extract(epoch FROM attempted_at - scheduled_at))
		FROM river_job WHERE kind = 'refresh' AND attempted_at IS NOT NULL AND attempted_at >= $1`, from).
		Scan(&f.jobs, &p50, &p95, &mx)
	if err != nil {
		return fmt.Errorf("reading the queue latency: %w", err)
	}
	sec := func(v sql.NullFloat64) time.Duration { return time.Duration(v.Float64 * float64(time.Second)) }
	f.latP50, f.latP95, f.max = sec(p50), sec(p95), sec(mx)
	rows, err := db.QueryContext(ctx, `SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables ORDER BY 2 DESC`)
	if err != nil {
		return fmt.Errorf("reading the tables' sizes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t tableSize
		if err := rows.Scan(&t.name, &t.bytes); err != nil {
			return err
		}
		f.tables = append(f.tables, t)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range f.tables {
		// The name comes from the catalogue; quoted all the same.
		q := `SELECT count(*) FROM "` + strings.ReplaceAll(f.tables[i].name, `"`, `""`) + `"`
		if err := db.QueryRowContext(ctx, q).Scan(&f.tables[i].rows); err != nil {
			return fmt.Errorf("counting %s: %w", f.tables[i].name, err)
		}
	}
	if err := db.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&f.bytes); err != nil {
		return err
	}
	res.pg = f
	return nil
}

func (f *pgFigures) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "\nQueue latency of the %d refresh jobs started after the warm-up (River's `scheduled_at` to `attempted_at`): median %s, 95th percentile %s, most %s.\n",
		f.jobs, f.latP50.Round(time.Millisecond), f.latP95.Round(time.Millisecond), f.max.Round(time.Millisecond))
	var tables int64
	for _, t := range f.tables {
		tables += t.bytes
	}
	fmt.Fprintf(b, "\nPostgres at the end, %d accounts: the tables %.1f MiB (%.1f KiB an account, River's completed jobs of the last day included); the database %.1f MiB, an empty one's catalogue included.\n\n",
		f.accounts, mib(tables), float64(tables)/1024/float64(f.accounts), mib(f.bytes))
	b.WriteString("| table | rows | rows an account | bytes (with indexes and TOAST) | bytes an account |\n|---|---|---|---|---|\n")
	for _, t := range f.tables {
		if t.bytes == 0 && t.rows == 0 {
			continue
		}
		fmt.Fprintf(b, "| %s | %d | %.2f | %.1f MiB | %.0f |\n", t.name, t.rows, float64(t.rows)/float64(f.accounts),
			mib(t.bytes), float64(t.bytes)/float64(f.accounts))
	}
}
