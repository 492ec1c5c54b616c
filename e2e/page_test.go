package e2e

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/qrtest"
	"github.com/rosteron/rosteron/mockserver"
)

// update rewrites what the tests show people: the page's screenshot in
// docs/ (make screenshots).
var update = flag.Bool("update", false, "write the serve page's screenshot to docs/")

// pageScreenshot is where -update writes the page's screenshot.
const pageScreenshot = "../docs/serve-page.png"

// docsToken is the feed token of the page shown in the docs: not a secret,
// since the feed it opens never leaves the test.
const docsToken = "docs-example-token-not-a-secret"

// The page at phone width in real Chrome: no sideways scrolling, today
// marked, its style allowed by its own policy, nothing loaded from
// anywhere, and a QR code that reads, off the screenshot, as the feed's
// address people reach (--public-url).
func TestServePage(t *testing.T) {
	b := chrome.Get(t)
	_, url := newMock(t, mockserver.WithUsers(feedUserWith(mockserver.DemoRoster(time.Now()))))
	const public = "https://roster.example.org/rosteron"
	p := startFeed(t, append(feedEnv(url), "ROSTERON_FEED_TOKEN="+docsToken),
		"--refresh", "10m", "--tz", "Australia/Melbourne", "--state", t.TempDir(),
		"--calendar-name", "Joe's shifts", "--public-url", public+"/")
	assert.Equal(t, public+"/"+docsToken+"/roster.ics", p.public, "the printed address is the public one")
	p.waitFor(t, "the first refresh", 60*time.Second, func() bool { _, h, _ := p.healthz(t); return h.OK })

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const width, scale = 390, 2
	tab, err := b.NewTab(ctx, browser.Viewport(width, 844, scale, true))
	require.NoError(t, err)
	defer tab.Close()
	resp, err := tab.Navigate(ctx, forBrowser(p.page))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.Status)

	eval := func(expr string) any {
		v, err := browser.Eval[any](ctx, tab, expr)
		require.NoError(t, err, expr)
		return v
	}
	assert.EqualValues(t, width, eval(`window.innerWidth`))
	scrollWidth := eval(`document.documentElement.scrollWidth`)
	assert.LessOrEqual(t, scrollWidth.(float64), float64(width), "no sideways scrolling at %d px", width)
	assert.EqualValues(t, 0, eval(`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).length`),
		"no element sticks out")
	assert.Contains(t, eval(`document.querySelector('[aria-current=date]').innerText`), "Today")
	assert.EqualValues(t, "block", eval(`getComputedStyle(document.querySelector('a.button')).display`),
		"the style applies: the policy's hash is the style's")
	assert.EqualValues(t, 0, eval(`document.scripts.length`))
	assert.EqualValues(t, 0, eval(`performance.getEntriesByType('resource').length`), "nothing loaded beyond the page")
	assert.EqualValues(t, "webcal://roster.example.org/rosteron/"+docsToken+"/roster.ics",
		eval(`document.querySelector('a.button').href`))
	text := eval(`document.body.innerText`).(string)
	assert.Contains(t, text, "This week")
	assert.Contains(t, text, "Next week")
	assert.Regexp(t, `\d\d:\d\d–\d\d:\d\d`, text)
	assert.NotContains(t, text, feedPassword)

	shot, err := tab.Screenshot(ctx)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	ratio := float64(img.Bounds().Dx()) / width
	rect := eval(`(() => { const r = document.querySelector('img.qr').getBoundingClientRect();
		return [r.left, r.top + window.scrollY, r.width, r.height]; })()`).([]any)
	x, y, w, h := rect[0].(float64)*ratio, rect[1].(float64)*ratio, rect[2].(float64)*ratio, rect[3].(float64)*ratio
	crop := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(int(x), int(y), int(x+w), int(y+h)))
	got, err := qrtest.Decode(crop)
	require.NoError(t, err, "the QR code as Chrome drew it")
	assert.Equal(t, public+"/"+docsToken+"/roster.ics", got)
	got, err = qrtest.Decode(img)
	require.NoError(t, err, "the QR code found on the whole page")
	assert.Equal(t, public+"/"+docsToken+"/roster.ics", got)

	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(pageScreenshot), 0o755))
		require.NoError(t, os.WriteFile(pageScreenshot, shot, 0o644))
		t.Logf("wrote %s (%dx%d)", pageScreenshot, img.Bounds().Dx(), img.Bounds().Dy())
	}
	assert.Equal(t, 0, p.stop(t), "stderr: %s", p.stderr)
	assert.False(t, strings.Contains(p.stderr.String(), feedPassword))
}
