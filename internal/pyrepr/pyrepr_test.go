package pyrepr

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestQuote(t *testing.T) {
	t.Parallel()
	// Expected values are what CPython 3 prints for repr() of the same str.
	tests := []struct{ in, want string }{
		{"", `''`},
		{"abc", `'abc'`},
		{"it's", `"it's"`},
		{`say "hi"`, `'say "hi"'`},
		{`it's "x"`, `'it\'s "x"'`},
		{`back\slash`, `'back\\slash'`},
		{"a\tb\nc\rd", `'a\tb\nc\rd'`},
		{"\x00\x01\x1f\x7f", `'\x00\x01\x1f\x7f'`},
		{"\u0085\u00a0\u00ad", `'\x85\xa0\xad'`},
		{"Zoë Ngữ café ½ €", `'Zoë Ngữ café ½ €'`},
		{"\u2028\u200b\ufeff\ue000", `'\u2028\u200b\ufeff\ue000'`},
		{"\U0001F600 \U000E0001 \U0010FFFF", `'😀 \U000e0001 \U0010ffff'`},
		{"\u3000", `'\u3000'`},
		{"bad\xffbyte", `'bad\udcffbyte'`},
		{"\ufffd", "'\ufffd'"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Quote(tt.in), "repr of %q", tt.in)
	}
}
