// Package qrtest reads QR codes back for tests, with a decoder of its own
// (gozxing, a port of ZXing) rather than the encoder's library, so that a
// test proves what a phone's camera would read, not that a library agrees
// with itself.
package qrtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	_ "image/png" // screenshots and the page's data: URIs are PNGs
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Decode returns the text of the QR code in img, which may hold other
// things around it, as a screenshot does.
func Decode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("qrtest: reading the image: %w", err)
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", fmt.Errorf("qrtest: no QR code read: %w", err)
	}
	return res.GetText(), nil
}

// DecodePNG decodes a PNG (or any registered format) and reads its QR code.
func DecodePNG(data []byte) (string, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("qrtest: decoding the image: %w", err)
	}
	return Decode(img)
}

// DecodeDataURI reads the QR code of an image given as a base64 data: URI,
// as a page's <img src> holds it.
func DecodeDataURI(uri string) (string, error) {
	meta, payload, ok := strings.Cut(uri, ",")
	if !ok || !strings.HasPrefix(meta, "data:image/") || !strings.HasSuffix(meta, ";base64") {
		return "", errors.New("qrtest: not a base64 data: URI of an image")
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return "", fmt.Errorf("qrtest: %w", err)
	}
	return DecodePNG(data)
}
