package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The schema of each database: the same versions in both, each in that
// database's words.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// migration is one versioned schema change.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: its name must start with a version number and _", name)
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(data)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: versions must run 1, 2, 3… without a gap", m.name)
		}
	}
	return ms, nil
}

// migrationsOf returns the migrations of a kind of database.
func migrationsOf(k Kind) ([]migration, error) {
	return loadMigrations(migrationFiles, "migrations/"+string(k))
}

// SchemaVersion is the highest schema version this code knows (the same
// for SQLite and Postgres).
func SchemaVersion() int {
	ms, err := migrationsOf(KindSQLite)
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrateAll applies the migrations the store lacks, each in its own
// transaction begun by begin, and refuses a store newer than this code.
// Two processes must not run it at once on one database unless begin's
// transactions serialise them (SQLite's BEGIN IMMEDIATE does; Postgres
// holds an advisory lock around it).
func (s *base) migrateAll(ctx context.Context, begin func(context.Context) (*sql.Tx, error), checks map[int]func(context.Context, *sql.Tx) error) error {
	ms, err := migrationsOf(s.d.kind)
	if err != nil {
		return &opError{"migrating the store", err}
	}
	for {
		done, err := s.migrateOne(ctx, begin, ms, checks)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateOne applies the next migration in a transaction of its own;
// done when there is none.
func (s *base) migrateOne(ctx context.Context, begin func(context.Context) (*sql.Tx, error), ms []migration, checks map[int]func(context.Context, *sql.Tx) error) (done bool, err error) {
	tx, err := begin(ctx)
	if err != nil {
		return false, &opError{"migrating the store " + s.where, err}
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM store_migrations`).Scan(&have); err != nil {
		return false, &opError{"migrating the store " + s.where, err}
	}
	if have > len(ms) {
		return false, &opError{"opening the store " + s.where,
			fmt.Errorf("its schema is version %d, newer than this rosteron knows (%d): run a newer rosteron", have, len(ms))}
	}
	if have == len(ms) {
		return true, nil
	}
	m := ms[have]
	if check := checks[m.version]; check != nil {
		if err := check(ctx, tx); err != nil {
			return false, &opError{"migrating the store " + s.where + " with " + m.name, err}
		}
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, &opError{"migrating the store " + s.where + " with " + m.name, err}
	}
	if _, err := s.exec(ctx, tx, `INSERT INTO store_migrations (version, applied) VALUES (?, ?)`, m.version, time.Now().UnixNano()); err != nil {
		return false, &opError{"migrating the store " + s.where + " with " + m.name, err}
	}
	if err := tx.Commit(); err != nil {
		return false, &opError{"migrating the store " + s.where + " with " + m.name, err}
	}
	return false, nil
}
