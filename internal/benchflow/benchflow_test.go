package benchflow_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rosteron/rosteron/internal/benchflow"
)

// Run makes every call, never more than Parallel at once, and reports a
// failed call without stopping the others.
func TestRunMakesEveryCallParallelAtOnce(t *testing.T) {
	t.Parallel()
	var calls, now, most atomic.Int32
	var mu sync.Mutex
	failure := errors.New("call 3 failed")
	_, err := benchflow.Run(20, func() error {
		n := calls.Add(1)
		cur := now.Add(1)
		defer now.Add(-1)
		mu.Lock()
		most.Store(max(most.Load(), cur))
		mu.Unlock()
		if n == 3 {
			return failure
		}
		return nil
	})
	assert.ErrorIs(t, err, failure)
	assert.Equal(t, int32(20), calls.Load())
	assert.LessOrEqual(t, most.Load(), int32(benchflow.Parallel))
}
