package store

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRedacted(t *testing.T) {
	secrets := []string{"Tok-Ab1Cd2", "Man-Ef3Gh4", "Dav-Pw-Ij5Kl6", "dav.secret.example", "Hook-Pw-Mn7Op8", "Topic-Qr9St0"}
	sec := Secrets{Token: secrets[0], Manage: secrets[1]}
	dav := CalDAV{URL: "https://user:x@dav.secret.example/", Username: "nurse", Password: secrets[2], Calendar: "roster"}
	st := Settings{Notify: []string{"json+https://u:" + secrets[4] + "@hook.example", "https://ntfy.sh/" + secrets[5]},
		CalendarName: "Work", Remind: []time.Duration{time.Hour}, CalDAV: &dav}
	type holder struct {
		S  Secrets
		P  *Secrets
		St *Settings
		V  Settings
		C  CalDAV
	}
	h := holder{S: sec, P: &sec, St: &st, V: st, C: dav}
	var out strings.Builder
	for _, v := range []any{sec, &sec, st, &st, dav, &dav, h, &h} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
	}
	var logged bytes.Buffer
	for _, hd := range []slog.Handler{slog.NewTextHandler(&logged, nil), slog.NewJSONHandler(&logged, nil)} {
		slog.New(hd).Info("x", "secrets", sec, "settings", st, "caldav", dav, "psettings", &st, "psecrets", &sec)
	}
	all := out.String() + logged.String()
	for _, s := range secrets {
		assert.NotContains(t, all, s)
	}
	assert.Contains(t, all, "[secrets]")
	assert.Contains(t, all, "notify: 2 targets")
	// The fields themselves are whole.
	assert.Equal(t, secrets[2], st.CalDAV.Password)
}
