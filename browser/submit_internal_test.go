package browser

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two main-frame redirects paused at once are handled in goroutines of
// their own: only the first may stop the navigation, which closes its
// channel, or the second closes it again and panics.
func TestANavigationIsClaimedOnce(t *testing.T) {
	t.Parallel()
	tab := &Tab{rec: newRecorder()}
	nav := tab.arm()
	require.Same(t, nav, tab.claim(0))
	assert.Nil(t, tab.claim(0), "a redirect paused while the first is being handled")
	assert.Nil(t, tab.claim(1), "a later redirect")
}
