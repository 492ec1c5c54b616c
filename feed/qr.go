package feed

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"

	qr "github.com/piglig/go-qr"
)

// The QR code's geometry: each module qrScale pixels, and the quiet zone
// of four modules the standard asks for, so that a camera finds it on any
// background.
const (
	qrScale  = 8
	qrBorder = 4
)

// qrDataURI returns a QR code of text as a data: URI of a two-colour PNG,
// and its width in pixels. Medium error correction leaves a phone room to
// read it off a screen at an angle.
func qrDataURI(text string) (string, int, error) {
	code, err := qr.EncodeText(text, qr.Medium)
	if err != nil {
		return "", 0, fmt.Errorf("encoding the QR code: %w", err)
	}
	n := code.Size()
	size := (n + 2*qrBorder) * qrScale
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y := range n {
		for x := range n {
			if !code.Module(x, y) {
				continue
			}
			x0, y0 := (x+qrBorder)*qrScale, (y+qrBorder)*qrScale
			for dy := range qrScale {
				row := img.Pix[(y0+dy)*img.Stride+x0:]
				for dx := range qrScale {
					row[dx] = 1
				}
			}
		}
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return "", 0, fmt.Errorf("encoding the QR code's image: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), size, nil
}
