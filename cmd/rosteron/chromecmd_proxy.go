package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
)

// devToolsProxy serves Chrome's DevTools at target (http://127.0.0.1:PORT)
// to clients that send "Authorization: Bearer TOKEN": HTTP and the
// websocket upgrade alike, with the header removed on the way to Chrome.
// Any other request gets 401 and nothing from Chrome. Chrome answers only
// requests whose Host is an IP address or localhost, so it gets its own;
// the addresses in its /json answers are rewritten to the one the client
// reached the proxy by.
func devToolsProxy(target *url.URL, token string, logf func(format string, args ...any)) http.Handler {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target) // the Host header too
			pr.Out.Header.Del("Authorization")
			// Plain answers, for rewriteAddresses to read.
			pr.Out.Header.Del("Accept-Encoding")
			pr.Out = pr.Out.WithContext(context.WithValue(pr.Out.Context(), clientHostKey{}, pr.In.Host))
		},
		ModifyResponse: func(resp *http.Response) error {
			return rewriteAddresses(resp, target.Host)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if !errors.Is(err, context.Canceled) {
				logf("chrome: forwarding %s %s to Chrome: %v", r.Method, r.URL.Path, err)
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	return requireBearer(token, proxy)
}

type clientHostKey struct{}

// requireBearer passes on only the requests that carry token as their one
// Authorization header's bearer token. The two are compared as SHA-256
// hashes, in constant time, so that neither the token's length nor how
// much of it a guess got right shows in the time taken.
func requireBearer(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := ""
		if vals := r.Header.Values("Authorization"); len(vals) == 1 {
			scheme, cred, ok := strings.Cut(vals[0], " ")
			if ok && strings.EqualFold(scheme, "Bearer") {
				got = strings.TrimSpace(cred)
			}
		}
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 || got == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="rosteron chrome"`)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "401 Unauthorized: DevTools here needs the bearer token of rosteron chrome's --token-file\n")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// maxJSONAnswer caps the /json answers rewriteAddresses reads: a list of
// many tabs is tens of kilobytes.
const maxJSONAnswer = 8 << 20

// rewriteAddresses has the webSocketDebuggerUrl and devtoolsFrontendUrl of
// a DevTools /json answer (/json/version, /json/list, /json/new…) name the
// proxy's address as the client reached it instead of chromeHost, which
// no client can reach.
func rewriteAddresses(resp *http.Response, chromeHost string) error {
	if !strings.HasPrefix(resp.Request.URL.Path, "/json") || resp.StatusCode != http.StatusOK ||
		!strings.Contains(resp.Header.Get("Content-Type"), "json") {
		return nil
	}
	client, _ := resp.Request.Context().Value(clientHostKey{}).(string)
	if client == "" {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONAnswer+1))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("reading Chrome's answer: %w", err)
	}
	if len(body) > maxJSONAnswer {
		return fmt.Errorf("chrome's answer to %s is over %d bytes", resp.Request.URL.Path, maxJSONAnswer)
	}
	var doc any
	if json.Unmarshal(body, &doc) == nil {
		changed := false
		fix := func(v any) {
			obj, ok := v.(map[string]any)
			if !ok {
				return
			}
			for _, key := range []string{"webSocketDebuggerUrl", "devtoolsFrontendUrl", "devtoolsFrontendUrlCompat"} {
				if s, ok := obj[key].(string); ok && strings.Contains(s, chromeHost) {
					obj[key] = strings.ReplaceAll(s, chromeHost, client)
					changed = true
				}
			}
		}
		if list, ok := doc.([]any); ok {
			for _, v := range list {
				fix(v)
			}
		} else {
			fix(doc)
		}
		if changed {
			if out, err := json.MarshalIndent(doc, "", "   "); err == nil {
				body = append(out, '\n')
			}
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Header.Del("Transfer-Encoding")
	return nil
}
