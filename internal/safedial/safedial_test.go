package safedial

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	forbidden := map[string]string{
		"127.0.0.1":                "loopback",
		"127.8.9.10":               "loopback",
		"::1":                      "loopback",
		"::ffff:127.0.0.1":         "loopback",
		"0.0.0.0":                  "this network",
		"0.1.2.3":                  "this network",
		"::":                       "unspecified",
		"10.0.0.1":                 "RFC 1918",
		"10.255.255.255":           "RFC 1918",
		"172.16.0.1":               "RFC 1918",
		"172.31.255.254":           "RFC 1918",
		"192.168.1.1":              "RFC 1918",
		"::ffff:10.1.2.3":          "RFC 1918",
		"::ffff:192.168.0.1":       "RFC 1918",
		"100.64.0.1":               "carrier-grade NAT",
		"100.127.255.255":          "carrier-grade NAT",
		"169.254.169.254":          "link-local",
		"::ffff:169.254.169.254":   "link-local",
		"fe80::1":                  "link-local",
		"fe80::1%eth0":             "link-local",
		"febf::1":                  "link-local",
		"fc00::1":                  "unique local",
		"fd12:3456::1":             "unique local",
		"fec0::1":                  "site-local",
		"224.0.0.1":                "multicast",
		"239.255.255.250":          "multicast",
		"ff02::1":                  "multicast",
		"255.255.255.255":          "reserved",
		"240.0.0.1":                "reserved",
		"192.0.0.170":              "IETF",
		"192.0.2.1":                "documentation",
		"198.51.100.7":             "documentation",
		"203.0.113.9":              "documentation",
		"2001:db8::1":              "documentation",
		"3fff::1":                  "documentation",
		"198.18.0.1":               "benchmarking",
		"198.19.255.255":           "benchmarking",
		"192.88.99.1":              "6to4 relay",
		"::7f00:1":                 "IPv4-compatible",
		"2001::1":                  "Teredo",
		"100::1":                   "discard",
		"64:ff9b:1::1":             "NAT64",
		"64:ff9b::7f00:1":          "loopback (this machine), inside an IPv6",
		"64:ff9b::a9fe:a9fe":       "link-local",
		"2002:c0a8:0101::1":        "(RFC 1918), inside an IPv6",
		"2002:7f00:0001:1234::abc": "loopback",
	}
	for s, want := range forbidden {
		class, bad := Classify(netip.MustParseAddr(s))
		assert.True(t, bad, "Classify(%s) let it through", s)
		assert.Contains(t, class, want, "Classify(%s)", s)
	}
	public := []string{
		"1.1.1.1",
		"8.8.8.8",
		"9.255.255.255",
		"11.0.0.1",
		"100.63.255.255",
		"100.128.0.1",
		"126.255.255.255",
		"128.0.0.1",
		"169.253.255.255",
		"169.255.0.1",
		"172.15.255.255",
		"172.32.0.1",
		"192.167.255.255",
		"192.169.0.1",
		"198.17.255.255",
		"198.20.0.1",
		"223.255.255.255",
		"::ffff:8.8.8.8",
		"2606:4700:4700::1111",
		"2001:4860:4860::8888",
		"2a00:1450:4001::1",
		"64:ff9b::808:808",  // NAT64 of 8.8.8.8
		"2002:0808:0808::1", // 6to4 of 8.8.8.8
	}
	for _, s := range public {
		class, bad := Classify(netip.MustParseAddr(s))
		assert.False(t, bad, "Classify(%s) refused it as %s", s, class)
	}
	_, bad := Classify(netip.Addr{})
	assert.True(t, bad, "the zero Addr is refused")
}

func TestCheckAllow(t *testing.T) {
	t.Parallel()
	two := netip.MustParsePrefix("127.0.0.2/32")
	require.ErrorIs(t, Check(netip.MustParseAddr("127.0.0.2")), ErrForbiddenAddress)
	require.NoError(t, Check(netip.MustParseAddr("127.0.0.2"), Allow(two)))
	require.NoError(t, Check(netip.MustParseAddr("::ffff:127.0.0.2"), Allow(two)), "a mapped address matches its IPv4 prefix")
	err := Check(netip.MustParseAddr("127.0.0.1"), Allow(two))
	var fe *ForbiddenAddressError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, netip.MustParseAddr("127.0.0.1"), fe.Addr)
	assert.Contains(t, fe.Class, "loopback")
	require.NoError(t, Check(netip.MustParseAddr("8.8.8.8")))
}

func TestControlUnreadableAddress(t *testing.T) {
	t.Parallel()
	ctl := Control()
	require.ErrorIs(t, ctl("tcp", "not-an-address", nil), ErrForbiddenAddress)
	require.ErrorIs(t, ctl("tcp", "[::1]:80", nil), ErrForbiddenAddress)
	require.ErrorIs(t, ctl("tcp6", "[fe80::1%lo]:80", nil), ErrForbiddenAddress)
	require.NoError(t, ctl("tcp4", "93.184.215.14:443", nil))
}

// counting is a test server that counts the requests it was sent.
type counting struct {
	*httptest.Server
	hits atomic.Int64
}

