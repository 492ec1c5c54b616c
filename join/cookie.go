package join

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"time"

	"github.com/rosteron/rosteron/store"
)

// The manage session: after the manage code is entered once, a cookie
// keeps it for sessionTTL. The store keeps only the code's hash, and
// shows nobody which hash an account has, so the cookie carries the code
// itself, sealed (AES-GCM, under a key of the service's kept in the
// store), with the account's ID and the cookie's expiry. Each request
// opens it and looks the code up again: a code changed since (a new manage
// code) leaves every older cookie finding no account. The client holds
// only the sealed bytes: a stolen cookie is good for the rest of its half
// hour and gives away no code.

// sessionTTL is how long a manage login lasts.
const sessionTTL = 30 * time.Minute

// sessionAAD binds the sealed bytes to their use.
var sessionAAD = []byte("rosteron manage session v1")

type sessions struct {
	aead   cipher.AEAD
	name   string
	path   string
	secure bool
}

func newSessions(key []byte, secure bool, base string) (*sessions, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s := &sessions{aead: aead, name: "rosteron-manage", path: base + "/manage/", secure: secure}
	if secure {
		// __Host-: only this host can set it, so a sibling subdomain
		// cannot toss one in; it must have Path=/, and its name scopes it.
		s.name, s.path = "__Host-rosteron-manage", "/"
	}
	return s, nil
}

// set gives w a cookie of the account's manage session.
func (s *sessions) set(w http.ResponseWriter, id store.ID, secret string, now time.Time) {
	exp := now.Add(sessionTTL)
	plain := make([]byte, 16, 16+len(secret))
	binary.BigEndian.PutUint64(plain[:8], uint64(id))
	binary.BigEndian.PutUint64(plain[8:], uint64(exp.Unix()))
	plain = append(plain, secret...)
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce) // never fails since Go 1.24
	sealed := s.aead.Seal(nonce, nonce, plain, sessionAAD)
	http.SetCookie(w, &http.Cookie{
		Name:     s.name,
		Value:    base64.RawURLEncoding.EncodeToString(sealed),
		Path:     s.path,
		Expires:  exp,
		MaxAge:   int(sessionTTL / time.Second),
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteStrictMode,
	})
}

// clear tells the client to forget its cookie.
func (s *sessions) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.name,
		Value:    "",
		Path:     s.path,
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteStrictMode,
	})
}

var errNoSession = errors.New("no manage session")

// open returns the account ID and manage code of r's cookie, when it has
// one that opens and has not expired.
func (s *sessions) open(r *http.Request, now time.Time) (store.ID, string, error) {
	// More than one (one set for a wider domain or path beside ours): no
	// telling which is ours, so none is taken.
	cks := r.CookiesNamed(s.name)
	if len(cks) != 1 {
		return 0, "", errNoSession
	}
	ck := cks[0]
	sealed, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(sealed) < s.aead.NonceSize() {
		return 0, "", errNoSession
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], sessionAAD)
	if err != nil || len(plain) < 16 {
		return 0, "", errNoSession
	}
	id := store.ID(binary.BigEndian.Uint64(plain[:8]))
	exp := time.Unix(int64(binary.BigEndian.Uint64(plain[8:16])), 0)
	if !now.Before(exp) {
		return 0, "", errNoSession
	}
	return id, string(plain[16:]), nil
}
