package snapshot_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// FuzzParse feeds ReadPage and Parse any page and checks what must hold of
// every one (checkPage): no panic, a clear error or a whole roster that
// reads back the same. Seeds are the testdata pages, every page the
// package's tests give Parse, generated and mock-written rosters. Run it
// with
//
//	go test -run='^$' -fuzz='^FuzzParse$' -fuzztime=2m ./snapshot/
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
	for _, data := range snapshot.KnownInputs() {
		f.Add(data)
	}
	f.Add(snapshot.GenPage(f, 12))
	var b bytes.Buffer
	if err := mockserver.RenderRoster(&b, mockserver.DemoRoster(fixedToday)); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(strings.Repeat("<div>", 600) + page("")))

	f.Fuzz(func(t *testing.T, data []byte) {
		checkPage(t, data)
	})
}
