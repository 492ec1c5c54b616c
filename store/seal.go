package store

import (
	"crypto/rand"
	"crypto/subtle"
	"strconv"

	"golang.org/x/crypto/nacl/secretbox"
)

// A sealed value is
//
//	version (1 byte, sealVersion) | key fingerprint (4) | nonce (24) | secretbox
//
// sealed with the key's subkey for its context, so that it opens only
// where it was sealed (see Key.subkey).
const (
	sealVersion  = 1
	sealOverhead = 1 + 4 + 24 + secretbox.Overhead
)

// Contexts name where a sealed value belongs.
func ctxPassword(id ID) string     { return "password account=" + itoa(id) }
func ctxToken(id ID) string        { return "token account=" + itoa(id) }
func ctxSettings(id ID) string     { return "settings account=" + itoa(id) }
func ctxSecret(name string) string { return "secret name=" + name }

// seal seals plain under k for context.
func seal(k *Key, context string, plain []byte) ([]byte, error) {
	if k == nil {
		return nil, ErrNoKey
	}
	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, &opError{"sealing", err}
	}
	fp := k.fingerprint()
	out := make([]byte, 0, sealOverhead+len(plain))
	out = append(out, sealVersion)
	out = append(out, fp[:]...)
	out = append(out, nonce[:]...)
	sub := k.subkey(context)
	defer clear(sub[:])
	return secretbox.Seal(out, plain, &nonce, sub), nil
}

// open opens a value sealed for context under k. ErrWrongKey when it was
// sealed under another key, or altered, or moved from another context.
func open(k *Key, context string, sealed []byte) ([]byte, error) {
	if k == nil {
		return nil, ErrNoKey
	}
	if len(sealed) < sealOverhead || sealed[0] != sealVersion {
		return nil, ErrWrongKey
	}
	fp := k.fingerprint()
	if subtle.ConstantTimeCompare(fp[:], sealed[1:5]) != 1 {
		return nil, ErrWrongKey
	}
	var nonce [24]byte
	copy(nonce[:], sealed[5:29])
	sub := k.subkey(context)
	defer clear(sub[:])
	plain, ok := secretbox.Open(nil, sealed[29:], &nonce, sub)
	if !ok {
		return nil, &alteredError{context}
	}
	return plain, nil
}

// alteredError is open's error for a value sealed under the right key
// that does not open where it is: altered, or moved from another account
// or column. It matches ErrWrongKey and ErrStore.
type alteredError struct{ context string }

func (e *alteredError) Error() string {
	return "store: the sealed " + e.context + " does not open with this key although the key is the one it was sealed with: it was altered, or moved from another account or column"
}
func (e *alteredError) Is(target error) bool { return target == ErrWrongKey || target == ErrStore }

func itoa(id ID) string { return strconv.FormatInt(int64(id), 10) }
