package service

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/rosteron/rosteron/internal/oneline"
)

// lineWriter writes each Write to Config.Log whole, one at a time: every
// account's goroutines log through it.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.w.Write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (l *lineWriter) printf(format string, args ...any) {
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	_, _ = l.Write([]byte(oneline.Text(msg) + "\n"))
}

// prefixWriter puts prefix before each Write (the job engine's lines).
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix+string(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// accountLog is an account's log: its lines name the account ("[#12
// alice@host] "), after the "rosteron serve: " they start with, and never
// hold its secrets.
type accountLog struct {
	w       *lineWriter
	prefix  string
	secrets []string
}

const servePrefix = "rosteron serve: "

func (a *accountLog) Write(p []byte) (int, error) {
	text := oneline.Redact(string(p), a.secrets...)
	var b strings.Builder
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(line, servePrefix)
		b.WriteString(servePrefix)
		b.WriteString(a.prefix)
		if ok {
			b.WriteString(rest)
		} else {
			b.WriteString(line)
		}
	}
	out := b.String()
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	if _, err := a.w.Write([]byte(out)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (a *accountLog) printf(format string, args ...any) {
	_, _ = a.Write([]byte(oneline.Text(fmt.Sprintf(format, args...)) + "\n"))
}
