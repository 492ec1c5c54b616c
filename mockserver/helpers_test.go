package mockserver_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// fixedNow is a Melbourne morning; its UTC date is the day before, which
// catches code that mixes the two.
var fixedNow = time.Date(2019, time.June, 10, 8, 28, 37, 0, melbourne())

func melbourne() *time.Location {
	if loc, err := time.LoadLocation("Australia/Melbourne"); err == nil {
		return loc
	}
	return time.FixedZone("AEST", 10*60*60)
}

func fixedClock() time.Time { return fixedNow }

// start runs a server over real loopback HTTP for the test.
func start(t *testing.T, opts ...mockserver.Option) (*mockserver.Server, *httptest.Server) {
	t.Helper()
	s := mockserver.New(append([]mockserver.Option{mockserver.WithClock(fixedClock)}, opts...)...)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close) // runs first: lets go of hung requests
	return s, ts
}

// client is a browser-like HTTP client that keeps cookies but does not follow
// redirects, so that tests see every 302.
type client struct {
	t    *testing.T
	root string // scheme://host:port
	base string // root + base path
	http *http.Client
	jar  *cookiejar.Jar
}

func newClient(t *testing.T, ts *httptest.Server, s *mockserver.Server) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{
		t:    t,
		root: ts.URL,
		base: ts.URL + s.BasePath(),
		jar:  jar,
		http: &http.Client{
			Jar:           jar,
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

type result struct {
	resp *http.Response
	body string
	doc  *html.Node
}

func (c *client) do(req *http.Request) result {
	c.t.Helper()
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	doc, err := html.Parse(strings.NewReader(string(b)))
	require.NoError(c.t, err)
	return result{resp: resp, body: string(b), doc: doc}
}

// get fetches a path below the base.
func (c *client) get(path string) result {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	require.NoError(c.t, err)
	return c.do(req)
}

// getAbs fetches a path relative to the server root, such as a Location.
func (c *client) getAbs(path string) result {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.root+path, nil)
	require.NoError(c.t, err)
	return c.do(req)
}

func (c *client) postAbs(path string, form url.Values) result {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.root+path, strings.NewReader(form.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// login does what a browser does: load the login page, fill in its form and
// submit it. It returns the POST's result.
func (c *client) login(username, password string) result {
	c.t.Helper()
	page := c.get("/Account/Login")
	require.Equal(c.t, http.StatusOK, page.resp.StatusCode, page.body)
	return c.submitLogin(page, username, password)
}

func (c *client) submitLogin(page result, username, password string) result {
	c.t.Helper()
	form := find(page.doc, isElem("form"))
	require.Len(c.t, form, 1, "login page has one form")
	return c.postAbs(attr(form[0], "action"), url.Values{
		"__RequestVerificationToken": {inputValue(page.doc, "__RequestVerificationToken")},
		"UserName":                   {username},
		"Password":                   {password},
	})
}

func (c *client) cookie(name string) (string, bool) {
	u, err := url.Parse(c.root + "/")
	require.NoError(c.t, err)
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value, true
		}
	}
	return "", false
}

// HTML helpers.

func isElem(tag string, kv ...string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		if n.Type != html.ElementNode || n.Data != tag {
			return false
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if v, ok := lookupAttr(n, kv[i]); !ok || v != kv[i+1] {
				return false
			}
		}
		return true
	}
}

func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func lookupAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attr(n *html.Node, key string) string {
	v, _ := lookupAttr(n, key)
	return v
}

func text(n *html.Node) string {
	var b strings.Builder
	for _, t := range find(n, func(n *html.Node) bool { return n.Type == html.TextNode }) {
		b.WriteString(t.Data)
	}
	return b.String()
}

// pageIDs returns the ids of the jQuery Mobile page divs; a RosterOn page
// has exactly one.
func pageIDs(doc *html.Node) []string {
	var ids []string
	for _, n := range find(doc, isElem("div", "data-role", "page")) {
		ids = append(ids, attr(n, "id"))
	}
	return ids
}

func pageID(doc *html.Node) string {
	ids := pageIDs(doc)
	if len(ids) != 1 {
		return ""
	}
	return ids[0]
}

func inputValue(doc *html.Node, name string) string {
	for _, n := range find(doc, isElem("input", "name", name)) {
		return attr(n, "value")
	}
	return ""
}

// validationMessages returns the trimmed messages of the login page's
// validation summary.
func validationMessages(doc *html.Node) []string {
	var out []string
	for _, div := range find(doc, isElem("div", "class", "validation-summary-errors")) {
		for _, li := range find(div, isElem("li")) {
			out = append(out, strings.TrimSpace(text(li)))
		}
	}
	return out
}

// parseRoster reads a roster page with snapshot.Parse, the parser clients
// use, so that every roster test is also a round trip.
func parseRoster(t *testing.T, body string) []snapshot.Item {
	t.Helper()
	items, err := snapshot.Parse(strings.NewReader(body))
	require.NoError(t, err)
	return items
}

// normalize makes nil and empty slices compare equal.
func normalize(items []snapshot.Item) []snapshot.Item {
	out := make([]snapshot.Item, 0, len(items))
	for _, it := range items {
		if len(it.Detail) == 0 {
			it.Detail = nil
		}
		if len(it.Warnings) == 0 {
			it.Warnings = nil
		}
		out = append(out, it)
	}
	return out
}
