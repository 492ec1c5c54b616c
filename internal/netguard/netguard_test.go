package netguard

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost":         true,
		"LOCALHOST":         true,
		"localhost.":        true,
		"127.0.0.1":         true,
		"127.255.0.9":       true,
		"::1":               true,
		"[::1]":             true,
		"::ffff:127.0.0.1":  true,
		"":                  false,
		"example.org":       false,
		"localhost.example": false,
		"mock":              false,
		"10.0.0.1":          false,
		"128.0.0.1":         false,
		"0.0.0.0":           false,
		"::":                false,
		"::1%lo":            false,
		"127.0.0.1.nip.io":  false,
		"2130706433":        false, // 127.0.0.1 as an integer: not written as loopback
		"fe80::1":           false,
		"[::ffff:10.0.0.1]": false,
	} {
		assert.Equal(t, want, IsLoopback(host), "IsLoopback(%q)", host)
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	for raw, refused := range map[string]bool{
		"http://127.0.0.1:8080/RosterOnProd/Mobile": false,
		"http://localhost/Mobile":                   false,
		"http://[::1]:9/Mobile":                     false,
		"ws://127.0.0.1:9222":                       false,
		"https://rosteron.example.org/Mobile":       false,
		"wss://chrome.example.org:9222":             false,
		"http://rosteron.example.org/Mobile":        true,
		"HTTP://rosteron.example.org/Mobile":        true,
		"ws://chrome:9222":                          true,
		"http://10.1.2.3:8080/Mobile?token=s3cret":  true,
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		err = CheckURL(u, "the URL")
		if !refused {
			assert.NoError(t, err, raw)
			continue
		}
		require.Error(t, err, raw)
		assert.True(t, errors.Is(err, ErrPlaintext), raw)
		assert.Contains(t, err.Error(), u.Hostname())
		assert.False(t, strings.Contains(err.Error(), "s3cret"), "the message quotes no query: %v", err)
	}
}
