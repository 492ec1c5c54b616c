package browser

import (
	"context"
	"fmt"
	"time"
)

// WithReadyTabs makes the browser keep n fresh tabs made ahead, each in a
// new browser context of its own, so that NewTab hands one out at once
// instead of creating a browser context, a target and a renderer while
// its caller waits. Each tab is handed out once and closed with its
// context like any other: tabs share nothing, as without the option. It
// suits a browser shared by many sessions; the first NewTab call starts
// the making, so a browser that never opens a tab makes none. n <= 0, the
// default, makes none.
func WithReadyTabs(n int) Option { return func(c *config) { c.readyTabs = n } }

// readyTabTimeout bounds making a tab ahead of time.
const readyTabTimeout = time.Minute

// readyTab returns a tab made ahead of time when there is one, and else
// makes one now; either way it asks for the ready tabs to be made up.
func (b *Browser) readyTab(ctx context.Context) (*Tab, error) {
	if b.closed.Load() {
		return nil, fmt.Errorf("the browser is closed: %w", ErrTabGone)
	}
	if b.ready == nil {
		return b.openTab(ctx)
	}
	defer b.refill()
	for {
		select {
		case t := <-b.ready:
			if t.Alive() {
				return t, nil
			}
			_ = t.Close()
			continue
		default:
		}
		return b.openTab(ctx)
	}
}

// refill starts making as many tabs as are missing from the ready ones.
func (b *Browser) refill() {
	b.readyMu.Lock()
	defer b.readyMu.Unlock()
	for !b.readyClosed && b.making+len(b.ready) < cap(b.ready) && b.ctx.Err() == nil {
		b.making++
		go b.makeReady()
	}
}

func (b *Browser) makeReady() {
	ctx, cancel := context.WithTimeout(b.ctx, readyTabTimeout)
	t, err := b.openTab(ctx)
	cancel()
	b.readyMu.Lock()
	b.making--
	if err != nil {
		// The browser is gone or too busy; NewTab makes its own.
		b.readyMu.Unlock()
		return
	}
	if !b.readyClosed {
		select {
		case b.ready <- t:
			b.readyMu.Unlock()
			return
		default:
		}
	}
	b.readyMu.Unlock()
	_ = t.Close()
}

// closeReady stops making tabs ahead and lets go of those made. A
// launched Chrome's are left to die with it: its process group is killed
// next, and closing each (its target and browser context, one DevTools
// round trip after another) would only delay that. Those of a remote or
// adopted browser, which goes on running, are closed.
func (b *Browser) closeReady() {
	if b.ready == nil {
		return
	}
	b.readyMu.Lock()
	b.readyClosed = true
	b.readyMu.Unlock()
	launched := b.profile != ""
	for {
		select {
		case t := <-b.ready:
			if !launched {
				_ = t.Close()
			}
		default:
			return
		}
	}
}
