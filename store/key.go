package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Key is the key secrets are sealed with: 32 random bytes, kept in a file
// apart from the store. It prints as "[key]", never its bytes, whatever
// the verb (%v, %+v, %#v, %x, %d, …), and marshals as "[key]" too.
type Key struct {
	b [32]byte
}

// String keeps a Key out of logs and errors.
func (k Key) String() string { return "[key]" }

// GoString keeps a Key out of %#v too.
func (k Key) GoString() string { return "[key]" }

// Format keeps a Key out of every fmt verb, %x and %d included.
func (k Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "[key]") }

// MarshalText keeps a Key out of JSON, XML and slog's text: it marshals
// as "[key]". There is no UnmarshalText: a Key is read with ParseKey.
func (k Key) MarshalText() ([]byte, error) { return []byte("[key]"), nil }

// keyPrefix starts a key file, so that a wrong file is recognised.
const keyPrefix = "rosteron-key-1:"

// NewKey makes a random key.
func NewKey() (*Key, error) {
	k := new(Key)
	if _, err := rand.Read(k.b[:]); err != nil {
		return nil, &opError{"making a key", err}
	}
	return k, nil
}

// ErrKeyFormat is matched by ParseKey's and LoadKey's errors when the data
// is not a rosteron key.
var ErrKeyFormat error = &kindError{"store: not a rosteron key file (one line: rosteron-key-1: and 32 bytes in base64; make one with rotate-key or let serve make it)"}

// ParseKey reads a key in the key file's format: one line,
// "rosteron-key-1:" and the base64 of 32 bytes. Surrounding white space is
// ignored. Its errors never quote the data.
func ParseKey(data []byte) (*Key, error) {
	line := bytes.TrimSpace(data)
	rest, ok := bytes.CutPrefix(line, []byte(keyPrefix))
	if !ok {
		return nil, ErrKeyFormat
	}
	if len(rest) != base64.StdEncoding.EncodedLen(32) {
		return nil, ErrKeyFormat
	}
	var buf [33]byte
	n, err := base64.StdEncoding.Decode(buf[:], rest)
	defer clear(buf[:])
	if err != nil || n != 32 {
		return nil, ErrKeyFormat
	}
	k := new(Key)
	copy(k.b[:], buf[:32])
	if k.b == [32]byte{} {
		return nil, ErrKeyFormat
	}
	return k, nil
}

// encode is the key file's content.
func (k *Key) encode() []byte {
	return []byte(keyPrefix + base64.StdEncoding.EncodeToString(k.b[:]) + "\n")
}

// KeyFileModeError is LoadKey's (and LoadOrCreateKey's) error for a key
// file that others than its owner may read or write. The key is read and
// returned all the same: a caller that wants to go on (a Docker secret is
// often mounted 0444) prints the error as a warning; one that returns
// every error refuses, which is the safe default:
//
//	k, err := store.LoadKey(path)
//	var mode *store.KeyFileModeError
//	if errors.As(err, &mode) {
//		log.Print("warning: ", err)
//	} else if err != nil {
//		return err
//	}
type KeyFileModeError struct {
	Path string
	Mode fs.FileMode
}

func (e *KeyFileModeError) Error() string {
	return fmt.Sprintf("store: the key file %s has mode %04o: others than its owner may read it; chmod 600 it", e.Path, e.Mode.Perm())
}

// Is makes it match ErrStore.
func (e *KeyFileModeError) Is(target error) bool { return target == ErrStore }

// LoadKey reads the key file at path. When others than its owner may
// read or write it (on Unix, by its mode), the key is returned with a
// *KeyFileModeError.
func LoadKey(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &opError{"reading the key file", err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &opError{"reading the key file", err}
	}
	if !fi.Mode().IsRegular() {
		return nil, &opError{"reading the key file", fmt.Errorf("%s is not a regular file", path)}
	}
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, &opError{"reading the key file", err}
	}
	k, err := ParseKey(data)
	clear(data)
	if err != nil {
		return nil, &opError{"reading the key file " + path, err}
	}
	if openToOthers(fi.Mode()) {
		return k, &KeyFileModeError{Path: path, Mode: fi.Mode()}
	}
	return k, nil
}

// LoadOrCreateKey reads the key file at path, or makes a new key there
// (mode 0600, never overwriting a file) when there is none; created says
// which. Its errors are LoadKey's, the *KeyFileModeError warning
// included.
func LoadOrCreateKey(path string) (k *Key, created bool, err error) {
	k, err = LoadKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	k, err = NewKey()
	if err != nil {
		return nil, false, err
	}
	err = WriteKeyFile(path, k)
	if errors.Is(err, fs.ErrExist) {
		// Another process made it meanwhile: use theirs.
		k, err = LoadKey(path)
		return k, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// WriteKeyFile writes k to a new file at path, mode 0600. It never
// overwrites a file: an existing one is an error matching fs.ErrExist.
// The file appears whole or not at all: it is written aside and linked
// into place, so that a LoadOrCreateKey beside it never reads half a key.
func WriteKeyFile(path string, k *Key) error {
	if k == nil {
		return &opError{"writing the key file", errors.New("no key given")}
	}
	if k.zero() {
		return &opError{"writing the key file", errZeroKey}
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return &opError{"writing the key file", err}
	}
	defer os.Remove(tmp.Name())
	if err := writeKey(tmp, k); err != nil {
		return &opError{"writing the key file", err}
	}
	err = os.Link(tmp.Name(), path)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		// A file system without hard links: O_EXCL, which may show a
		// half-written file for an instant.
		var f *os.File
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			if err = writeKey(f, k); err != nil {
				_ = os.Remove(path)
			}
		}
	}
	if err != nil {
		return &opError{"writing the key file", err}
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// writeKey writes k to f, made 0600, syncs and closes it.
func writeKey(f *os.File, k *Key) error {
	data := k.encode()
	defer clear(data)
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// fingerprint is a short, one-way name of the key, kept in each sealed
// value so that a wrong key is told apart from an altered value.
func (k *Key) fingerprint() [4]byte {
	m := hmac.New(sha256.New, k.b[:])
	m.Write([]byte("rosteron/v1 key fingerprint"))
	var f [4]byte
	copy(f[:], m.Sum(nil))
	return f
}

// subkey is the key values of one context (one column of one row) are
// sealed with: HMAC-SHA256 of the key and the context. A value sealed for
// one context does not open in another, so that someone who can write the
// database cannot move a sealed password to another account or column.
func (k *Key) subkey(context string) *[32]byte {
	m := hmac.New(sha256.New, k.b[:])
	m.Write([]byte("rosteron/v1 seal\x00"))
	m.Write([]byte(context))
	var s [32]byte
	copy(s[:], m.Sum(nil))
	return &s
}

// errZeroKey: a Key made with new(Key) or Key{}, not NewKey or ParseKey.
var errZeroKey = errors.New("the key is all zeros: make keys with NewKey or read them with LoadKey")

func (k *Key) zero() bool { return k.b == [32]byte{} }
