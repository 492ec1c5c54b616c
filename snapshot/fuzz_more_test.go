package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rosteron/rosteron/internal/oneline"
)

// Fuzz targets beyond FuzzParse: the other ways outside bytes come in (a
// date, a saved snapshot or page) and Diff on what they give. Each asserts
// no panic and the documented invariants. Run one with
//
//	go test -run='^$' -fuzz=FuzzLoadReader -fuzztime=30s ./snapshot/

// fuzzSeeds returns the testdata pages as they are, and the golden item
// lists as snapshot JSON, the two forms LoadReader reads.
func fuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	var seeds [][]byte
	pages, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil {
		f.Fatal(err)
	}
	goldens, err := filepath.Glob(filepath.Join("testdata", "*.golden.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range append(pages, goldens...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if filepath.Ext(p) == ".json" {
			data = slices.Concat([]byte(`{"time":"2019-06-10T08:03:12+10:00","items":`), data, []byte("}"))
		}
		seeds = append(seeds, data)
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds in testdata")
	}
	return seeds
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2019-06-11", "2020-02-29", "2019-02-29", "0001-01-01", "9999-12-31", "0000-01-01",
		"2019-6-11", "+001-06-11", "2019-06-11T00:00:00Z", "", "Tue 11/06/2019"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if d != (Date{}) {
				t.Fatalf("ParseDate(%q) = %v with error %v", s, d, err)
			}
			// The message quotes what was found, and only a bounded
			// part of it.
			if want := fmt.Sprintf("%q", oneline.Truncate(s, maxFound)); !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not quote %s", err, want)
			}
			if limit := 100 + len(fmt.Sprintf("%q", oneline.Truncate(s, maxFound))); len(err.Error()) > limit {
				t.Fatalf("error of %d bytes for a %d-byte input: %q", len(err.Error()), len(s), err)
			}
			return
		}
		if !d.Valid() {
			t.Fatalf("ParseDate(%q) = invalid %#v", s, d)
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q) = %v: not strict", s, d)
		}
		text, err := d.MarshalText()
		if err != nil || string(text) != s {
			t.Fatalf("MarshalText = %q, %v", text, err)
		}
		var back Date
		if err := json.Unmarshal(mustJSON(t, d), &back); err != nil || back != d {
			t.Fatalf("JSON round trip = %v, %v", back, err)
		}
		if DateOf(d.Time(time.UTC)) != d || d.AddDays(0) != d || d.Compare(d) != 0 {
			t.Fatalf("%v is not itself", d)
		}
		if d.Weekday() != d.Time(time.UTC).Weekday() {
			t.Fatalf("%v: weekday differs", d)
		}
		if next := d.AddDays(1); next.Valid() && (!next.After(d) || !d.Before(next) || next.AddDays(-1) != d) {
			t.Fatalf("%v and the day after (%v) are out of order", d, next)
		}
	})
}

func FuzzLoadReader(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	for _, s := range []string{
		"\xef\xbb\xbf \n{\"items\":[]}",
		`{"items":null}`,
		`{"items":[]} {}`,
		`{"time":"2019-06-10T08:03:12Z","items":[{"date":"9999-12-31","title":"Late","detail":["21:00 - 07:00",null]}]}`,
		`{"items":[{"date":"2026-04-05","title":"Night","detail":["01:30 - 03:30","","N","RN"],"warnings":[]}]}`,
		`{"changes":[]}`,
		"",
		// Parse passes bytes that are not UTF-8 through; JSON cannot.
		"<div data-role=\"page\"><div data-role=\"content\"><ul data-role=\"listview\"><li data-role=\"list-divider\">Tue 04/02/2020</li><li>\xae</li>",
	} {
		f.Add([]byte(s))
	}
	loc := fuzzZone()

	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := LoadReader(bytes.NewReader(data))
		if err != nil {
			if s != nil {
				t.Fatalf("snapshot %v returned with error %v", s, err)
			}
			_ = err.Error()
			return
		}
		if s == nil {
			t.Fatal("nil snapshot with nil error")
		}
		checkItems(t, s.Items)

		// What loads can be saved, and reads back the same. JSON holds
		// only UTF-8, so text from a page that is not comes back with
		// U+FFFD in place of the bad bytes: then saving again changes
		// nothing more.
		saved := mustJSON(t, s)
		again, err := LoadReader(bytes.NewReader(saved))
		if err != nil {
			t.Fatalf("saved snapshot does not load: %v\n%s", err, saved)
		}
		if !utf8.Valid(data) {
			resaved := mustJSON(t, again)
			fixed, err := LoadReader(bytes.NewReader(resaved))
			if err != nil {
				t.Fatalf("saved again, snapshot does not load: %v\n%s", err, resaved)
			}
			sameSnapshot(t, again, fixed)
			s = again
		}
		sameSnapshot(t, s, again)

		// So can its interpretation, which reads back as the snapshot.
		shifts := s.Shifts(loc)
		if len(shifts) != len(s.Items) {
			t.Fatalf("%d items interpreted as %d shifts", len(s.Items), len(shifts))
		}
		for i, sh := range shifts {
			if sh.HasTimes() && sh.End.Before(sh.Start) {
				t.Fatalf("shift %d ends (%v) before it starts (%v)", i, sh.End, sh.Start)
			}
		}
		interpreted := interpretedJSON(t, s, loc)
		again, err = LoadReader(bytes.NewReader(interpreted))
		if err != nil {
			t.Fatalf("interpreted snapshot does not load: %v\n%s", err, interpreted)
		}
		sameSnapshot(t, s, again)
		_ = s.String()
	})
}

