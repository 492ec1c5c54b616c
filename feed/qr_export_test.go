package feed

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// QRCode gives a PNG data: URI of the size it says.
func TestQRCode(t *testing.T) {
	t.Parallel()
	uri, size, err := QRCode("https://rosteron.example.org/join/0123456789abcdef")
	require.NoError(t, err)
	b64, ok := strings.CutPrefix(uri, "data:image/png;base64,")
	require.True(t, ok, uri[:min(len(uri), 40)])
	data, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, size, img.Bounds().Dx())
	assert.Equal(t, size, img.Bounds().Dy())
	assert.Zero(t, size%qrScale)

	_, _, err = QRCode(strings.Repeat("x", 4000))
	assert.ErrorContains(t, err, "encoding the QR code")
}

// SetPageHeaders sets the headers the feed's page is served with; PageCSP
// allows the style given, by its hash, and a form to the page's origin
// when asked.
func TestPageHeaders(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	_, err := f.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)
	rec := get(Handler(f, testToken), "GET", "/"+testToken+"/")
	require.Equal(t, http.StatusOK, rec.Code)
	h := http.Header{}
	SetPageHeaders(h)
	assert.Len(t, h, 6)
	for k := range h {
		assert.Equal(t, rec.Header().Values(k), h.Values(k), k)
	}
	assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
	assert.Equal(t, "no-store", h.Get("Cache-Control"))
	assert.Contains(t, h.Get("Content-Security-Policy"), "form-action 'none'")
	assert.Contains(t, rec.Body.String(), "<style>"+PageStyle()+"</style>", "the feed page's style is PageStyle's")
	assert.Equal(t, PageCSP(PageStyle(), false), h.Get("Content-Security-Policy"))

	css := "body{color:red}"
	sum := sha256.Sum256([]byte(css))
	csp := PageCSP(css, true)
	assert.Contains(t, csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	assert.Contains(t, csp, "form-action 'self'")
	assert.Contains(t, csp, "default-src 'none'")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	assert.NotContains(t, csp, "script-src")
}
