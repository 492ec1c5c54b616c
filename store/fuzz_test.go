package store

import (
	"testing"
)

// Bad input never panics, and never opens.
func FuzzParseKey(f *testing.F) {
	k, err := NewKey()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(k.encode())
	f.Add([]byte(keyPrefix))
	f.Add([]byte(keyPrefix + "===="))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKey(data)
		if (k == nil) == (err == nil) {
			t.Fatalf("key %v and error %v", k != nil, err)
		}
		if k != nil {
			again, err := ParseKey(k.encode())
			if err != nil || again.b != k.b {
				t.Fatal("a parsed key does not read back")
			}
		}
	})
}

func FuzzOpenSealed(f *testing.F) {
	k, err := NewKey()
	if err != nil {
		f.Fatal(err)
	}
	good, err := seal(k, ctxPassword(1), []byte("pw"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:sealOverhead])
	f.Add([]byte{sealVersion})
	f.Fuzz(func(t *testing.T, sealed []byte) {
		p, err := open(k, ctxPassword(1), sealed)
		if err == nil && string(sealed) != string(good) {
			t.Fatalf("a forged value opened: %q", p)
		}
	})
}
