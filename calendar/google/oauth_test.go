package google_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/rosteron/rosteron/calendar/google"
	"github.com/rosteron/rosteron/calendar/google/googletest"
)

// recorder is a server on loopback that keeps every request it gets,
// headers and body: the "elsewhere" a redirect points to.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.seen = append(r.seen, req.Method+" "+req.URL.String()+" "+req.Header.Get("Authorization")+" "+string(body))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"items":[],"access_token":"ya29.stolen","token_type":"Bearer","expires_in":3600}`)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

// redirector answers every request with status to elsewhere.
func redirector(t *testing.T, status int, elsewhere string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, elsewhere+req.URL.Path, status)
	}))
	t.Cleanup(s.Close)
	return s
}

// An API answering with a redirect gets the access token; where it
// points gets nothing, and the error says which step met it.
func TestAPIRedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	other := newRecorder(t)
	api := redirector(t, http.StatusFound, other.URL)
	cfg, err := google.ParseClient(fake.ClientFile())
	require.NoError(t, err)
	base := &http.Client{Timeout: time.Minute}
	var saved []*oauth2.Token
	client, err := google.Client(context.Background(), cfg, &oauth2.Token{RefreshToken: fake.RefreshToken()}, api.URL+"/calendar/v3", base,
		func(t *oauth2.Token) { saved = append(saved, t) })
	require.NoError(t, err)
	assert.Nil(t, base.CheckRedirect, "the client given is not changed")

	_, err = google.Open(context.Background(), google.Config{Client: client, Endpoint: api.URL + "/calendar/v3", Calendar: "Roster", Location: mel})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "finding the calendar: HTTP 302")
	assert.Contains(t, err.Error(), "redirect")
	assert.Empty(t, other.requests(), "the redirect's target got nothing")
	require.Len(t, saved, 1)
	assert.NotContains(t, err.Error(), saved[0].AccessToken)
}

// The access token goes to the API's scheme and host only.
func TestAccessTokenOnlyToTheAPI(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	other := newRecorder(t)
	cfg, err := google.ParseClient(fake.ClientFile())
	require.NoError(t, err)
	client, err := google.Client(context.Background(), cfg, &oauth2.Token{RefreshToken: fake.RefreshToken()}, fake.Endpoint(), nil, nil)
	require.NoError(t, err)
	resp, err := client.Get(other.URL + "/calendar/v3/users/me/calendarList")
	require.NoError(t, err)
	resp.Body.Close()
	require.Len(t, other.requests(), 1)
	assert.NotContains(t, other.requests()[0], "Bearer", "no token to another host")
	assert.Zero(t, fake.TokenRequests(), "nor a refresh for it")

	_, err = google.Client(context.Background(), cfg, &oauth2.Token{RefreshToken: "r"}, "ftp://x", nil, nil)
	assert.Error(t, err)
}

// A token endpoint answering with a redirect gets the refresh token and
// client secret; where it points gets nothing.
func TestTokenRedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	other := newRecorder(t)
	tokens := redirector(t, http.StatusTemporaryRedirect, other.URL)
	cfg, err := google.ParseClient(fake.ClientFile())
	require.NoError(t, err)
	cfg.Endpoint.TokenURL = tokens.URL + "/token"
	refresh := fake.RefreshToken()
	client, err := google.Client(context.Background(), cfg, &oauth2.Token{RefreshToken: refresh}, fake.Endpoint(), nil, nil)
	require.NoError(t, err)

	_, err = google.Open(context.Background(), google.Config{Client: client, Endpoint: fake.Endpoint(), Calendar: "Roster", Location: mel})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refreshing the access token")
	assert.Contains(t, err.Error(), "HTTP 307")
	assert.Contains(t, err.Error(), "redirect")
	assert.Empty(t, other.requests(), "the redirect's target got nothing")
	assert.NotContains(t, err.Error(), refresh)
	assert.NotContains(t, err.Error(), googletest.ClientSecret)
	assert.Empty(t, fake.Requests(), "nor the API, without a token")
}

func TestNoRedirects(t *testing.T) {
	t.Parallel()
	base := &http.Client{Timeout: time.Minute}
	c := google.NoRedirects(base)
	assert.Nil(t, base.CheckRedirect)
	assert.Equal(t, time.Minute, c.Timeout)
	other := newRecorder(t)
	r := redirector(t, http.StatusFound, other.URL)
	resp, err := c.Get(r.URL + "/x")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Empty(t, other.requests())
	assert.True(t, strings.HasPrefix(resp.Header.Get("Location"), other.URL))
	assert.NotNil(t, google.NoRedirects(nil).CheckRedirect)
}
