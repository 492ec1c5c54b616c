package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/oauth2"

	"github.com/rosteron/rosteron/calendar"
)

// Scope is the OAuth scope rosteron asks for: secondary calendars that
// it creates, and their events, and nothing else of the account. Google's
// reference lists it among the scopes of calendars.insert and
// calendarList.get, and describes it as "make secondary Google
// calendars, and see, create, change, and delete events on them"; a
// calendar the person made by hand is not the app's, so rosteron makes
// its own.
const Scope = "https://www.googleapis.com/auth/calendar.app.created"

// Google's OAuth endpoints, used when the client file names none.
const (
	DefaultAuthURL  = "https://accounts.google.com/o/oauth2/auth"
	DefaultTokenURL = "https://oauth2.googleapis.com/token"
)

// testingAdvice says why a refresh token stops working after a week.
const testingAdvice = "an OAuth app whose consent screen is left in \"Testing\" gets refresh tokens that expire after 7 days: publish it to \"In production\", then run rosteron google-auth again"

// ParseClient reads the OAuth client file people download from Google
// Cloud (APIs & Services > Credentials > OAuth client ID > Desktop app >
// Download JSON): {"installed": {"client_id": …, "client_secret": …,
// "auth_uri": …, "token_uri": …}}. A "web" client is read too. The
// endpoints it names must be https, or http to a loopback address.
func ParseClient(data []byte) (*oauth2.Config, error) {
	var f struct {
		Installed *clientSecrets `json:"installed"`
		Web       *clientSecrets `json:"web"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, errors.New("not an OAuth client file from Google Cloud (it is not JSON)")
	}
	s := f.Installed
	if s == nil {
		s = f.Web
	}
	if s == nil {
		return nil, errors.New(`not an OAuth client file from Google Cloud: no "installed" client (create one of type "Desktop app")`)
	}
	if s.ClientID == "" {
		return nil, errors.New("the OAuth client file has no client_id")
	}
	cfg := &oauth2.Config{
		ClientID:     s.ClientID,
		ClientSecret: s.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: s.AuthURI, TokenURL: s.TokenURI, AuthStyle: oauth2.AuthStyleInParams},
		Scopes:       []string{Scope},
	}
	if cfg.Endpoint.AuthURL == "" {
		cfg.Endpoint.AuthURL = DefaultAuthURL
	}
	if cfg.Endpoint.TokenURL == "" {
		cfg.Endpoint.TokenURL = DefaultTokenURL
	}
	for _, u := range []string{cfg.Endpoint.AuthURL, cfg.Endpoint.TokenURL} {
		if err := CheckURL(u); err != nil {
			if pu, perr := url.Parse(u); perr == nil {
				u = pu.Redacted() // no password in a message
			}
			return nil, fmt.Errorf("the OAuth client file's endpoint %q: %v", u, err)
		}
	}
	return cfg, nil
}

type clientSecrets struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	AuthURI      string `json:"auth_uri"`
	TokenURI     string `json:"token_uri"`
}

// CheckURL accepts an https URL, or an http one to a loopback address:
// tokens and secrets are sent there.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return errors.New("not an absolute URL")
	}
	if u.User != nil {
		return errors.New("a user name or password in the address would be sent with every request: leave it out")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			return nil
		}
		return errors.New("plain http to a host that is not loopback would send tokens in clear")
	}
	return errors.New("want an https:// address")
}

// ParseToken reads a token file that rosteron google-auth wrote: the
// JSON of an oauth2.Token. It must hold a refresh token.
func ParseToken(data []byte) (*oauth2.Token, error) {
	var t oauth2.Token
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, errors.New("not a token file written by rosteron google-auth (it is not JSON)")
	}
	if t.RefreshToken == "" {
		return nil, errors.New("the token file has no refresh token: run rosteron google-auth again")
	}
	return &t, nil
}

// transportError turns a failed request (no answer, or a token that could
// not be refreshed) into an error.
func transportError(step string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return refreshError(step, re)
	}
	return &Error{Step: step, Err: err}
}

// refreshError is a refused token refresh. Secrets never appear: the
// error's body is Google's JSON error, of which only the code and the
// description are quoted.
func refreshError(step string, re *oauth2.RetrieveError) error {
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	desc := clean(re.ErrorDescription)
	switch re.ErrorCode {
	case "invalid_grant":
		return &calendar.AuthError{Service: Service, Status: status,
			Reason: "the refresh token was revoked or has expired (" + orWords(desc, "invalid_grant") + "); " + testingAdvice}
	case "invalid_client", "unauthorized_client":
		return &calendar.AuthError{Service: Service, Status: status,
			Reason: "the OAuth client was refused (" + orWords(desc, re.ErrorCode) + "): check --google-client, which must be the client the token was made with"}
	}
	if status >= 300 && status < 400 {
		return &Error{Step: step + " (refreshing the access token)", Status: status,
			Message: "the token endpoint answered with a redirect, which rosteron does not follow, so as not to send the client secret and tokens elsewhere: the client file's token_uri must be the token endpoint itself"}
	}
	e := &Error{Step: step + " (refreshing the access token)", Status: status, Reason: re.ErrorCode, Message: desc}
	if status == 0 {
		e.Message = "the token endpoint's answer could not be read"
	}
	if status == http.StatusUnauthorized || status == http.StatusBadRequest {
		return &calendar.AuthError{Service: Service, Status: status,
			Reason: "the token endpoint refused to refresh the access token (" + orWords(desc, re.ErrorCode) + "): run rosteron google-auth again"}
	}
	return e
}

// NoRedirects returns a copy of base (of an empty client when nil) that
// follows no redirect: a 3xx is returned as the answer. Every client
// rosteron sends a token or the client secret with is one, so that an
// answer sending it elsewhere (another host, or plain http) gets
// nothing. base itself is left as it is.
func NoRedirects(base *http.Client) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// Client returns an HTTP client authorised by tok, refreshing it with cfg
// when it expires, whose requests go through base (http.DefaultClient
// when nil, never changed). The access token is sent only to endpoint's
// scheme and host (DefaultEndpoint's when ""), and neither the token nor
// the refresh (with the client secret) follows a redirect. An access
// token that Google refuses (401) before its time is refreshed once and
// the request sent again, so that a revoked grant is told as such rather
// than as a bad access token. saved, if not nil, is called with each new
// token, so that a caller can write it back.
func Client(ctx context.Context, cfg *oauth2.Config, tok *oauth2.Token, endpoint string, base *http.Client, saved func(*oauth2.Token)) (*http.Client, error) {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: %s: invalid endpoint %q", calendar.ErrCalendar, Service, endpoint)
	}
	if base == nil {
		base = http.DefaultClient
	}
	hc := NoRedirects(base)
	// A refresh outlives the request that needed it: the token source
	// keeps the context it is made with.
	ctx = context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, hc)
	t := *tok
	src := &tokenSource{ctx: ctx, cfg: cfg, tok: &t, saved: saved}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	out := NoRedirects(base)
	out.Transport = &authTransport{src: src, base: rt, scheme: u.Scheme, host: strings.ToLower(u.Host)}
	return out, nil
}

// tokenSource hands out the current access token, refreshed when it has
// expired or was refused.
type tokenSource struct {
	ctx   context.Context
	cfg   *oauth2.Config
	saved func(*oauth2.Token)

	mu  sync.Mutex
	tok *oauth2.Token
}

func (s *tokenSource) token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.Valid() {
		return s.tok, nil
	}
	// cfg.TokenSource refreshes a token that is not valid, and keeps the
	// refresh token when Google sends no new one.
	t, err := s.cfg.TokenSource(s.ctx, &oauth2.Token{RefreshToken: s.tok.RefreshToken}).Token()
	if err != nil {
		return nil, err
	}
	s.tok = t
	if s.saved != nil {
		// Under the lock, so that tokens are saved in order.
		s.saved(t)
	}
	return t, nil
}

// refused forgets access, which Google refused, unless it was refreshed
// meanwhile.
func (s *tokenSource) refused(access string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.AccessToken == access {
		s.tok = &oauth2.Token{RefreshToken: s.tok.RefreshToken}
	}
}

type authTransport struct {
	src  *tokenSource
	base http.RoundTripper
	// scheme and host are the API endpoint's: the only place the access
	// token goes.
	scheme, host string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.GetBody != nil {
		// Sent as fresh copies from GetBody, never itself.
		defer req.Body.Close()
	}
	if req.URL.Scheme != t.scheme || strings.ToLower(req.URL.Host) != t.host {
		// Not the API: sent as it is, without the token.
		return t.send(req, nil)
	}
	tok, err := t.src.token()
	if err != nil {
		return nil, err
	}
	resp, err := t.send(req, tok)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || (req.Body != nil && req.GetBody == nil) {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	t.src.refused(tok.AccessToken)
	if tok, err = t.src.token(); err != nil {
		return nil, err
	}
	return t.send(req, tok)
}

// send sends a copy of req with tok (none when nil), the body afresh.
func (t *authTransport) send(req *http.Request, tok *oauth2.Token) (*http.Response, error) {
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	if tok != nil {
		tok.SetAuthHeader(r)
	}
	return t.base.RoundTrip(r)
}

// OAuthError describes a failed token exchange or refresh (say, from
// oauth2.Config.Exchange) as the calendar's error: a refused grant or
// client is a *calendar.AuthError.
func OAuthError(step string, err error) error { return transportError(step, err) }
