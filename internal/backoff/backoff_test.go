package backoff

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestWait(t *testing.T) {
	s, m := time.Second, time.Minute
	for _, tc := range []struct {
		failures int
		u        float64
		want     time.Duration
	}{
		{1, 0.5, s},
		{2, 0.5, 2 * s},
		{3, 0.5, 4 * s},
		{3, 0, 3600 * time.Millisecond},
		{3, 0.999999, 4400 * time.Millisecond},
		{7, 0.5, m},  // 64 s, capped
		{60, 0.5, m}, // no overflow however many
		{0, 0.5, s},
	} {
		got := Wait(tc.failures, s, m, tc.u)
		assert.InDelta(t, tc.want, got, float64(time.Millisecond), "failures %d, u %v", tc.failures, tc.u)
	}
	assert.Equal(t, time.Millisecond, Wait(1, 0, m, 0.5), "never less than a millisecond")
}
