package main

import (
	"bytes"
	"io"
)

// maxChromeLine bounds a line of Chrome's log held back until its end: a
// longer one goes on in pieces.
const maxChromeLine = 64 << 10

// chromeLog is the Chrome that `rosteron chrome` runs's standard error, set
// as its exec.Cmd's Stderr, so that Wait returns only once everything
// Chrome wrote has been copied: its last lines, such as why it crashed,
// are not lost. Each line goes on to out, as a container's log, but for
// the "DevTools listening" lines: the port of the first goes to port, and
// none goes on, since Chrome's own DevTools address takes no token. exec
// calls Write from one goroutine; flush is for after Wait.
type chromeLog struct {
	out  io.Writer
	port chan string // buffered: gets the first port only
	line []byte      // the start of a line not ended yet
}

func newChromeLog(out io.Writer) *chromeLog {
	return &chromeLog{out: out, port: make(chan string, 1)}
}

// Write never fails, so that Chrome's output is read to its end whatever
// becomes of out.
func (l *chromeLog) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			room := maxChromeLine - len(l.line)
			if len(p) < room {
				l.line = append(l.line, p...)
				break
			}
			l.line = append(l.line, p[:room]...)
			l.flush()
			p = p[room:]
			continue
		}
		l.line = append(l.line, p[:i+1]...)
		l.flush()
		p = p[i+1:]
	}
	return n, nil
}

// flush passes on the line held, ending it with a line break if Chrome
// did not.
func (l *chromeLog) flush() {
	if len(l.line) == 0 {
		return
	}
	if m := devToolsLine.FindSubmatch(l.line); m != nil {
		select {
		case l.port <- string(m[1]):
		default:
		}
	}
	if bytes.Contains(l.line, []byte("DevTools listening on")) {
		l.line = l.line[:0]
		return
	}
	if l.line[len(l.line)-1] != '\n' {
		l.line = append(l.line, '\n')
	}
	_, _ = l.out.Write(l.line)
	l.line = l.line[:0]
}
