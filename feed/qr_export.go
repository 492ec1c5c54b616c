package feed

// QRCode returns a QR code of text, as the feed's page shows its
// subscribe address: a data: URI of a two-colour PNG (which the page's
// Content-Security-Policy, PageCSP, allows as an image), and its width
// and height in pixels, quiet zone included. An error means text is too
// long for a QR code.
func QRCode(text string) (dataURI string, size int, err error) {
	return qrDataURI(text)
}
