package export_test

import (
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// BenchmarkWriters times each output format on the mock server's demo
// roster of 124 shifts (the realistic stack's) and of 2,000 (the size
// BenchmarkParse and rosteron parse's timing use), read in Melbourne, as
// rosteron roster and parse write them. Each op writes the whole roster
// to io.Discard; -benchmem shows what it allocates.
func BenchmarkWriters(b *testing.B) {
	mel, err := time.LoadLocation("Australia/Melbourne")
	if err != nil {
		b.Fatal(err)
	}
	today := time.Date(2026, time.April, 1, 8, 3, 12, 0, time.UTC)
	writers := []struct {
		name  string
		write func(io.Writer, *snapshot.Snapshot) error
	}{
		{"table", func(w io.Writer, s *snapshot.Snapshot) error { return export.WriteTable(w, s, export.DefaultWidth) }},
		{"json", func(w io.Writer, s *snapshot.Snapshot) error { return export.WriteShiftsJSON(w, s, mel) }},
		{"json-raw", export.WriteJSON},
		{"csv", func(w io.Writer, s *snapshot.Snapshot) error { return export.WriteCSV(w, s, mel) }},
		{"ics", func(w io.Writer, s *snapshot.Snapshot) error { return export.WriteICS(w, s, mel) }},
	}
	for _, n := range []int{124, 2000} {
		snap := &snapshot.Snapshot{Time: today, Items: mockserver.DemoRosterOf(today, n)}
		for _, wr := range writers {
			b.Run(wr.name+"/"+strconv.Itoa(n)+"-shifts", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := wr.write(io.Discard, snap); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
