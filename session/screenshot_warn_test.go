package session_test

import (
	"bytes"
	"log"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// unwritableFolder is a screenshots folder that cannot be made, even by
// root: its parent is a file.
func unwritableFolder(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	return filepath.Join(file, "shots")
}

// A screenshot that cannot be saved fails no step, but is a warning, one
// for each step, naming the step and the cause.
func TestScreenshotThatCannotBeSavedIsAWarning(t *testing.T) {
	f := newMock(t)
	var warnings []error
	s := newSession(t, f.url, session.WithScreenshots(unwritableFolder(t)),
		session.WithWarnings(func(err error) { warnings = append(warnings, err) }))
	ctx := ctxT(t)
	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	_, err := s.GetRoster(ctx)
	require.NoError(t, err, "a screenshot fails no step")
	require.NoError(t, s.LogOut(ctx))

	var steps []string
	for _, w := range warnings {
		assert.ErrorIs(t, w, syscall.ENOTDIR, "the cause is kept: %v", w)
		assert.NotContains(t, w.Error(), mockserver.DemoPassword)
		for _, step := range []string{session.PurposeLogin, session.PurposeHome, session.PurposeRoster, session.PurposeLogout} {
			if strings.HasPrefix(w.Error(), "saving the "+step+" step's screenshot: ") {
				steps = append(steps, step)
			}
		}
	}
	assert.Equal(t, []string{session.PurposeLogin, session.PurposeHome, session.PurposeRoster, session.PurposeLogout}, steps, "%v", warnings)
}

// Without WithWarnings, a warning goes to the standard logger, which
// writes to standard error unless the program says otherwise.
func TestScreenshotWarningWithoutHandlerGoesToTheLog(t *testing.T) {
	var buf bytes.Buffer
	out, flags := log.Writer(), log.Flags()
	log.SetOutput(&buf)
	log.SetFlags(0)
	t.Cleanup(func() { log.SetOutput(out); log.SetFlags(flags) })

	f := newMock(t)
	s := newSession(t, f.url, session.WithScreenshots(unwritableFolder(t)))
	require.NoError(t, s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword))
	assert.Contains(t, buf.String(), "rosteron: warning: saving the login step's screenshot: ")
	assert.Contains(t, buf.String(), "not a directory")
}
