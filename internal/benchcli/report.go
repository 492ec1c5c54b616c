package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

type report struct {
	summary string // the targets and the process tables, for the terminal
	full    string // BENCHMARKS.md
}

// stats are a median and a range.
type stats struct{ median, min, max float64 }

func statsOf(v []float64) stats {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return stats{median: med, min: s[0], max: s[n-1]}
}

func walls(ss []sample) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = s.wall.Seconds()
	}
	return out
}

func rsses(ss []sample) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = float64(s.rss) / (1 << 20)
	}
	return out
}

// ratios are each round's whole run over that round's floor.
func ratios(a, b []sample) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i].wall.Seconds() / b[i].wall.Seconds()
	}
	return out
}

func ms(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Millisecond).String()
}

func met(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func writeReport(env envInfo, results []scenarioResult, gb *goBench, statPath string, parse *parseTiming) report {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s (%s, %d CPUs), %s, Go %s, %s. Load average (1, 5, 15 min) %s before, %s after.\n\n",
		env.when.Format("2006-01-02 15:04 UTC"), env.host, env.cpu, env.cpus, env.chrome, env.goVersion, env.rosteron, env.loadBefore, env.loadAfter)

	byName := map[string]scenarioResult{}
	for _, r := range results {
		byName[r.name] = r
	}
	ratio := func(name, floor string) (float64, stats) {
		r := byName[name]
		whole := statsOf(walls(r.samples[cliName])).median / statsOf(walls(r.samples[floor])).median
		return whole, statsOf(ratios(r.samples[cliName], r.samples[floor]))
	}
	plainRatio, plainRounds := ratio("plain", floorName)
	realRatio, realRounds := ratio("realistic", floorName)

	b.WriteString("## Targets of issue 10\n\n")
	b.WriteString("| figure | before (issue 10) | target | measured: median (range) | met |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| whole run / floor, plain pages | 1.60–1.67 | ≤ 1.25 | %.2f (rounds %.2f–%.2f; of the medians %.2f) | %s |\n", plainRounds.median, plainRounds.min, plainRounds.max, plainRatio, met(plainRounds.median <= 1.25))
	fmt.Fprintf(&b, "| whole run / floor, realistic stack, 124 shifts | 2.09–2.15 | ≤ 1.5 | %.2f (rounds %.2f–%.2f; of the medians %.2f) | %s |\n", realRounds.median, realRounds.min, realRounds.max, realRatio, met(realRounds.median <= 1.5))
	for _, r := range results {
		peak := statsOf(rsses(r.samples[cliName]))
		floor := statsOf(rsses(r.samples[floorName]))
		before := "97 MiB"
		if r.name != "plain" {
			before = "not measured"
		}
		fmt.Fprintf(&b, "| largest single process, peak RSS of a whole run, %s (the floor's: %.0f MiB) | %s | ≤ 110 MiB | %.0f MiB (%.0f–%.0f) | %s |\n", r.name, floor.median, before, peak.median, peak.min, peak.max, met(peak.median <= 110))
	}
	if gb != nil {
		plain := statsOf(gb.sessions["plain"])
		real := statsOf(gb.sessions["realistic"])
		fmt.Fprintf(&b, "| warm sessions/s, shared browser, 4 at once | 5–7 | ≥ 10 (20 is the goal) | %.1f (%.1f–%.1f) | %s |\n", plain.median, plain.min, plain.max, met(plain.median >= 10))
		fmt.Fprintf(&b, "| warm sessions/s, realistic stack, 124 shifts | not measured | reported | %.1f (%.1f–%.1f) | — |\n", real.median, real.min, real.max)
		p200, p2000 := statsOf(gb.parse["200"]), statsOf(gb.parse["2000"])
		fmt.Fprintf(&b, "| parse speed, 200 / 2,000 shifts | issue 16 made one reader of three: compare alongside (docs/speed.md) | reported | %.0f (%.0f–%.0f) / %.0f (%.0f–%.0f) MB/s | — |\n",
			p200.median, p200.min, p200.max, p2000.median, p2000.min, p2000.max)
	}
	if parse != nil {
		w, c := statsOf(parse.wall), statsOf(parse.cpu)
		fmt.Fprintf(&b, "| whole `rosteron parse --format json`, 2,000 shifts (issue 16) | 47 ms | ≤ 30 ms | %.1f ms (%.1f–%.1f); processor %.1f ms (%.1f–%.1f) | %s |\n",
			w.median, w.min, w.max, c.median, c.min, c.max, met(w.median <= 30))
	}
	b.WriteString("\nA whole run over its floor is the median of each round's whole run over the same round's floor, runs close in time, so that a machine whose load drifts moves both; its range is those rounds' lowest and highest, and the ratio of the two medians follows.\n")

	b.WriteString("\n## Whole process against the mock on loopback\n\n")
	for _, r := range results {
		fmt.Fprintf(&b, "### %s: %s\n\n", r.name, r.what)
		fmt.Fprintf(&b, "%d runs of each command, after one warm-up, alternating and in turned order from round to round.\n\n", len(r.samples[cliName]))
		b.WriteString("| command | median wall time | min – max | largest process, peak RSS (median) | min – max | largest is |\n|---|---|---|---|---|---|\n")
		for _, name := range r.commands {
			w, m := statsOf(walls(r.samples[name])), statsOf(rsses(r.samples[name]))
			fmt.Fprintf(&b, "| %s | %s | %s – %s | %.0f MiB | %.0f – %.0f MiB | %s |\n", describe(name), ms(w.median), ms(w.min), ms(w.max), m.median, m.min, m.max, kinds(r.samples[name]))
		}
		inc, incRounds := ratio(r.name, floorIncognitoName)
		whole, rounds := ratio(r.name, floorName)
		fmt.Fprintf(&b, "\nWhole run / floor: %.2f (rounds %.2f–%.2f; of the medians %.2f); / incognito floor: %.2f (rounds %.2f–%.2f; of the medians %.2f).\n\n", rounds.median, rounds.min, rounds.max, whole, incRounds.median, incRounds.min, incRounds.max, inc)
	}
	summary := b.String()

	var doc strings.Builder
	doc.WriteString("# Benchmarks\n\nWritten by `make bench` (`internal/benchcli`): one machine, one run. Figures are medians of alternating runs with their ranges, never minima. What makes rosteron fast, and how this is measured: [docs/speed.md](docs/speed.md).\n\n")
	doc.WriteString(summary)
	doc.WriteString(reading)
	if gb != nil {
		doc.WriteString("\n## Go benchmarks\n\n`go test -run '^$' -bench . -benchmem -count 6 ./snapshot/` and `go test -run '^$' -bench . -benchmem -count 6 -benchtime 24x ./e2e/`: `BenchmarkParse` on generated pages of 200 and 2,000 shifts; `BenchmarkSessions` the whole flow (log in, roster, log out, close) on one shared Chrome with tabs made ahead, four sessions at a time, against an in-process mock, on plain and on realistic pages.\n\n")
		if statPath != "" {
			if sb, err := os.ReadFile(statPath); err == nil {
				doc.WriteString("Summary by benchstat (median ± 95% confidence interval over the six runs):\n\n```\n")
				doc.Write(sb)
				doc.WriteString("```\n\n")
			}
		}
		doc.WriteString("Raw output:\n\n```\n")
		doc.Write(gb.raw)
		doc.WriteString("```\n")
	}
	return report{summary: summary, full: doc.String()}
}

