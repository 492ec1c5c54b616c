package snapshot_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// TestParseFastPathTaken pins that the pages Parse is fast for are the
// ones that matter: rosters as RosterOn and the mock server write them. A
// change that made parseFast decline them would keep every result right
// and quietly lose the speed.
func TestParseFastPathTaken(t *testing.T) {
	t.Parallel()
	pages := map[string][]byte{
		"generated 200":  snapshot.GenPage(t, 200),
		"generated 2000": snapshot.GenPage(t, 2000),
	}
	var b bytes.Buffer
	require.NoError(t, mockserver.RenderRoster(&b, mockserver.DemoRoster(fixedToday)))
	pages["mock demo roster"] = b.Bytes()
	for _, name := range []string{"typical.html", "enhanced.html", "empty.html"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		pages[name] = data
	}
	if data, err := os.ReadFile(filepath.Join(referenceDir, "roster.html")); err == nil {
		pages["reference roster.html"] = data
	} else {
		t.Logf("reference capture not available: %v", err)
	}
	for name, data := range pages {
		t.Run(name, func(t *testing.T) {
			want, err := snapshot.ParseTree(data)
			require.NoError(t, err)
			got, ok := snapshot.ParseFast(data)
			require.True(t, ok, "the fast path declined")
			assert.Equal(t, want, got)
		})
	}
}

// TestParseAgreementSeeds runs the differential check over every seed of
// FuzzParseAgreement and reports how many take the fast path.
func TestParseAgreementSeeds(t *testing.T) {
	t.Parallel()
	fast, all := 0, 0
	// With what FuzzParseAgreement has found here, which it does not
	// take as seeds: it reads its own corpus anyway.
	for _, data := range append(agreementSeeds(t), fuzzCache(t, "FuzzParseAgreement")...) {
		if checkAgreement(t, data) {
			fast++
		}
		all++
	}
	t.Logf("fast path taken for %d of %d seed pages", fast, all)
}

// mutations are edits at a tag boundary, each aimed at a rule of HTML5 tree
// building that makes the tree differ from the tags' plain nesting, or at
// something parseFast must see through.
var mutations = []string{
	"</p>", "<p>", "<p/>", "</li>", "<li>", "<li data-role=list-divider>Tue 11/06/2019</li>",
	"<table>", "</table>", "<tbody>", "</tbody>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "<caption>",
	"x", " ", "&nbsp;", "&#32;", "\x00", "\xff", "\r\n",
	"<b>", "</b>", "<a>", "</a>", "<font>", "<span>", "</span>", "<text>", "</text>", "<nobr>",
	"<svg>", "<math>", "<div>", "</div>", "<div data-role=page>", "<div data-role=content>",
	"<ul>", "</ul>", "<ul data-role=listview>", "<h1>", "</h1>", "<form>", "<button>", "<select>",
	"<br>", "</br>", "<br/>", "<img>", "<hr>", "<input>", "<meta>", "<title>t</title>",
	"<!-- c -->", "<!-->", "<!", "<?x>", "</>", "</ x>", "<![CDATA[x]]>", "<!DOCTYPE html>",
	"<script>x</script>", "<script>", "<style>", "<template>", "<noscript>", "<textarea>", "<plaintext>",
	"<frameset>", "<html>", "</html>", "<head>", "</head>", "<body>", "</body>",
}

var allMutations = flag.Bool("mutate.all", false, "TestParseAgreementMutations: mutate at every tag, not a sample")

// TestParseAgreementMutations edits small roster pages one tag at a time,
// by deleting the tag or inserting a mutation before it, and checks that
// the fast path declines or agrees with the reference. Parse itself adds
// nothing here: FuzzParseAgreement's seeds check it. All the edits take
// about a minute with the race detector off; by default a fixed sample of
// the tags, one in 16, is edited.
func TestParseAgreementMutations(t *testing.T) {
	t.Parallel()
	stride := 16
	if *allMutations {
		stride = 1
	}
	var b bytes.Buffer
	require.NoError(t, mockserver.RenderRoster(&b, mockserver.DemoRoster(fixedToday)[:3]))
	bases := [][]byte{snapshot.GenPage(t, 11), b.Bytes()}
	if data, err := os.ReadFile(filepath.Join(referenceDir, "roster.html")); err == nil {
		bases = append(bases, data)
	}
	fast, all := 0, 0
	for _, base := range bases {
		for i, n := 0, 0; i < len(base); i++ {
			if base[i] != '<' {
				continue
			}
			if n++; n%stride != 0 {
				continue
			}
			var variants [][]byte
			if j := bytes.IndexByte(base[i:], '>'); j > 0 {
				variants = append(variants, concat(base[:i], base[i+j+1:]))
			}
			for _, m := range mutations {
				variants = append(variants, concat(base[:i], []byte(m), base[i:]))
			}
			for _, v := range variants {
				want, err := snapshot.ParseTree(v)
				if checkFast(t, v, want, err) {
					fast++
				}
				all++
			}
		}
	}
	t.Logf("fast path taken for %d of %d mutated pages", fast, all)
}

func concat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

// TestParseReaders checks that Parse gives what the reference gives however
// r delivers the page: the fast path records what it reads for the tree
// parser to read again, and read errors must surface where they did.
func TestParseReaders(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	pages := map[string][]byte{
		"fast":     snapshot.GenPage(t, 30),
		"declined": bytes.Replace(snapshot.GenPage(t, 30), []byte("</li>"), []byte("<svg></svg></li>"), 1),
		"rejected": []byte(`<div data-role="page" id="home-index"></div>`),
		"empty":    nil,
	}
	readers := map[string]func([]byte) io.Reader{
		"whole":           func(b []byte) io.Reader { return bytes.NewReader(b) },
		"one byte":        func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"half":            func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
		"data with EOF":   func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
		"then error":      func(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b), iotest.ErrReader(boom)) },
		"half then error": func(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b[:len(b)/2]), iotest.ErrReader(boom)) },
		"timeout":         func(b []byte) io.Reader { return iotest.TimeoutReader(bytes.NewReader(b)) },
	}
	for pn, page := range pages {
		for rn, reader := range readers {
			t.Run(pn+"/"+rn, func(t *testing.T) {
				want, wantErr := snapshot.ParseTreeFrom(reader(page))
				got, err := snapshot.Parse(reader(page))
				sameOutcome(t, "Parse", want, wantErr, got, err)
			})
		}
	}
}
