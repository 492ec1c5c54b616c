package browser

// ProfileOf is the profile folder of a launched browser, for the test that
// checks nothing is written there.
func ProfileOf(b *Browser) string { return b.profile }

// WithEnvForTest is withEnv: the whole environment of a launched Chrome.
var WithEnvForTest = withEnv

// ReadyTabsOf returns the tabs b has made ahead, leaving them ready.
func ReadyTabsOf(b *Browser) []*Tab {
	b.readyMu.Lock()
	defer b.readyMu.Unlock()
	var tabs []*Tab
	for {
		select {
		case t := <-b.ready:
			tabs = append(tabs, t)
			continue
		default:
		}
		break
	}
	for _, t := range tabs {
		b.ready <- t
	}
	return tabs
}

// ClosedByCaller reports whether t was closed by a call of its Close.
func ClosedByCaller(t *Tab) bool { return t.closed.Load() }

// StaleContext makes t believe its page's JavaScript context is one that
// no longer exists, as it does for a moment when the page changes and the
// event saying so has not arrived yet.
func StaleContext(t *Tab) {
	t.rec.mu.Lock()
	t.rec.context = "-1234567890.-987654321"
	t.rec.mu.Unlock()
}