// kinds says which kinds of process were the largest, and how often.
func kinds(ss []sample) string {
	n := map[string]int{}
	var order []string
	for _, s := range ss {
		if n[s.largest] == 0 {
			order = append(order, s.largest)
		}
		n[s.largest]++
	}
	var parts []string
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, n[k]))
	}
	return strings.Join(parts, ", ")
}

func describe(name string) string {
	switch name {
	case cliName:
		return "`rosteron roster` (start Chrome, log in, roster, log out, exit)"
	case floorName:
		return "Chrome's floor: `chromium-headless-shell --dump-dom` of the login page"
	case floorIncognitoName:
		return "the floor with `--incognito` (keeps its profile in memory, as rosteron's Chrome does)"
	}
	return name
}

// reading says what the figures mean; it changes only when the flow does.
const reading = `## Reading the figures

A whole run starts Chrome, renders the login page (the one page a person
would look at) as it was sent, without running its scripts, since it
holds its form, posts the form, fetches the home page, the roster and the
logoff through the tab's own network stack without rendering them, and
exits; the floor starts Chrome, renders the login page, scripts and all,
and exits. The realistic floor loads the stack's stylesheets and
scripts, which rosteron's tab does not. Sessions on a shared browser are bound by CPU:
each has a browser context and a renderer process of its own, and
[docs/speed.md](docs/speed.md) shows where that time goes.
`
