package join

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// The forms carry a token against cross-site request forgery, besides
// net/http's CrossOriginProtection: a random value in a cookie of the
// client's (double submit), and in each form its HMAC under a key of the
// service's, so that a token cannot be made without the key even by one
// who can set cookies on a sibling domain.

// csrfField is the forms' field of the token.
const csrfField = "csrf"

type csrf struct {
	key    []byte
	name   string // the cookie's name
	path   string
	secure bool
}

func newCSRF(key []byte, secure bool, base string) *csrf {
	c := &csrf{key: key, secure: secure, name: "rosteron-csrf", path: base + "/"}
	if secure {
		// __Host- cookies are kept only when Secure, with Path=/ and no
		// Domain, so that no other host can plant one.
		c.name, c.path = "__Host-rosteron-csrf", "/"
	}
	return c
}

// cookieValue returns the client's value, when it has a well-formed one.
func (c *csrf) cookieValue(r *http.Request) (string, bool) {
	ck, err := r.Cookie(c.name)
	if err != nil {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(b) != 32 {
		return "", false
	}
	return ck.Value, true
}

// token returns the token for r's forms, setting a new cookie on w when r
// has none.
func (c *csrf) token(w http.ResponseWriter, r *http.Request) string {
	v, ok := c.cookieValue(r)
	if !ok {
		b := make([]byte, 32)
		_, _ = rand.Read(b) // never fails since Go 1.24
		v = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{
			Name:     c.name,
			Value:    v,
			Path:     c.path,
			HttpOnly: true,
			Secure:   c.secure,
			SameSite: http.SameSiteLaxMode,
		})
	}
	return c.sign(v)
}

func (c *csrf) sign(v string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("rosteron join csrf\x00"))
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// check reports whether r's form carries the token of its cookie. The
// form must have been parsed.
func (c *csrf) check(r *http.Request) bool {
	v, ok := c.cookieValue(r)
	if !ok {
		return false
	}
	got := r.PostForm.Get(csrfField)
	want := c.sign(v)
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
