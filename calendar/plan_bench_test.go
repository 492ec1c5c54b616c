package calendar_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/calendartest"
	"github.com/rosteron/rosteron/snapshot"
)

// BenchmarkMakePlanUnchanged is what each of serve's syncs costs when the
// calendar's tag moved but nothing of rosteron's changed: a year's roster
// (one shift a day) planned against the events a first sync made.
func BenchmarkMakePlanUnchanged(b *testing.B) {
	start := date(b, "2026-12-07")
	items := make([]snapshot.Item, 365)
	for i := range items {
		items[i] = shift(b, start.AddDays(i).String(), "07:00 - 15:30", "Early")
	}
	snap := roster(items...)
	opts := options(b, monday(b))
	cal := calendartest.New()
	ctx := context.Background()
	_, err := calendar.Sync(ctx, cal, snap, opts)
	require.NoError(b, err)
	stored, err := cal.List(ctx, opts.Account)
	require.NoError(b, err)
	require.Len(b, stored, len(items))

	b.ReportAllocs()
	for b.Loop() {
		p, err := calendar.MakePlan(snap, stored, opts)
		if err != nil || !p.Empty() {
			b.Fatalf("plan: %v, %d actions", err, len(p.Actions))
		}
	}
	b.ReportMetric(float64(len(items)), "shifts")
}
