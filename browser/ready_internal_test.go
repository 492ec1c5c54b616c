package browser

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewTabHandsOutTabsMadeAhead(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := Launch(ctx, WithReadyTabs(2))
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); errors.Is(err, ErrNoChrome) && !ci {
		t.Skipf("no Chrome on this machine (set CI=true to make this a failure): %v", err)
	}
	require.NoError(t, err)
	defer b.Close()

	assert.Empty(t, b.ready, "nothing is made before the first tab is asked for")
	first, err := b.NewTab(ctx)
	require.NoError(t, err)
	defer first.Close()
	require.Eventually(t, func() bool { return len(b.ready) == 2 }, 30*time.Second, 10*time.Millisecond, "two tabs made ahead")
	made := map[*Tab]bool{}
	for range 2 {
		tab := <-b.ready
		made[tab] = true
		b.ready <- tab
	}
	second, err := b.NewTab(ctx)
	require.NoError(t, err)
	defer second.Close()
	assert.True(t, made[second], "the tab handed out is one made ahead")
	assert.NotSame(t, first, second)

	require.NoError(t, b.Close())
	b.readyMu.Lock()
	defer b.readyMu.Unlock()
	assert.True(t, b.readyClosed)
	assert.Empty(t, b.ready, "closing the browser closes the tabs made ahead")
}
