package mockserver_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// fakeStack writes small stand-ins for the Debian files in a folder laid
// out as /usr/share/javascript is, so that the tests of realistic mode run
// on any machine.
func fakeStack(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"jquery/jquery.min.js":                "/* jquery */ window.jq = 1;",
		"jquery-migrate-1.min.js":             "/* migrate */ window.mig = 1;",
		"jquery-mobile/jquery.mobile.min.js":  "/* mobile */ window.jqm = 1;",
		"jquery-mobile/jquery.mobile.min.css": "/* mobile css */ body { margin: 0 }",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir, files
}

func TestLoadScriptStackNamesTheMissingFileAndPackage(t *testing.T) {
	t.Parallel()
	dir, _ := fakeStack(t)
	require.NoError(t, os.Remove(filepath.Join(dir, "jquery-mobile", "jquery.mobile.min.js")))
	_, err := mockserver.LoadScriptStack(dir)
	require.ErrorIs(t, err, mockserver.ErrNoScriptStack)
	assert.Contains(t, err.Error(), "jquery.mobile.min.js")
	assert.Contains(t, err.Error(), "libjs-jquery-mobile")
	assert.Contains(t, err.Error(), "apt-get install libjs-jquery libjs-jquery-migrate-1 libjs-jquery-mobile")
}

func TestRealisticPagesLoadTheStackAsRealInstancesDo(t *testing.T) {
	t.Parallel()
	dir, files := fakeStack(t)
	st, err := mockserver.LoadScriptStack(dir)
	require.NoError(t, err)
	s, ts := start(t, mockserver.WithScriptStack(st))
	c := newClient(t, ts, s)

	page := c.get("/Account/Login")
	require.Equal(t, http.StatusOK, page.resp.StatusCode)
	var scripts, styles []string
	for _, n := range find(page.doc, isElem("script")) {
		if src := attr(n, "src"); src != "" {
			scripts = append(scripts, src)
		}
	}
	for _, n := range find(page.doc, isElem("link", "rel", "stylesheet")) {
		styles = append(styles, attr(n, "href"))
	}
	base := s.BasePath()
	require.Len(t, scripts, 3, "jQuery, Migrate and jQuery Mobile, in that order")
	assert.Regexp(t, `^`+base+`/bundles/jquery\?v=[A-Za-z0-9_-]{43}$`, scripts[0])
	assert.Equal(t, base+"/Scripts/jquery-migrate-1.4.1.min.js", scripts[1])
	assert.Regexp(t, `^`+base+`/bundles/jquerymobile\?v=[A-Za-z0-9_-]{43}$`, scripts[2])
	require.Len(t, styles, 2)
	assert.Regexp(t, `^`+base+`/Content/mobileCss\?v=`, styles[0])
	assert.Contains(t, page.body, `$(document).live("pageshow"`, "the inline scripts need jQuery Migrate, as real ones do")
	assert.Contains(t, page.body, "$.mobile.ajaxEnabled = false")

	// The bundles are ASP.NET's: public, a year's Expires, any ?v=.
	js := c.getAbs(scripts[0])
	assert.Equal(t, files["jquery/jquery.min.js"], js.body)
	assert.Equal(t, "public", js.resp.Header.Get("Cache-Control"))
	assert.Equal(t, "text/javascript; charset=utf-8", js.resp.Header.Get("Content-Type"))
	expires, err := http.ParseTime(js.resp.Header.Get("Expires"))
	require.NoError(t, err)
	assert.Equal(t, fixedNow.UTC().AddDate(1, 0, 0).Truncate(time.Second), expires.UTC())
	assert.NotEmpty(t, js.resp.Header.Get("Last-Modified"))
	assert.Equal(t, files["jquery-mobile/jquery.mobile.min.js"], c.getAbs(scripts[2]).body)
	assert.Equal(t, files["jquery-mobile/jquery.mobile.min.css"], c.getAbs(styles[0]).body)
	assert.Equal(t, "text/css; charset=utf-8", c.getAbs(styles[0]).resp.Header.Get("Content-Type"))
	other := c.get("/bundles/jquery?v=an-older-version")
	assert.Equal(t, files["jquery/jquery.min.js"], other.body)

	// The static file is IIS's: an ETag and no Cache-Control at all.
	mig := c.getAbs(scripts[1])
	assert.Equal(t, files["jquery-migrate-1.min.js"], mig.body)
	assert.Empty(t, mig.resp.Header.Values("Cache-Control"))
	etag := mig.resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	req, err := http.NewRequest(http.MethodGet, ts.URL+scripts[1], nil)
	require.NoError(t, err)
	req.Header.Set("If-None-Match", etag)
	again := c.do(req)
	assert.Equal(t, http.StatusNotModified, again.resp.StatusCode)
	assert.Empty(t, again.body)

	// Every page of the flow has the stack.
	require.Equal(t, http.StatusFound, c.submitLogin(page, mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	for _, path := range []string{"/", "/Roster/List?pageNo=1&row=1"} {
		p := c.get(path)
		assert.Len(t, find(p.doc, isElem("script", "src", scripts[2])), 1, path)
	}
}

func TestPlainPagesLoadNoStack(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithScriptStack(nil))
	c := newClient(t, ts, s)
	page := c.get("/Account/Login")
	assert.NotContains(t, page.body, "bundles/")
	assert.Equal(t, http.StatusNotFound, c.get("/bundles/jquery?v=x").resp.StatusCode)
}

// The real Debian files, when installed (CI installs them).
func TestLoadScriptStackFromDebian(t *testing.T) {
	t.Parallel()
	st, err := mockserver.LoadScriptStack("")
	if errors.Is(err, mockserver.ErrNoScriptStack) && !chrometest.InCI() {
		t.Skipf("set CI=true to make this a failure: %v", err)
	}
	require.NoError(t, err)
	script, style := st.Size()
	assert.Greater(t, script, 250<<10, "about 300 KB of script, as real pages load")
	assert.Greater(t, style, 100<<10)
}

func TestDemoShifts(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithDemoShifts(124))
	c := newClient(t, ts, s)
	require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	items := parseRoster(t, c.get("/Roster/List?pageNo=1&row=1").body)
	require.Len(t, items, 124)
	assert.Equal(t, normalize(mockserver.DemoRosterOf(fixedNow, 124)), normalize(items))
	assert.Equal(t, mockserver.DemoRoster(fixedNow), mockserver.DemoRosterOf(fixedNow, 32), "32 shifts is DemoRoster")
	for i := 1; i < len(items); i++ {
		assert.False(t, items[i].Date.Before(items[i-1].Date), "in date order at %d", i)
	}
	assert.Empty(t, mockserver.DemoRosterOf(fixedNow, 0))
}

