package main

import (
	"net/url"
	"strings"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/netguard"
)

// allowHTTPUsage documents --allow-http in the commands' help texts.
const allowHTTPUsage = `  --allow-http        accept a plain http:// RosterOn URL or ws:// --browser
                      address to a host that is not this machine, with a
                      warning: the password then crosses the network in
                      clear (default $ROSTERON_ALLOW_HTTP=1; for test
                      set-ups on a private network only)
`

// resolveAllowHTTP sets f.allowHTTP from --allow-http, else
// $ROSTERON_ALLOW_HTTP (1, true or yes; 0, false, no or empty).
func (f *sessionFlags) resolveAllowHTTP(c *cli, cmd string) error {
	if f.allowHTTP {
		return nil
	}
	v := c.getenv("ROSTERON_ALLOW_HTTP")
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no":
		return nil
	case "1", "true", "yes":
		f.allowHTTP = true
		return nil
	}
	return usagef(cmd, "invalid ROSTERON_ALLOW_HTTP %q: want 1 or 0", v)
}

// checkRosterURL refuses a plain http:// RosterOn URL to a host that is
// not loopback, before any connection and before the password is asked
// for, unless --allow-http lets it through with a warning. raw has passed
// session.NormalizeURL.
func (f *sessionFlags) checkRosterURL(c *cli, cmd, raw string) error {
	if err := f.resolveAllowHTTP(c, cmd); err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil // session.NormalizeURL has said so already
	}
	if err := netguard.CheckURL(u, "the RosterOn URL"); err != nil {
		if !f.allowHTTP {
			return usagef(cmd, "%v: use its https:// address, or give --allow-http (or set ROSTERON_ALLOW_HTTP=1) "+
				"to send it in clear all the same", err)
		}
		c.errorf("warning: --allow-http: %v", err)
	}
	return nil
}

// checkBrowserURL refuses a plain ws:// or http:// --browser address to a
// host that is not loopback, unless --allow-http lets it through with a
// warning: the password typed into that Chrome's page crosses the network
// in DevTools messages, in clear.
func (f *sessionFlags) checkBrowserURL(c *cli, cmd, remote string) error {
	if err := f.resolveAllowHTTP(c, cmd); err != nil {
		return err
	}
	u, err := url.Parse(remote)
	if err != nil {
		return usagef(cmd, "invalid --browser: not a URL")
	}
	if err := netguard.CheckURL(u, "--browser (or ROSTERON_BROWSER)"); err != nil {
		if !f.allowHTTP {
			return usagef(cmd, "%v: use a wss:// address (DevTools behind TLS), a Chrome on this machine, "+
				"or give --allow-http (or set ROSTERON_ALLOW_HTTP=1) to send it in clear all the same", err)
		}
		c.errorf("warning: --allow-http: %v", err)
	}
	return nil
}

// warnPlainNotify warns, once per target, of a plain http:// notify URL
// to a host that is not loopback whose credentials (user:password@, a
// query, or a path such as an ntfy topic, which is its only password)
// would cross the network in clear. It is no error: an alert says only
// that the roster changed. The warning names the host, never the
// credentials.
func warnPlainNotify(c *cli, where, spec string) {
	u, err := url.Parse(strings.TrimPrefix(strings.TrimSpace(spec), feed.JSONPrefix))
	if err != nil || !netguard.Plaintext(u.Scheme) || netguard.IsLoopback(u.Hostname()) {
		return
	}
	if u.User == nil && u.RawQuery == "" && strings.Trim(u.Path, "/") == "" {
		return
	}
	c.errorf("warning: %s is http://%s: its credentials (user, query or topic) cross the network in clear "+
		"with every alert; use https:// if the server has it", where, u.Host)
}

// warnRootSandbox says, when rosteron runs as root and is to start Chrome
// with its sandbox, that it will not get one: chromedp adds --no-sandbox
// for root on its own, since Chrome refuses to start sandboxed as root.
func (c *cli) warnRootSandbox() {
	if c.geteuid() != 0 {
		return
	}
	c.errorf("warning: running as root, so Chrome starts without its sandbox (Chrome refuses one to root): " +
		"a web page that broke into Chrome would have the whole machine; run rosteron as another user")
}