func FuzzDiff(f *testing.F) {
	seeds := fuzzSeeds(f)
	for i, a := range seeds {
		f.Add(a, a)
		f.Add(a, seeds[(i+1)%len(seeds)])
	}
	f.Add([]byte(`{"items":[{"date":"2019-06-11","title":"A","detail":["07:00 - 15:30",null,"Day","RN"]},{"date":"2019-06-11","title":"A","detail":["07:00 - 15:30",null,"Day","RN"]}]}`),
		[]byte(`{"items":[{"date":"2019-06-11","title":"A","detail":["07:00 - 15:30",null,"Day","RN"],"warnings":["W"]},{"date":"2019-06-12","title":"B","detail":[]}]}`))
	f.Add([]byte(page(divider("Tue 11/06/2019")+shift("07:00 - 15:30", "", "Day", "RN"))),
		[]byte(page(divider("Tue 11/06/2019")+shift("09:00 - 17:30", "x", "Day", "ANUM")+shift("07:00 - 15:30", "", "Day", "RN"))))

	f.Fuzz(func(t *testing.T, before, after []byte) {
		a, errA := LoadReader(bytes.NewReader(before))
		b, errB := LoadReader(bytes.NewReader(after))
		if errA != nil {
			a = nil // an empty roster
		}
		if errB != nil {
			b = nil
		}
		ab := Diff(a, b)
		checkChanges(t, ab, a, b)
		if same := Diff(a, a); !same.Empty() {
			t.Fatalf("a snapshot differs from itself: %+v", same.Shifts)
		}
		if same := Diff(b, b); !same.Empty() {
			t.Fatalf("a snapshot differs from itself: %+v", same.Shifts)
		}
		// Backwards, the same number of shifts change and added and
		// removed trade places.
		ba := Diff(b, a)
		checkChanges(t, ba, b, a)
		abAdded, abRemoved, abChanged := count(ab)
		baAdded, baRemoved, baChanged := count(ba)
		if abAdded != baRemoved || abRemoved != baAdded || abChanged != baChanged {
			t.Fatalf("Diff(a, b) has %d added, %d removed, %d changed; Diff(b, a) %d, %d, %d",
				abAdded, abRemoved, abChanged, baAdded, baRemoved, baChanged)
		}
		_ = mustJSON(t, ab)
	})
}

func fuzzZone() *time.Location {
	if loc, err := time.LoadLocation("Australia/Melbourne"); err == nil {
		return loc // has daylight saving, which shifts must get through
	}
	return time.FixedZone("AEST", 10*60*60)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("cannot encode %T: %v", v, err)
	}
	return b
}

func checkItems(t *testing.T, items []Item) {
	t.Helper()
	if items == nil {
		t.Fatal("nil items")
	}
	for i, it := range items {
		if !it.Date.Valid() {
			t.Fatalf("item %d has invalid date %#v", i, it.Date)
		}
		if it.Detail == nil {
			t.Fatalf("item %d has nil Detail", i)
		}
		_ = it.String()
	}
}

// sameSnapshot compares snapshots as their JSON does: the same instant and
// items, no warnings the same as an empty list.
func sameSnapshot(t *testing.T, want, got *Snapshot) {
	t.Helper()
	if !got.Time.Equal(want.Time) {
		t.Fatalf("time %v read back as %v", want.Time, got.Time)
	}
	norm := func(items []Item) []Item {
		out := make([]Item, len(items))
		for i, it := range items {
			if len(it.Warnings) == 0 {
				it.Warnings = nil
			}
			out[i] = it
		}
		return out
	}
	if w, g := norm(want.Items), norm(got.Items); !reflect.DeepEqual(w, g) {
		t.Fatalf("items\n%v\nread back as\n%v", w, g)
	}
}

func checkChanges(t *testing.T, c Changes, before, after *Snapshot) {
	t.Helper()
	var nOld, nNew int
	if before != nil {
		nOld = len(before.Items)
	}
	if after != nil {
		nNew = len(after.Items)
	}
	added, removed, _ := count(c)
	if nOld-nNew != removed-added {
		t.Fatalf("%d items became %d with %d removed and %d added", nOld, nNew, removed, added)
	}
	if nOld == 0 && removed+added != nNew || nNew == 0 && removed != nOld {
		t.Fatalf("from %d items to %d: %d removed, %d added", nOld, nNew, removed, added)
	}
	for i, ch := range c.Shifts {
		if i > 0 && c.Shifts[i-1].Date.After(ch.Date) {
			t.Fatalf("change %d (%v) after change %d (%v)", i-1, c.Shifts[i-1].Date, i, ch.Date)
		}
		switch ch.Kind {
		case Added:
			if ch.Old != nil || ch.New == nil || len(ch.Parts) > 0 {
				t.Fatalf("bad added change %+v", ch)
			}
		case Removed:
			if ch.Old == nil || ch.New != nil || len(ch.Parts) > 0 {
				t.Fatalf("bad removed change %+v", ch)
			}
		case Changed:
			if ch.Old == nil || ch.New == nil || len(ch.Parts) == 0 {
				t.Fatalf("bad changed change %+v", ch)
			}
			if ch.Old.Date != ch.Date || ch.New.Date != ch.Date {
				t.Fatalf("change on %v pairs %v with %v", ch.Date, ch.Old.Date, ch.New.Date)
			}
		default:
			t.Fatalf("unknown kind %q", ch.Kind)
		}
	}
}

func count(c Changes) (added, removed, changed int) {
	for _, ch := range c.Shifts {
		switch ch.Kind {
		case Added:
			added++
		case Removed:
			removed++
		case Changed:
			changed++
		}
	}
	return added, removed, changed
}
