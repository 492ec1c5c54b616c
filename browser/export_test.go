package browser

// ProfileOf is the profile folder of a launched browser, for the test that
// checks nothing is written there.
func ProfileOf(b *Browser) string { return b.profile }

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
