package join_test

import (
	"os"
	"testing"

	"github.com/rosteron/rosteron/internal/pgtest"
)

// TestMain stops the tests' PostgreSQL, when one was started, once they
// are done.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
