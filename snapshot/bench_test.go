package snapshot

import (
	"bytes"
	"strconv"
	"testing"

	"golang.org/x/net/html"
)

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{200, 2000} {
		b.Run(strconv.Itoa(n)+"-shifts", func(b *testing.B) {
			data := genPage(b, n)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				items, err := Parse(bytes.NewReader(data))
				if err != nil || len(items) != n {
					b.Fatalf("got %d items, error %v", len(items), err)
				}
			}
		})
	}
}

// BenchmarkBaselineHTMLParse times html.Parse alone on the same pages: the
// least a reader built on its tree would cost, which ReadPage's own
// scanner is measured against (docs/speed.md).
func BenchmarkBaselineHTMLParse(b *testing.B) {
	for _, n := range []int{200, 2000} {
		b.Run(strconv.Itoa(n)+"-shifts", func(b *testing.B) {
			data := genPage(b, n)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := html.Parse(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
