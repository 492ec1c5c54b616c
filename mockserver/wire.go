package mockserver

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// The faults here act on the connection rather than on the page: they take
// it over from net/http (Hijack) to do what no well-behaved handler can.
// Where a connection cannot be taken over (HTTP/2, or a ResponseWriter
// wrapper that hides it), they abort the request with http.ErrAbortHandler,
// which net/http turns into a dropped connection or a reset stream.

// msgServerError is the message of FaultServerError's page: a failure deep
// in the application, unrelated to what was asked.
const msgServerError = "Timeout expired. The timeout period elapsed prior to obtaining a connection from the pool."

// writeDeadline bounds writes on a taken-over connection, so that a client
// that stops reading cannot hold a handler.
const writeDeadline = 10 * time.Second

// hang holds the request until its client goes away or the server is
// closed, then drops the connection without a word.
func (s *Server) hang(w http.ResponseWriter, r *http.Request) {
	s.hanging.Add(1)
	defer s.hanging.Add(-1)
	// net/http notices a client going away (and cancels the request's
	// context) only once the request body has been read.
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-s.done:
	}
	drop(w)
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// reset closes the connection with a TCP RST instead of an answer.
func reset(w http.ResponseWriter, r *http.Request) {
	// Reading the (small) body first means the client is waiting for the
	// answer, not writing, when the reset comes: it reads ECONNRESET.
	_, _ = io.Copy(io.Discard, r.Body)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := tcpConn(conn); ok {
		_ = tc.SetLinger(0) // close sends RST, not FIN
		_ = tc.Close()
		return
	}
	_ = conn.Close()
}

// tcpConn finds the TCP connection under conn, which may be TLS.
func tcpConn(conn net.Conn) (*net.TCPConn, bool) {
	for range 4 {
		if tc, ok := conn.(*net.TCPConn); ok {
			return tc, true
		}
		u, ok := conn.(interface{ NetConn() net.Conn })
		if !ok {
			return nil, false
		}
		conn = u.NetConn()
	}
	return nil, false
}

// writeTruncated sends resp's status and headers, with the whole body's
// Content-Length, then half the body, and closes the connection.
func (s *Server) writeTruncated(w http.ResponseWriter, r *http.Request, resp *response) {
	h := http.Header{}
	s.fillHeader(h, resp)
	declared := len(resp.body)
	if declared == 0 {
		declared = 1 // there must be something missing
		h.Set("Content-Length", "1")
	}
	sent := resp.body[:len(resp.body)/2]
	if r.Method == http.MethodHead {
		sent = nil
	}
	_, _ = io.Copy(io.Discard, r.Body)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		wh := w.Header()
		for k, v := range h {
			wh[k] = v
		}
		w.WriteHeader(resp.status)
		_, _ = w.Write(sent)
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	h.Set("Connection", "close")
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %03d %s\r\n", resp.status, http.StatusText(resp.status))
	_ = h.Write(&b)
	b.WriteString("\r\n")
	b.Write(sent)
	_ = conn.SetWriteDeadline(time.Now().Add(writeDeadline))
	_, _ = conn.Write(b.Bytes())
}

// redirectLoop sends the request back where it came from.
func redirectLoop(r *http.Request) *response {
	status := http.StatusFound
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		status = http.StatusTemporaryRedirect // keeps the method and body
	}
	return redirect(status, r.URL.RequestURI())
}

// unavailable is the web server's own 503 page, sent when the application
// behind it is not running.
func unavailable() *response {
	var b bytes.Buffer
	if err := execute(&b, "unavailable", nil); err != nil {
		b.Reset()
		b.WriteString("503 Service Unavailable\n")
	}
	resp := page(http.StatusServiceUnavailable, b.Bytes())
	resp.header.Set("Cache-Control", "no-cache")
	return resp
}
