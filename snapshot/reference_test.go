package snapshot

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceDir holds pages captured from a real RosterOn instance. They are
// not part of the repository, so these tests skip where it is absent.
const referenceDir = "../../shared/reference/rosteron-mobile"

func reference(t *testing.T, name string) string {
	t.Helper()
	if _, err := os.Stat(referenceDir); err != nil {
		t.Skipf("reference captures not available: %v", err)
	}
	return filepath.Join(referenceDir, name)
}

func TestReferenceRoster(t *testing.T) {
	t.Parallel()
	items, err := parseFile(t, reference(t, "roster.html"))
	require.NoError(t, err)

	const title = "ABCDE - Melbourne Office"
	detail := func(times string) []Field {
		return []Field{Text(times), Empty, Text("XYZ"), Text("Assistant")}
	}
	want := []Item{
		{Date: Date{2019, 6, 7}, Title: title, Detail: detail("10:30 - 18:06")},
		{Date: Date{2019, 6, 11}, Title: title, Detail: detail("04:40 - 12:40"),
			Warnings: []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}},
		{Date: Date{2019, 6, 11}, Title: title, Detail: detail("12:40 - 15:00")},
		{Date: Date{2019, 6, 12}, Title: title, Detail: detail("10:30 - 18:06")},
	}
	assert.Equal(t, want, items)
	assert.Equal(t, "<Item (date=2019-06-11, title='ABCDE - Melbourne Office', detail=('04:40 - 12:40', None, 'XYZ', 'Assistant'))>", items[1].String())
}

func TestReferenceNotRoster(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"login.html", "login-badcreds.html", "login-baderror.html", "home.html", "unexpected.html"} {
		t.Run(name, func(t *testing.T) {
			items, err := parseFile(t, reference(t, name))
			assert.Nil(t, items)
			require.ErrorIs(t, err, ErrNotRoster)
			t.Log(err)
		})
	}
}
