// Package join serves the self-service pages of a multi-account rosteron
// serve: /join, where a colleague signs up with their RosterOn username and
// password and gets their page's address once, and /manage/, where they
// manage their account with a second secret that is never in a feed
// address.
package join

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"net/url"

	"github.com/rosteron/rosteron/store"
)

// Service is what the pages tell of a change to an account, so that it is
// refreshed, served or stopped at once: *service.Service has these
// methods.
type Service interface {
	Reload(ctx context.Context, id store.ID) error
	Remove(id store.ID)
}

// CheckFunc tries one login with the credentials, to check them before an
// account is saved or its password replaced. Its errors are the session's
// (session.ErrCredentials for a rejected password).
type CheckFunc func(ctx context.Context, instance, username, password string) error

// Config is the pages' configuration.
type Config struct {
	Store   store.Store
	Service Service
	Check   CheckFunc
	// Instances are the RosterOn instances people may join with,
	// normalized (session.NormalizeURL); at least one.
	Instances []string
	// Code, when set, is the invite code the join form asks for.
	Code string
	// PublicURL is where people reach the service: an https address,
	// unless it is loopback.
	PublicURL *url.URL
	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Log gets a line per join, change and refusal; never a password or a
	// secret.
	Log io.Writer
}

// New returns the handler of /join and /manage/.
func New(cfg Config) (http.Handler, error) {
	return nil, errors.New("join: not built yet")
}
