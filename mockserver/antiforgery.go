package mockserver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// The anti-forgery scheme mimics ASP.NET MVC's: a cookie token and a form
// token that must belong together. Both are MACs under the server's key, so
// a token from another server (or from before a restart) is stale, exactly
// as on a real instance whose machine key changed.
const (
	tokenName  = "__RequestVerificationToken"
	authCookie = ".ASPXAUTH"
	nonceSize  = 16
)

var tokenEncoding = base64.RawURLEncoding

func (s *Server) mac(purpose string, nonce []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(nonce)
	return m.Sum(nil)
}

// newCookieToken returns a fresh cookie token and its nonce.
func (s *Server) newCookieToken() (string, []byte) {
	nonce := make([]byte, nonceSize)
	_, _ = rand.Read(nonce)
	raw := append(append([]byte(nil), nonce...), s.mac("cookie", nonce)[:16]...)
	return tokenEncoding.EncodeToString(raw), nonce
}

// cookieNonce returns the nonce of the request's cookie token, if this
// server issued it.
func (s *Server) cookieNonce(r *http.Request) ([]byte, bool) {
	c, err := r.Cookie(tokenName)
	if err != nil {
		return nil, false
	}
	raw, err := tokenEncoding.DecodeString(c.Value)
	if err != nil || len(raw) != nonceSize+16 {
		return nil, false
	}
	nonce, tag := raw[:nonceSize], raw[nonceSize:]
	if !hmac.Equal(tag, s.mac("cookie", nonce)[:16]) {
		return nil, false
	}
	return nonce, true
}

// formToken is the hidden field value that goes with the cookie of nonce.
func (s *Server) formToken(nonce []byte) string {
	return tokenEncoding.EncodeToString(s.mac("form", nonce))
}

// checkAntiForgery returns "" when the POST's tokens match, or the message
// ASP.NET would put on its error page.
func (s *Server) checkAntiForgery(r *http.Request) string {
	nonce, ok := s.cookieNonce(r)
	if !ok {
		if _, err := r.Cookie(tokenName); err != nil {
			return `The required anti-forgery cookie "` + tokenName + `" is not present.`
		}
		return "The anti-forgery cookie token could not be decrypted; it may come from another server or an older key."
	}
	field := r.PostFormValue(tokenName)
	if field == "" {
		return `The required anti-forgery form field "` + tokenName + `" is not present.`
	}
	if !hmac.Equal([]byte(field), []byte(s.formToken(nonce))) {
		return "The anti-forgery cookie token and form field token do not match."
	}
	return ""
}
