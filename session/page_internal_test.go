package session

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// referencePages holds pages captured from a real RosterOn instance,
// outside the repository; tests that read them skip where it is absent.
const referencePages = "../../shared/reference/rosteron-mobile"

// TestInspectReference reads each page a real instance serves as the
// session does: one read gives what each step decides on, and for the
// roster page the roster, the same as snapshot.Parse gives.
func TestInspectReference(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(referencePages); err != nil {
		t.Skipf("reference captures not available: %v", err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(referencePages, name))
		require.NoError(t, err)
		return string(b)
	}

	info := inspect(read("login-badcreds.html"))
	assert.Equal(t, "account-login", info.ID)
	assert.Equal(t, []string{badCredentialsMessage}, info.Validation)
	assert.Equal(t, "a page with id 'account-login'", info.describe())
	assert.ErrorIs(t, info.Err, snapshot.ErrNotRoster)
	assert.Nil(t, info.Items)

	info = inspect(read("login-baderror.html"))
	assert.Equal(t, []string{"The authentication mechanism is unknown."}, info.Validation)

	info = inspect(read("home.html"))
	assert.Equal(t, "home-index", info.ID)
	assert.Empty(t, info.Validation)

	info = inspect(read("unexpected.html"))
	assert.Equal(t, "", info.ID)
	assert.Equal(t, "a page that is not RosterOn's, titled 'The page cannot be displayed'", info.describe())

	page := read("roster.html")
	info = inspect(page)
	assert.Equal(t, "roster-list", info.ID)
	assert.True(t, info.List)
	assert.True(t, info.Shifts)
	require.NoError(t, info.Err)
	want, err := snapshot.Parse(strings.NewReader(page))
	require.NoError(t, err)
	assert.Equal(t, want, info.Items)
	assert.Len(t, info.Items, 4)
}

// TestInspectRosterStates covers what rosterPage decides on: a roster with
// shifts is read at once; one with an empty list, or none, is rendered.
func TestInspectRosterStates(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	items := mockserver.DemoRoster(time.Date(2026, time.April, 1, 8, 0, 0, 0, time.UTC))
	require.NoError(t, mockserver.RenderRoster(&b, items))
	info := inspect(b.String())
	assert.Equal(t, "roster-list", info.ID)
	assert.True(t, info.List)
	assert.True(t, info.Shifts)
	require.NoError(t, info.Err)
	assert.Equal(t, items, info.Items)

	b.Reset()
	require.NoError(t, mockserver.RenderRoster(&b, nil))
	info = inspect(b.String())
	assert.True(t, info.List)
	assert.False(t, info.Shifts)
	require.NoError(t, info.Err)
	assert.Empty(t, info.Items)

	info = inspect(`<div data-role="page" id="roster-list"><div data-role="content"><p>Loading…</p></div></div>`)
	assert.Equal(t, "roster-list", info.ID)
	assert.False(t, info.List)
	assert.False(t, info.Shifts)
	assert.ErrorIs(t, info.Err, snapshot.ErrNotRoster)
	assert.Contains(t, info.Err.Error(), `no <ul data-role="listview"> in the content: found "Loading…"`)

	// A roster that cannot be read still says it has shifts, so that the
	// session reports the error rather than render the page for nothing.
	info = inspect(`<div data-role="page" id="roster-list"><div data-role="content"><ul data-role="listview"><li><p>x</p></li></ul></div></div>`)
	assert.True(t, info.Shifts)
	assert.ErrorIs(t, info.Err, snapshot.ErrMalformed)
	assert.Nil(t, info.Items)
}

// TestInspectMockPages reads the mock server's login page and a page that
// is no RosterOn page at all.
func TestInspectMockPages(t *testing.T) {
	t.Parallel()
	srv := mockserver.New()
	defer srv.Close()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", srv.BasePath()+"/Account/Login", nil))
	info := inspect(rec.Body.String())
	assert.Equal(t, "account-login", info.ID)
	assert.Empty(t, info.Validation)

	info = inspect("<html><head><title>  Gateway\n Timeout </title></head><body>504</body></html>")
	assert.Equal(t, "", info.ID)
	assert.Equal(t, "a page that is not RosterOn's, titled 'Gateway Timeout'", info.describe())
	assert.Equal(t, "a page that is not RosterOn's", inspect("").describe())
}
