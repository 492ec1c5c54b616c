package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// defaultHealthURL is serve's health endpoint at its default address.
const defaultHealthURL = "http://127.0.0.1:8765/healthz"

const healthcheckUsage = `Usage: rosteron healthcheck [flags] [URL]

Asks URL with a GET and exits 0 when it answers with a 2xx status, else 1,
printing one line either way. It is for container health checks, where
images have no curl: the rosteron image runs it as its HEALTHCHECK against
serve's /healthz, which answers 200 while it has a roster that is not
stale and its refreshes go on, and docker-compose.yml runs it against the
mock and rosteron chrome's DevTools, whose token it sends with
--token-file.

URL defaults to ` + defaultHealthURL + `, serve's health at its
default address.

Flags:
  --timeout DURATION  time limit on the request (default 5s)
  --token-file PATH   send the token in this file as "Authorization:
                      Bearer TOKEN", as rosteron chrome's DevTools requires
  -h, --help          print this help
`

func (c *cli) healthcheck(ctx context.Context, args []string) error {
	const cmd = "healthcheck"
	fs := newFlagSet(cmd)
	timeout := fs.Duration("timeout", 5*time.Second, "")
	tokenFile := fs.String("token-file", "", "")
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef(cmd, "healthcheck takes one URL (got %d arguments)", len(pos))
	}
	if *timeout <= 0 {
		return usagef(cmd, "invalid --timeout %v: want a positive duration, such as 5s", *timeout)
	}
	target := defaultHealthURL
	if len(pos) == 1 {
		target = pos[0]
	}
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef(cmd, "invalid URL %q: want an http:// or https:// address", target)
	}

	var token string
	if *tokenFile != "" {
		if token, err = readToken(*tokenFile); err != nil {
			return usagef(cmd, "invalid --token-file %q: %v", *tokenFile, err)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return usagef(cmd, "invalid URL %q: %v", target, err)
	}
	client := http.DefaultClient
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
		// No redirect: the token is for the URL given only.
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("unhealthy: %s answered %s", target, resp.Status)
	}
	fmt.Fprintf(c.stdout, "healthy: %s answered %s\n", target, resp.Status)
	return nil
}