func TestScriptRosterHasNoListUntilItsScriptRuns(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithFault(mockserver.FaultScriptRoster))
	c := newClient(t, ts, s)
	require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	page := c.get("/Roster/List?pageNo=1&row=1")
	assert.Equal(t, "roster-list", pageID(page.doc))
	assert.Empty(t, find(page.doc, isElem("ul", "data-role", "listview")))
	_, err := snapshot.Parse(strings.NewReader(page.body))
	assert.ErrorIs(t, err, snapshot.ErrNotRoster)
	// The script holds the very list the plain page has.
	plain, pts := start(t)
	pc := newClient(t, pts, plain)
	require.Equal(t, http.StatusFound, pc.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	want := find(pc.get("/Roster/List?pageNo=1&row=1").doc, isElem("li", "data-role", "list-divider"))
	require.NotEmpty(t, want)
	assert.True(t, strings.Contains(page.body, `list-divider\"\u003e`+text(want[0])), "the script holds %q", text(want[0]))
}

func TestScriptFillsRosterSendsAnEmptyListAndItsItems(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithFault(mockserver.FaultScriptFillsRoster))
	c := newClient(t, ts, s)
	require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	page := c.get("/Roster/List?pageNo=1&row=1")
	assert.Equal(t, "roster-list", pageID(page.doc))
	lists := find(page.doc, isElem("ul", "data-role", "listview"))
	require.Len(t, lists, 1)
	assert.Nil(t, lists[0].FirstChild, "the list is sent empty")
	items, err := snapshot.Parse(strings.NewReader(page.body))
	require.NoError(t, err)
	assert.Empty(t, items, "read as sent, the roster is empty")
	// The script holds the very items the plain page has.
	plain, pts := start(t)
	pc := newClient(t, pts, plain)
	require.Equal(t, http.StatusFound, pc.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	want := find(pc.get("/Roster/List?pageNo=1&row=1").doc, isElem("li", "data-role", "list-divider"))
	require.NotEmpty(t, want)
	assert.True(t, strings.Contains(page.body, `list-divider\"\u003e`+text(want[0])), "the script holds %q", text(want[0]))
}

func TestScriptRosterPageSendsNoPageAndAnswersItsRequestWithThePage(t *testing.T) {
	t.Parallel()
	s, ts := start(t, mockserver.WithFault(mockserver.FaultScriptRosterPage))
	c := newClient(t, ts, s)
	require.Equal(t, http.StatusFound, c.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	page := c.get("/Roster/List?pageNo=1&row=1")
	assert.Equal(t, http.StatusOK, page.resp.StatusCode)
	assert.Empty(t, pageID(page.doc), "no page element is sent")
	assert.Contains(t, page.body, "XMLHttpRequest")
	_, err := snapshot.Parse(strings.NewReader(page.body))
	assert.ErrorIs(t, err, snapshot.ErrNotRoster)

	// The script's own request gets the page element, list and all.
	req, err := http.NewRequest(http.MethodGet, c.base+"/Roster/List?pageNo=1&row=1", nil)
	require.NoError(t, err)
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	part := c.do(req)
	assert.Equal(t, http.StatusOK, part.resp.StatusCode)
	assert.Equal(t, "roster-list", pageID(part.doc))
	assert.True(t, strings.HasPrefix(part.body, `<div data-role="page"`), "the part is the page element alone: %.60q", part.body)
	items, err := snapshot.Parse(strings.NewReader(part.body))
	require.NoError(t, err)
	assert.Equal(t, mockserver.DemoUser(fixedClock()).Roster, items)
}
