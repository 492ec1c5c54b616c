package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	pages, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range pages {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(page(divider("Tue 11/06/2019 - X") + warning("W") + shift("a", "", "b"))))
	f.Add([]byte(page(divider("Sat 29/02/2020") + `<li><p>x<br>y</p></li>`)))
	f.Add([]byte(`<div data-role="page"><div data-role="content"><ul data-role="listview"><li data-role="list-divider">Tue 11/06/2019</li><li>`))
	f.Add([]byte(strings.Repeat("<div>", 600) + page("")))

	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := Parse(bytes.NewReader(data))
		if err != nil {
			if items != nil {
				t.Errorf("items %v returned with error %v", items, err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || (pe.Err != ErrNotRoster && pe.Err != ErrMalformed) {
				t.Errorf("error is not a *ParseError wrapping a sentinel: %#v", err)
			}
			_ = err.Error()
			return
		}
		if items == nil {
			t.Fatal("nil items with nil error")
		}
		for i, it := range items {
			if !it.Date.Valid() || it.Date.Year <= 0 {
				t.Fatalf("item %d has invalid date %#v", i, it.Date)
			}
			if it.Detail == nil {
				t.Fatalf("item %d has nil Detail", i)
			}
			_ = it.String()
		}
		if _, err := json.Marshal(Snapshot{Items: items}); err != nil {
			t.Fatalf("cannot encode parsed items: %v", err)
		}
	})
}
