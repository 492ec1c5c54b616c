package snapshot_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/snapshot"
)

// What the command line writes for TestDiff's cases: the export package
// writes the text, from the changes Diff finds here.
func TestDiffText(t *testing.T) {
	t.Parallel()
	for _, tc := range snapshot.DiffTextCases() {
		t.Run(tc.Name, func(t *testing.T) {
			var text bytes.Buffer
			require.NoError(t, export.WriteChangesText(&text, tc.Changes))
			if tc.Check {
				assert.Equal(t, tc.Text, text.String())
			}
		})
	}
}
