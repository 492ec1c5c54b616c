package snapshot

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSnapshotString(t *testing.T) {
	t.Parallel()
	at := func(ns int, loc *time.Location) time.Time {
		return time.Date(2019, time.June, 10, 8, 3, 12, ns, loc)
	}
	tests := []struct {
		name string
		snap Snapshot
		want string
	}{
		{"original example", Snapshot{Time: at(0, time.UTC), Items: make([]Item, 19)},
			"<Snapshot (time=2019-06-10T08:03:12+00:00, len=19)>"},
		{"empty", Snapshot{Time: at(0, time.UTC)},
			"<Snapshot (time=2019-06-10T08:03:12+00:00, len=0)>"},
		{"microseconds", Snapshot{Time: at(123456000, time.UTC), Items: make([]Item, 2)},
			"<Snapshot (time=2019-06-10T08:03:12.123456+00:00, len=2)>"},
		{"one microsecond", Snapshot{Time: at(1000, time.UTC)},
			"<Snapshot (time=2019-06-10T08:03:12.000001+00:00, len=0)>"},
		{"nanoseconds below a microsecond are dropped", Snapshot{Time: at(999, time.UTC)},
			"<Snapshot (time=2019-06-10T08:03:12+00:00, len=0)>"},
		{"positive offset", Snapshot{Time: at(0, time.FixedZone("AEST", 10*3600))},
			"<Snapshot (time=2019-06-10T08:03:12+10:00, len=0)>"},
		{"negative half-hour offset", Snapshot{Time: at(0, time.FixedZone("NST", -(3*3600+30*60)))},
			"<Snapshot (time=2019-06-10T08:03:12-03:30, len=0)>"},
		{"offset with seconds", Snapshot{Time: at(0, time.FixedZone("LMT", 9*3600+39*60+52))},
			"<Snapshot (time=2019-06-10T08:03:12+09:39:52, len=0)>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.snap.String())
		})
	}
}

func TestItemString(t *testing.T) {
	t.Parallel()
	d := Date{2019, time.June, 11}
	tests := []struct {
		name string
		item Item
		want string
	}{
		{"original example",
			Item{Date: d, Title: "ABCDE - Melbourne Office", Detail: []Field{Text("10:30 - 18:06"), Empty, Text("XYZ"), Text("Assistant")}},
			`<Item (date=2019-06-11, title='ABCDE - Melbourne Office', detail=('10:30 - 18:06', None, 'XYZ', 'Assistant'))>`},
		{"1-tuple", Item{Date: d, Title: "T", Detail: []Field{Text("x")}},
			`<Item (date=2019-06-11, title='T', detail=('x',))>`},
		{"1-tuple of None", Item{Date: d, Title: "T", Detail: []Field{Empty}},
			`<Item (date=2019-06-11, title='T', detail=(None,))>`},
		{"empty tuple", Item{Date: d, Title: "", Detail: []Field{}},
			`<Item (date=2019-06-11, title='', detail=())>`},
		{"nil detail", Item{Date: d}, `<Item (date=2019-06-11, title='', detail=())>`},
		{"valid empty string is not None", Item{Date: d, Detail: []Field{Text(""), Empty}},
			`<Item (date=2019-06-11, title='', detail=('', None))>`},
		{"warnings are not shown", Item{Date: d, Title: "T", Detail: []Field{Text("x")}, Warnings: []string{"W"}},
			`<Item (date=2019-06-11, title='T', detail=('x',))>`},
		{"quotes and non-ASCII", Item{Date: d, Title: "O'Brien", Detail: []Field{Text(`say "hi"`), Text(`it's "x"`), Text("Zoë Ngữ")}},
			`<Item (date=2019-06-11, title="O'Brien", detail=('say "hi"', 'it\'s "x"', 'Zoë Ngữ'))>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.item.String())
		})
	}
}

func TestFieldString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "x", Text("x").String())
	assert.Equal(t, "", Empty.String())
}
