package oneline

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		msg     string
		secrets []string
		want    string
	}{
		{"plain", nil, "plain"},
		{"  line one\nline\ttwo\r\n", nil, "line one line two"},
		{"bell\x07 and escape\x1b[31m", nil, "bell\ufffd and escape\ufffd[31m"},
		{"password hunter2 in hunter2", []string{"hunter2"}, "password [REDACTED] in [REDACTED]"},
		{"nothing to hide", []string{""}, "nothing to hide"},
		{"tok abc and pw xyz", []string{"abc", "xyz"}, "tok [REDACTED] and pw [REDACTED]"},
	} {
		assert.Equal(t, tc.want, Clean(tc.msg, tc.secrets...), tc.msg)
	}
}
