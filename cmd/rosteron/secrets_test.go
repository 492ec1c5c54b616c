package main

import (
	"encoding/base64"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A server that echoes the request's headers in an error page quotes the
// CalDAV password as HTTP Basic's base64: that form is scrubbed too, from
// messages and from every log told of secrets, whenever it was added.
func TestAddSecretsScrubsTheirBase64Forms(t *testing.T) {
	c := &cli{}
	var mu sync.Mutex
	var early, late []string
	c.onSecret(func(s string) { mu.Lock(); early = append(early, s); mu.Unlock() })
	const user, pw = "joe@example.org", "app-pw-SECRET"
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))

	var wg sync.WaitGroup
	for range 4 { // added from several goroutines, as serve's syncs may
		wg.Go(func() { c.addSecrets(user, pw) })
	}
	wg.Wait()
	c.onSecret(func(s string) { late = append(late, s) })

	msg := c.oneLine("CalDAV list: HTTP 500: Authorization: Basic " + basic + " pw=" + pw +
		" b64=" + base64.StdEncoding.EncodeToString([]byte(pw)))
	assert.NotContains(t, msg, basic)
	assert.NotContains(t, msg, pw)
	assert.NotContains(t, msg, base64.StdEncoding.EncodeToString([]byte(pw)))
	assert.ElementsMatch(t, early, late, "a sink added later is told what came before")
	assert.Len(t, early, 3, "each form once, however often it was added")
}
