package e2e

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/benchflow"
	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// BenchmarkSessions runs the full flow (log in, roster, log out, close) on
// one shared browser, four sessions at a time, against an in-process mock,
// and reports sessions per second: on plain pages, and on pages that load
// the realistic script stack with a 124-shift roster. The browser is
// launched as a program that runs many sessions should launch it, with
// tabs made ahead (browser.WithReadyTabs). The always-* cases are the
// same in session.RenderAlways, which renders every page: what that mode
// costs (docs/speed.md).
func BenchmarkSessions(b *testing.B) {
	realistic := func(b *testing.B) []mockserver.Option {
		stack, err := mockserver.LoadScriptStack("")
		if err != nil {
			b.Fatal(err) // make bench must measure both, or fail saying why
		}
		return []mockserver.Option{mockserver.WithScriptStack(stack), mockserver.WithDemoShifts(124)}
	}
	always := []session.Option{session.WithRender(session.RenderAlways)}
	b.Run("plain", func(b *testing.B) { benchSessions(b, nil, nil) })
	b.Run("realistic", func(b *testing.B) { benchSessions(b, realistic(b), nil) })
	b.Run("always-plain", func(b *testing.B) { benchSessions(b, nil, always) })
	b.Run("always-realistic", func(b *testing.B) { benchSessions(b, realistic(b), always) })
}

func benchSessions(b *testing.B, opts []mockserver.Option, sessionOpts []session.Option) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	chrometest.Need(b)
	br, err := browser.Open(ctx, append(chrometest.Options(), browser.WithReadyTabs(benchflow.Parallel))...)
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	m := mockserver.New(opts...)
	ts := httptest.NewServer(m)
	defer ts.Close()
	defer m.Close()
	url := ts.URL + m.BasePath()
	// One session first, so the browser has its tabs ready, as a browser
	// that has been serving for a while has.
	if err := benchflow.SessionWith(sessionOpts...)(ctx, url, br); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	elapsed, err := benchflow.Run(b.N, func() error { return benchflow.SessionWith(sessionOpts...)(ctx, url, br) })
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "sessions/s")
}
