package mockserver

import (
	"net/http"
	"strings"
)

// Every page links a stylesheet and a script, so that a client that blocks
// stylesheets or scripts has real requests to block.

type asset struct {
	contentType string
	body        string
}

var assets = map[string]asset{
	"/content/site.css": {"text/css; charset=utf-8", `/* RosterOn mock server: a small stand-in for the jQuery Mobile theme. */
body { margin: 0; font-family: Helvetica, Arial, sans-serif; background: #f4f4f4; color: #222; }
[data-role="header"] { background: #1f4e79; color: #fff; padding: .5em 1em; display: flex; align-items: center; gap: 1em; }
[data-role="header"] h1 { font-size: 1.1em; margin: 0; flex: 1; }
[data-role="header"] a { color: #fff; }
[data-role="content"] { padding: 1em; }
ul[data-role="listview"] { list-style: none; margin: .5em 0; padding: 0; }
li[data-role="list-divider"] { background: #dde6ef; font-weight: bold; padding: .4em .8em; margin-top: .6em; }
li[data-theme="c"] { background: #fff; border-bottom: 1px solid #ddd; padding: .4em .8em; }
li[data-theme="c"] p { margin: .1em 0; }
.validation-summary-errors { color: #b00; }
.validation-summary-valid { display: none; }
input[type="text"], input[type="password"] { width: 100%; box-sizing: border-box; padding: .4em; }
#loginButton { margin-top: 1em; padding: .5em 2em; }
`},
	"/scripts/site.js": {"application/javascript; charset=utf-8", `// RosterOn mock server. Real instances load jQuery Mobile here; the mock only
// marks the document so that styles and tests can tell scripts ran.
(function () {
  document.documentElement.className += ' js';
})();
`},
	"/content/images/warning.svg": {"image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32"><path d="M16 3 30 29H2z" fill="#d9261c"/><path d="M15 12h2v9h-2zm0 11h2v2h-2z" fill="#fff"/></svg>
`},
}

func lookupAsset(rel string) (asset, bool) {
	a, ok := assets[strings.ToLower(rel)]
	return a, ok
}

func assetResponse(a asset) *response {
	h := http.Header{}
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "public, max-age=86400")
	return &response{status: http.StatusOK, header: h, body: []byte(a.body)}
}
