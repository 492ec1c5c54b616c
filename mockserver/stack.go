package mockserver

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DebianScriptDir is where Debian's libjs-* packages install their files.
const DebianScriptDir = "/usr/share/javascript"

// stackPackages names the Debian packages whose files LoadScriptStack reads.
const stackPackages = "libjs-jquery libjs-jquery-migrate-1 libjs-jquery-mobile"

// ErrNoScriptStack is matched by the error of LoadScriptStack when a file
// of the script stack is missing.
var ErrNoScriptStack = errors.New("the realistic script stack is missing (apt-get install " + stackPackages + ")")

// ScriptStack is the script and style files a real RosterOn instance loads
// on every page: jQuery, jQuery Migrate and jQuery Mobile with its theme,
// about 310 KB of script and 210 KB of style. Real instances load jQuery
// 1.9 and jQuery Mobile 1.3; Debian's jQuery 3.6 and jQuery Mobile 1.4 are
// close enough to cost a browser what the real ones cost. Make one with
// LoadScriptStack and give it to WithScriptStack.
type ScriptStack struct {
	files    [numStackFiles]stackFile
	modified time.Time // the newest file's time, for Last-Modified
}

type stackFile struct {
	body    []byte
	version string // ?v=: a digest of the body, as ASP.NET bundles have
	etag    string
}

// The files of the stack, in the order the pages load them.
const (
	stackJQuery = iota
	stackMigrate
	stackMobile
	stackMobileCSS
	stackSiteCSS
	numStackFiles
)

// stackSources are the files LoadScriptStack reads, relative to its
// folder, with the package each comes from.
var stackSources = [...]struct{ path, pkg string }{
	stackJQuery:    {"jquery/jquery.min.js", "libjs-jquery"},
	stackMigrate:   {"jquery-migrate-1.min.js", "libjs-jquery-migrate-1"},
	stackMobile:    {"jquery-mobile/jquery.mobile.min.js", "libjs-jquery-mobile"},
	stackMobileCSS: {"jquery-mobile/jquery.mobile.min.css", "libjs-jquery-mobile"},
}

// LoadScriptStack reads the stack from dir, which is DebianScriptDir when
// empty. A missing file is an error wrapping ErrNoScriptStack that names
// the file and its package.
func LoadScriptStack(dir string) (*ScriptStack, error) {
	if dir == "" {
		dir = DebianScriptDir
	}
	st := &ScriptStack{}
	for i, src := range stackSources {
		path := filepath.Join(dir, filepath.FromSlash(src.path))
		body, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: no %s (from %s)", ErrNoScriptStack, path, src.pkg)
		}
		if err != nil {
			return nil, fmt.Errorf("mockserver: reading the script stack: %w", err)
		}
		if fi, err := os.Stat(path); err == nil && fi.ModTime().After(st.modified) {
			st.modified = fi.ModTime().UTC().Truncate(time.Second)
		}
		st.files[i] = newStackFile(body)
	}
	st.files[stackSiteCSS] = newStackFile([]byte(assets["/content/site.css"].body))
	return st, nil
}

func newStackFile(body []byte) stackFile {
	sum := sha256.Sum256(body)
	return stackFile{
		body:    body,
		version: base64.RawURLEncoding.EncodeToString(sum[:]),
		etag:    `"` + hex.EncodeToString(sum[:8]) + `"`,
	}
}

// Size is the number of bytes of script and style a page loads.
func (st *ScriptStack) Size() (script, style int) {
	for i, f := range st.files {
		if i == stackMobileCSS || i == stackSiteCSS {
			style += len(f.body)
		} else {
			script += len(f.body)
		}
	}
	return script, style
}

// WithScriptStack makes the server realistic: every page loads st as real
// instances load theirs, jQuery and jQuery Mobile from ASP.NET bundles
// whose URLs carry a version digest (?v=…) and whose answers may be cached
// for a year, jQuery Migrate as a plain static file that may not, and the
// inline scripts real pages carry. Without it (or with nil) pages load one
// small script and stylesheet.
func WithScriptStack(st *ScriptStack) Option {
	return func(s *Server) { s.stack = st }
}

// stackView is what the layout needs to link the stack.
type stackView struct {
	JQuery, Mobile, MobileCSS, SiteCSS string // ?v= values
}

func (st *ScriptStack) view() *stackView {
	if st == nil {
		return nil
	}
	return &stackView{
		JQuery:    st.files[stackJQuery].version,
		Mobile:    st.files[stackMobile].version,
		MobileCSS: st.files[stackMobileCSS].version,
		SiteCSS:   st.files[stackSiteCSS].version,
	}
}

// stackAsset answers a GET of one of the stack's files: the bundles as
// System.Web.Optimization does (public, a year's Expires, whatever ?v=
// says), the static file as IIS does (ETag and Last-Modified, nothing that
// allows caching it without asking).
func (s *Server) stackAsset(r *http.Request, rel string) (*response, bool) {
	st := s.stack
	if st == nil {
		return nil, false
	}
	bundles := map[string]struct {
		file int
		typ  string
	}{
		"/bundles/jquery":       {stackJQuery, "text/javascript; charset=utf-8"},
		"/bundles/jquerymobile": {stackMobile, "text/javascript; charset=utf-8"},
		"/content/mobilecss":    {stackMobileCSS, "text/css; charset=utf-8"},
		"/content/css":          {stackSiteCSS, "text/css; charset=utf-8"},
	}
	lower := strings.ToLower(rel)
	if b, ok := bundles[lower]; ok {
		h := http.Header{}
		h.Set("Cache-Control", "public")
		h.Set("Content-Type", b.typ)
		h.Set("Expires", s.clock().UTC().AddDate(1, 0, 0).Format(http.TimeFormat))
		h.Set("Last-Modified", st.modified.Format(http.TimeFormat))
		h.Set("Vary", "Accept-Encoding")
		return &response{status: http.StatusOK, header: h, body: st.files[b.file].body}, true
	}
	if lower != strings.ToLower(migratePath) {
		return nil, false
	}
	f := st.files[stackMigrate]
	h := http.Header{}
	h.Set("Content-Type", "application/javascript")
	h.Set("Last-Modified", st.modified.Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h["ETag"] = []string{f.etag} // as IIS spells it, not Go's Etag
	if r.Header.Get("If-None-Match") == f.etag {
		return &response{status: http.StatusNotModified, header: h, static: true}, true
	}
	return &response{status: http.StatusOK, header: h, body: f.body, static: true}, true
}

// migratePath is where realistic pages load jQuery Migrate from, as a
// static file like a 2025 instance's Scripts/jquery-migrate-1.1.1.js.
const migratePath = "/Scripts/jquery-migrate-1.4.1.min.js"
