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
)

// BenchmarkSessions runs the full flow (log in, roster, log out, close) on
// one shared browser, four sessions at a time, against an in-process mock,
// and reports sessions per second: on plain pages, and on pages that load
// the realistic script stack with a 124-shift roster. The browser is
// launched as a program that runs many sessions should launch it, with
// tabs made ahead (browser.WithReadyTabs).
func BenchmarkSessions(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchSessions(b) })
	b.Run("realistic", func(b *testing.B) {
		stack, err := mockserver.LoadScriptStack("")
		if err != nil {
			b.Fatal(err) // make bench must measure both, or fail saying why
		}
		benchSessions(b, mockserver.WithScriptStack(stack), mockserver.WithDemoShifts(124))
	})
}

func benchSessions(b *testing.B, opts ...mockserver.Option) {
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
	if err := benchflow.Session(ctx, url, br); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	elapsed, err := benchflow.Run(b.N, func() error { return benchflow.Session(ctx, url, br) })
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "sessions/s")
}
