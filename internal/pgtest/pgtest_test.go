package pgtest

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestDatabase checks that two tests' databases are apart and that the
// password is needed: the cluster refuses a connection without it.
func TestDatabase(t *testing.T) {
	a := NewDatabase(t)
	b := NewDatabase(t)
	if a.Name == b.Name {
		t.Fatalf("two databases named %s", a.Name)
	}
	db := a.Open(t)
	if _, err := db.Exec(`CREATE TABLE x (n int); INSERT INTO x VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.Open(t).QueryRow(`SELECT count(*) FROM pg_tables WHERE tablename = 'x'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the other database sees table x: %d, %v", n, err)
	}
	c := a.Cluster()
	cfg := c.Config(a.Name)
	cfg.Password = "wrong"
	if err := openConfig(cfg).Ping(); err == nil {
		t.Fatal("a wrong password was accepted")
	}
}