func newCounting(t *testing.T, listenOn string, tlsOn bool, h http.HandlerFunc) *counting {
	t.Helper()
	c := &counting{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		_, _ = io.WriteString(w, "reached")
	}))
	if listenOn != "" {
		l, err := net.Listen("tcp", listenOn)
		if err != nil {
			t.Fatalf("listening on %s (Linux routes all of 127/8 to loopback): %v", listenOn, err)
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	if tlsOn {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	c.Server = srv
	return c
}

var allowTwo = Allow(netip.MustParsePrefix("127.0.0.2/32"))

func TestClientRefusesLoopback(t *testing.T) {
	t.Parallel()
	srv := newCounting(t, "", false, nil)
	// The same server is reachable without the guard.
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.EqualValues(t, 1, srv.hits.Load())

	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	withSecrets := "http://alice:s3cretpw@" + u.Host + "/mytopic-xyz?auth=tok3n"
	byName := "http://localhost:" + u.Port() + "/mytopic-xyz"
	for _, target := range []string{srv.URL, withSecrets, byName} {
		_, err := Client(5 * time.Second).Get(target)
		require.ErrorIs(t, err, ErrForbiddenAddress, target)
		var fe *ForbiddenAddressError
		require.ErrorAs(t, err, &fe)
		msg := fe.Error()
		assert.Contains(t, msg, "loopback")
		for _, secret := range []string{"s3cretpw", "alice", "mytopic", "tok3n"} {
			assert.NotContains(t, msg, secret)
		}
		if strings.Contains(target, "localhost") {
			assert.Equal(t, "localhost", fe.Host)
			assert.Contains(t, msg, "localhost resolves to a loopback")
			assert.NotContains(t, msg, "127.0.0.1", "the address a name resolved to stays out of the message")
		} else {
			assert.Equal(t, "127.0.0.1", fe.Host)
			assert.Contains(t, msg, "127.0.0.1 is a loopback")
		}
	}
	assert.EqualValues(t, 1, srv.hits.Load(), "no guarded request reached the server")
}

func TestAllowedServerReached(t *testing.T) {
	t.Parallel()
	srv := newCounting(t, "127.0.0.2:0", false, nil)
	resp, err := Client(5*time.Second, allowTwo).Get(srv.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "reached", string(body))
	assert.EqualValues(t, 1, srv.hits.Load())

	// Without the allow-list, the same server is refused.
	_, err = Client(5 * time.Second).Get(srv.URL)
	require.ErrorIs(t, err, ErrForbiddenAddress)
	assert.EqualValues(t, 1, srv.hits.Load())
}

func TestRedirectToForbiddenRefused(t *testing.T) {
	t.Parallel()
	inside := newCounting(t, "127.0.0.1:0", false, nil)
	outside := newCounting(t, "127.0.0.2:0", false, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inside.URL+"/latest/meta-data/", http.StatusFound)
	})
	_, err := Client(5*time.Second, allowTwo).Get(outside.URL)
	require.ErrorIs(t, err, ErrForbiddenAddress)
	assert.EqualValues(t, 1, outside.hits.Load(), "the allowed server was asked")
	assert.EqualValues(t, 0, inside.hits.Load(), "the redirect's target was never reached")
}

func TestRedirectLimit(t *testing.T) {
	t.Parallel()
	var loop *counting
	loop = newCounting(t, "127.0.0.2:0", false, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, loop.URL+"/again", http.StatusFound)
	})
	_, err := Client(5*time.Second, allowTwo).Get(loop.URL)
	require.ErrorIs(t, err, ErrTooManyRedirects)
	assert.EqualValues(t, MaxRedirects+1, loop.hits.Load())
}

func TestTransportKeepsTLSAndDropsProxy(t *testing.T) {
	t.Parallel()
	secure := newCounting(t, "127.0.0.2:0", true, nil)
	// A proxy that would fetch anything for us, on an allowed address.
	proxy := newCounting(t, "127.0.0.2:0", false, nil)
	proxyURL, err := url.Parse(proxy.URL)
	require.NoError(t, err)

	base := secure.Client().Transport.(*http.Transport).Clone()
	base.Proxy = http.ProxyURL(proxyURL)
	// The test certificate names 127.0.0.1 and example.com, not 127.0.0.2:
	// the base's ServerName must be kept for the handshake to succeed.
	base.TLSClientConfig.ServerName = "example.com"
	base.DialTLSContext = func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("the base's own TLS dialer was used")
	}
	tr := Transport(base, allowTwo)
	assert.Nil(t, tr.Proxy)
	assert.Nil(t, tr.DialTLSContext)
	assert.Same(t, base.TLSClientConfig.RootCAs, tr.TLSClientConfig.RootCAs, "TLS settings kept")
	assert.Equal(t, "example.com", tr.TLSClientConfig.ServerName)
	assert.NotNil(t, base.Proxy, "base left as it was")

	hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	resp, err := hc.Get(secure.URL)
	require.NoError(t, err, "https through the guard, with the base's CA")
	resp.Body.Close()
	assert.EqualValues(t, 1, secure.hits.Load())

	// https to a forbidden address: the TLS connection is guarded too.
	forbidden := newCounting(t, "127.0.0.1:0", true, nil)
	_, err = hc.Get(forbidden.URL)
	require.ErrorIs(t, err, ErrForbiddenAddress)
	_, err = hc.Get(strings.Replace(forbidden.URL, "https:", "http:", 1))
	require.ErrorIs(t, err, ErrForbiddenAddress)
	assert.EqualValues(t, 0, forbidden.hits.Load())
	assert.EqualValues(t, 0, proxy.hits.Load(), "no request went through the base's proxy")
}

func TestTransportNilBase(t *testing.T) {
	t.Parallel()
	tr := Transport(nil)
	require.NotNil(t, tr.DialContext)
	assert.Nil(t, tr.Proxy, "http.DefaultTransport's ProxyFromEnvironment is dropped")
	assert.NotSame(t, http.DefaultTransport, tr)
}
