package session

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/oneline"
)

// SaveLogs writes one file per recorded request/response exchange into dir
// (created 0700 if missing), in python-rosteron's format:
//
//	<yyyymmddThhmmss.ffffff>Z-<purpose>-<n>.txt
//
// named for the UTC time the step's first request started, n counting the
// step's exchanges from 0, redirects included. Each file holds the request
// time (2019-06-10 04:28:37.160169+00:00), the method and URL, the status
// and reason, a blank line, the response headers, a blank line and the body.
//
// Unlike the original, cookie values in Cookie and Set-Cookie headers and
// the anti-forgery token in bodies are replaced by [REDACTED], request
// bodies (which hold the password) are never written, and files are 0600.
// An exchange that got no response shows status 0 and the browser's error.
func (s *Session) SaveLogs(dir string) error {
	s.mu.Lock()
	ops := append([]operation(nil), s.ops...)
	s.mu.Unlock()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving logs: %w", err)
	}
	for _, op := range ops {
		for n, x := range op.exchanges {
			name := fmt.Sprintf("%sZ-%s-%d.txt", stamp(op.start), op.purpose, n)
			if err := writePrivate(dir, name, formatExchange(x)); err != nil {
				return fmt.Errorf("saving logs: %w", err)
			}
		}
	}
	return nil
}

// LogNames returns the names SaveLogs would write, in order.
func (s *Session) LogNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for _, op := range s.ops {
		for n := range op.exchanges {
			names = append(names, fmt.Sprintf("%sZ-%s-%d.txt", stamp(op.start), op.purpose, n))
		}
	}
	return names
}

func stamp(t time.Time) string {
	return t.UTC().Format("20060102T150405.000000")
}

// pyTime formats t as Python's str() of an aware UTC datetime does:
// microseconds only when there are any.
func pyTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02 15:04:05") + "+00:00"
	}
	return t.Format("2006-01-02 15:04:05.000000") + "+00:00"
}

func formatExchange(x browser.Exchange) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n%s %s\n", pyTime(x.Start), x.Method, x.URL)
	if x.Status == 0 {
		fmt.Fprintf(&b, "0 %s\n", x.Error)
	} else {
		fmt.Fprintf(&b, "%d %s\n", x.Status, x.StatusText)
	}
	b.WriteString("\n")
	for _, h := range x.Header {
		fmt.Fprintf(&b, "%s: %s\n", h.Name, redactHeader(h.Name, h.Value))
	}
	b.WriteString("\n")
	b.Write(redactBody(x.Body))
	return b.Bytes()
}

// redactHeader keeps cookie names and attributes, which help debugging,
// and replaces cookie values, which are session secrets.
func redactHeader(name, value string) string {
	switch strings.ToLower(name) {
	case "set-cookie":
		// name=value; Path=/; HttpOnly: only the first pair is the cookie.
		pair, attrs, hasAttrs := strings.Cut(value, ";")
		out := redactPair(pair)
		if hasAttrs {
			out += ";" + attrs
		}
		return out
	case "cookie":
		pairs := strings.Split(value, ";")
		for i, p := range pairs {
			pairs[i] = redactPair(p)
		}
		return strings.Join(pairs, ";")
	}
	return value
}

func redactPair(p string) string {
	name, _, ok := strings.Cut(p, "=")
	if !ok {
		return p
	}
	return name + "=" + oneline.Redacted
}

var (
	tokenInput = regexp.MustCompile(`(?is)<input\b[^>]*__RequestVerificationToken[^>]*>`)
	valueAttr  = regexp.MustCompile(`(?is)(\bvalue\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)`)
)

// redactBody replaces the value of the anti-forgery token's hidden input,
// which pairs with its cookie.
func redactBody(body []byte) []byte {
	return tokenInput.ReplaceAllFunc(body, func(tag []byte) []byte {
		return valueAttr.ReplaceAll(tag, []byte(`${1}"`+oneline.Redacted+`"`))
	})
}

// writePrivate writes a file readable by its owner only, tightening the
// mode of a file that was already there.
func writePrivate(dir, name string, data []byte) error {
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
