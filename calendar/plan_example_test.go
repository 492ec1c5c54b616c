package calendar_test

import (
	"context"
	"fmt"
	"time"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/calendartest"
	"github.com/rosteron/rosteron/snapshot"
)

// ExampleMakePlan plans a sync from a calendar's events, prints it, and
// carries it out: a shift whose times changed is one update, in place.
func ExampleMakePlan() {
	mel, _ := time.LoadLocation("Australia/Melbourne")
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, mel)
	opts := calendar.Options{Account: "joe.bloggs@rosteron.example.com/rosteronprod/mobile", Location: mel, Now: now}
	late := func(times string) *snapshot.Snapshot {
		return &snapshot.Snapshot{Items: []snapshot.Item{{
			Date:   snapshot.Date{Year: 2026, Month: 12, Day: 8},
			Title:  "Ward 4B - Royal Melbourne",
			Detail: []snapshot.Field{snapshot.Text(times), snapshot.Empty, snapshot.Text("Late"), snapshot.Text("RN")},
		}}}
	}
	ctx := context.Background()
	cal := calendartest.New()
	if _, err := calendar.Sync(ctx, cal, late("13:00 - 21:30"), opts); err != nil {
		fmt.Println(err)
		return
	}

	stored, err := cal.List(ctx, opts.Account)
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := calendar.MakePlan(late("14:00 - 22:30"), stored, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range plan.Actions {
		fmt.Println(a)
	}
	res, err := calendar.Apply(ctx, cal, plan)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res)
	// Output:
	// update 2026-12-08 Tue 14:00–22:30 Late: changed on the roster
	// 0 created, 1 updated, 0 deleted, 0 unchanged
}
