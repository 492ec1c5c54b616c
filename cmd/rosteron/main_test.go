package main

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// Whoever runs the tests, rosteron runs them as a user who is not
	// root: the warning that Chrome gets no sandbox as root would end up
	// in every test's standard error. TestRootSandboxWarning sets the
	// uid itself.
	processEUID = func() int { return 1000 }
	os.Exit(m.Run())
}
