package session

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOriginAllowed(t *testing.T) {
	cases := []struct {
		configured, found string
		want              bool
	}{
		{"https://r.example.com/RosterOnProd/Mobile", "https://r.example.com/RosterOnProd/Mobile/Account/Login", true},
		{"https://r.example.com/Mobile", "https://R.EXAMPLE.COM:443/Mobile/Account/Login", true},
		{"https://r.example.com:8443/Mobile", "https://r.example.com:8443/Account/Login", true},
		// Another host, port or scheme is another origin.
		{"https://r.example.com/Mobile", "https://evil.example.com/Account/Login", false},
		{"https://r.example.com/Mobile", "https://r.example.com.evil.example/Account/Login", false},
		{"https://r.example.com/Mobile", "https://r.example.com:8443/Account/Login", false},
		{"http://127.0.0.1:8080/Mobile", "http://127.0.0.1:8081/Account/Login", false},
		{"http://127.0.0.1:8080/Mobile", "http://localhost:8080/Account/Login", false},
		// https never goes down to http.
		{"https://r.example.com/Mobile", "http://r.example.com/Mobile/Account/Login", false},
		// The one exception: http upgraded to https on the same host,
		// default port to default port.
		{"http://r.example.com/Mobile", "https://r.example.com/Mobile/Account/Login", true},
		{"http://r.example.com:80/Mobile", "https://r.example.com:443/Account/Login", true},
		{"http://[::1]/Mobile", "https://[::1]/Account/Login", true},
		{"http://r.example.com:8080/Mobile", "https://r.example.com:8080/Account/Login", false},
		{"http://r.example.com/Mobile", "https://r.example.com:8443/Account/Login", false},
		{"http://r.example.com/Mobile", "https://other.example.com/Account/Login", false},
		// Not a network URL.
		{"https://r.example.com/Mobile", "chrome-error://chromewebdata/", false},
		{"https://r.example.com/Mobile", "about:blank", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, originAllowed(c.configured, c.found), "%s from %s", c.found, c.configured)
	}
}

func TestAllowedOrigins(t *testing.T) {
	assert.Equal(t, []string{"https://r.example.com"}, allowedOrigins("https://r.example.com:443/Mobile"))
	assert.Equal(t, []string{"http://r.example.com", "https://r.example.com"}, allowedOrigins("http://r.example.com/Mobile"))
	assert.Equal(t, []string{"http://127.0.0.1:8080"}, allowedOrigins("http://127.0.0.1:8080/Mobile"))
	assert.Equal(t, []string{"http://[::1]", "https://[::1]"}, allowedOrigins("http://[::1]/Mobile"))
}

func TestSiteOf(t *testing.T) {
	cases := []struct{ base, found, want string }{
		{"http://r.example.com/Mobile", "http://r.example.com/Mobile/Account/Login", "http://r.example.com/Mobile"},
		// The upgrade: the later steps, and the cookie check, go to https.
		{"http://r.example.com/Mobile", "https://r.example.com/Mobile/Account/Login", "https://r.example.com/Mobile"},
		{"http://r.example.com:80/Mobile", "https://r.example.com:443/Mobile/Account/Login", "https://r.example.com/Mobile"},
		{"http://[::1]/Mobile", "https://[::1]/Mobile/Account/Login", "https://[::1]/Mobile"},
		// Nothing else switches.
		{"https://r.example.com/Mobile", "https://r.example.com/Mobile/Account/Login", "https://r.example.com/Mobile"},
		{"http://r.example.com:8080/Mobile", "https://r.example.com:8080/Account/Login", "http://r.example.com:8080/Mobile"},
		{"http://r.example.com/Mobile", "https://other.example.com/Account/Login", "http://r.example.com/Mobile"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, siteOf(c.base, c.found), "%s from %s", c.found, c.base)
	}
}

func TestSessionUsesTheSiteTheLoginPageCameFrom(t *testing.T) {
	s, err := New("http://r.example.com/Mobile", WithAllowHTTP())
	assert.NoError(t, err)
	assert.Equal(t, "http://r.example.com/Mobile/Roster/List", s.url("/Roster/List"))
	s.site = siteOf(s.base, "https://r.example.com/Mobile/Account/Login")
	assert.Equal(t, "https://r.example.com/Mobile/Roster/List", s.url("/Roster/List"))
	assert.Equal(t, "https://r.example.com/Mobile/Account/LogOff", s.url("/Account/LogOff"))
	assert.Equal(t, "http://r.example.com/Mobile", s.BaseURL(), "the configured URL is unchanged")
}
