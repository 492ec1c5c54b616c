package mockserver_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
)

// The captures of a real instance live outside the repository; these tests
// compare the mock's pages with them when they are there.
const referenceDir = "../../shared/reference/rosteron-mobile"

func reference(t *testing.T, name string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(referenceText(t, name)))
	require.NoError(t, err)
	return doc
}

func referenceText(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(referenceDir, name))
	if os.IsNotExist(err) {
		t.Skipf("reference capture %s not present", name)
	}
	require.NoError(t, err)
	return string(b)
}

// loginShape is what a client relies on in a login page.
type loginShape struct {
	PageID   string
	Contents int
	Forms    int
	Method   string
	Inputs   []string // name/id/type of each input, sorted
	Summary  string
	Messages []string
}

func shapeOfLogin(doc *html.Node) loginShape {
	sh := loginShape{PageID: pageID(doc)}
	for _, p := range find(doc, isElem("div", "data-role", "page")) {
		sh.Contents += len(find(p, isElem("div", "data-role", "content")))
	}
	forms := find(doc, isElem("form"))
	sh.Forms = len(forms)
	if len(forms) == 1 {
		sh.Method = strings.ToLower(attr(forms[0], "method"))
		for _, in := range find(forms[0], isElem("input")) {
			desc := attr(in, "name") + "/" + attr(in, "id") + "/" + attr(in, "type")
			if attr(in, "type") == "submit" {
				desc += "/" + attr(in, "value")
			}
			sh.Inputs = append(sh.Inputs, desc)
		}
		sort.Strings(sh.Inputs)
		for _, div := range find(forms[0], func(n *html.Node) bool {
			return n.Type == html.ElementNode && n.Data == "div" && strings.HasPrefix(attr(n, "class"), "validation-summary-")
		}) {
			sh.Summary = attr(div, "class")
		}
	}
	sh.Messages = validationMessages(doc)
	return sh
}

func TestConformsToReferenceLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		capture string
		fault   mockserver.Fault
		bad     bool
	}{
		{"login", "login.html", 0, false},
		{"bad credentials", "login-badcreds.html", 0, true},
		{"other validation error", "login-baderror.html", mockserver.FaultOtherValidation, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := shapeOfLogin(reference(t, tt.capture))
			s, ts := start(t, mockserver.WithFault(tt.fault))
			c := newClient(t, ts, s)
			got := c.get("/Account/Login")
			if tt.bad {
				got = c.submitLogin(got, mockserver.DemoUsername, "wrong")
			}
			assert.Equal(t, want, shapeOfLogin(got.doc))
		})
	}
}

func TestConformsToReferenceHome(t *testing.T) {
	t.Parallel()
	ref := reference(t, "home.html")
	s, ts := start(t)
	c := newClient(t, ts, s)
	c.login(mockserver.DemoUsername, mockserver.DemoPassword)
	mine := c.get("/")
	for _, doc := range []*html.Node{ref, mine.doc} {
		assert.Equal(t, "home-index", pageID(doc))
		content := find(doc, isElem("div", "data-role", "content"))
		require.Len(t, content, 1)
		assert.Contains(t, text(content[0]), "Welcome BLOGGS, JOE")
		links := map[string]bool{}
		for _, a := range find(doc, isElem("a")) {
			href := attr(a, "href")
			if i := strings.Index(href, "/Roster/List"); i >= 0 {
				links[href[i:]] = true
			}
			if strings.HasSuffix(href, "/Account/LogOff") {
				links["logoff"] = true
			}
		}
		assert.True(t, links["/Roster/List?pageNo=1&row=1"])
		assert.True(t, links["logoff"])
	}
}

func TestConformsToReferenceRoster(t *testing.T) {
	t.Parallel()
	refText := referenceText(t, "roster.html")
	ref := reference(t, "roster.html")
	items := parseRoster(t, refText)
	require.Len(t, items, 4)
	assert.Equal(t, []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}, items[1].Warnings)
	assert.Equal(t, "ABCDE - Melbourne Office", items[0].Title)

	var b bytes.Buffer
	require.NoError(t, mockserver.RenderRoster(&b, items))
	assert.Equal(t, items, parseRoster(t, b.String()))
	mine, err := html.Parse(&b)
	require.NoError(t, err)
	assert.Equal(t, "roster-list", pageID(mine))
	list := func(doc *html.Node) *html.Node { return find(doc, isElem("ul", "data-role", "listview"))[0] }
	assert.Equal(t, childKinds(list(ref)), childKinds(list(mine)), "same sequence of dividers, warning tables and shifts")
}

func TestConformsToReferenceProxyPage(t *testing.T) {
	t.Parallel()
	ref := reference(t, "unexpected.html")
	s, ts := start(t, mockserver.WithFault(mockserver.FaultProxy403))
	mine := newClient(t, ts, s).get("/Account/Login")
	assert.Equal(t, http.StatusForbidden, mine.resp.StatusCode)
	assert.Empty(t, pageIDs(ref))
	assert.Empty(t, pageIDs(mine.doc))
}

// TestScriptLoginFormInChrome checks that the scripted login page really
// builds the same form as the plain one, in a real browser.
func TestScriptLoginFormInChrome(t *testing.T) {
	t.Parallel()
	// The real binary behind Debian's wrapper scripts, so the timeout's
	// kill cannot orphan Chrome; a local one, which can read the page's
	// file.
	chrome := chrometest.NeedLocal(t)
	for _, bad := range []bool{false, true} {
		s, ts := start(t)
		c := newClient(t, ts, s)
		plain := c.get("/Account/Login")
		if bad {
			plain = c.submitLogin(plain, `O'Brien & <Co>`, "wrong")
		}
		want := shapeOfLogin(plain.doc)

		s.SetFaults(mockserver.FaultScriptLoginForm)
		url := c.base + "/Account/Login"
		if bad {
			// Chrome has no cookie of ours, so it would get a fresh token;
			// a GET cannot show messages, so look at the POST's page.
			scripted := c.submitLogin(plain, `O'Brien & <Co>`, "wrong")
			require.Empty(t, find(scripted.doc, isElem("form")))
			path := filepath.Join(t.TempDir(), "page.html")
			require.NoError(t, os.WriteFile(path, []byte(scripted.body), 0o600))
			url = "file://" + path
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := exec.CommandContext(ctx, chrome, "--headless", "--no-sandbox", "--disable-gpu",
			"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", url).Output()
		cancel()
		require.NoError(t, err)
		doc, err := html.Parse(bytes.NewReader(out))
		require.NoError(t, err)
		got := shapeOfLogin(doc)
		assert.Equal(t, want, got, "bad=%v", bad)
		if bad {
			assert.Equal(t, `O'Brien & <Co>`, inputValue(doc, "UserName"))
		}
	}
}
