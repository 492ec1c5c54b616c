package snapshot_test

import (
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // so that the example runs on machines without zoneinfo

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/snapshot"
)

func ExampleItem_Shift() {
	mel, err := time.LoadLocation("Australia/Melbourne")
	if err != nil {
		fmt.Println(err)
		return
	}
	items := []snapshot.Item{
		{Date: snapshot.Date{Year: 2026, Month: time.April, Day: 4}, Title: "Ward 4B",
			Detail: []snapshot.Field{snapshot.Text("21:00 - 07:00"), snapshot.Empty, snapshot.Text("Night Shift"), snapshot.Text("RN")}},
		{Date: snapshot.Date{Year: 2026, Month: time.April, Day: 7}, Title: "Ward 4B",
			Detail: []snapshot.Field{snapshot.Text("Oncall (20:30 - 08:30)"), snapshot.Empty, snapshot.Text("On Call"), snapshot.Text("ANUM")}},
		{Date: snapshot.Date{Year: 2026, Month: time.April, Day: 9}, Title: "Ward 4B",
			Detail: []snapshot.Field{snapshot.Text("09:00 - 16:36"), snapshot.Empty, snapshot.Text("Annual Leave"), snapshot.Text("RN")}},
		{Date: snapshot.Date{Year: 2026, Month: time.April, Day: 10}, Title: "Ward 4B",
			Detail: []snapshot.Field{snapshot.Text("TBA")}},
	}
	for _, it := range items {
		s := it.Shift(mel)
		switch {
		case s.HasTimes():
			fmt.Printf("%s %-7s %s to %s (%v)\n", s.Date, s.Kind, s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339), s.Duration())
		case s.AllDay:
			fmt.Printf("%s %-7s all day\n", s.Date, s.Kind)
		default:
			fmt.Printf("%s %-7s no times: %q\n", s.Date, s.Kind, s.Detail[0])
		}
	}
	// Output:
	// 2026-04-04 work    2026-04-04T21:00:00+11:00 to 2026-04-05T07:00:00+10:00 (11h0m0s)
	// 2026-04-07 on-call 2026-04-07T20:30:00+10:00 to 2026-04-08T08:30:00+10:00 (12h0m0s)
	// 2026-04-09 leave   all day
	// 2026-04-10 unknown no times: "TBA"
}

func ExampleDiff() {
	day := func(d int, times, role string) snapshot.Item {
		return snapshot.Item{Date: snapshot.Date{Year: 2026, Month: time.April, Day: d}, Title: "Ward 4B",
			Detail: []snapshot.Field{snapshot.Text(times), snapshot.Empty, snapshot.Text("Day Shift"), snapshot.Text(role)}}
	}
	before := &snapshot.Snapshot{Items: []snapshot.Item{day(7, "07:00 - 15:30", "RN"), day(8, "07:00 - 15:30", "RN")}}
	after := &snapshot.Snapshot{Items: []snapshot.Item{day(7, "09:00 - 17:30", "ANUM"), day(9, "07:00 - 15:30", "RN")}}

	changes := snapshot.Diff(before, after)
	fmt.Println(changes.Empty())
	if err := export.WriteChangesText(os.Stdout, changes); err != nil {
		fmt.Println(err)
	}
	// Output:
	// false
	// ~ Tue 2026-04-07  07:00 - 15:30 → 09:00 - 17:30  Day Shift  Ward 4B
	//       role: RN → ANUM
	// - Wed 2026-04-08  07:00 - 15:30  Day Shift  Ward 4B
	// + Thu 2026-04-09  07:00 - 15:30  Day Shift  Ward 4B
}
