package snapshot_test

import (
	"bufio"
	"bytes"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// FuzzParseAgreement checks that Parse, and its fast path wherever that
// accepts a page, give exactly what the html.Parse reference gives: the
// same items, or the same error. Run it with
//
//	go test -run='^$' -fuzz=FuzzParseAgreement -fuzztime=2m ./snapshot/
func FuzzParseAgreement(f *testing.F) {
	for _, s := range agreementSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgreement(t, data)
	})
}

// checkAgreement fails t unless Parse and parseFast agree with parseTree on
// data, and reports whether parseFast accepted it.
func checkAgreement(t testing.TB, data []byte) (fast bool) {
	t.Helper()
	want, wantErr := snapshot.ParseTree(data)
	got, err := snapshot.Parse(bytes.NewReader(data))
	sameOutcome(t, "Parse", want, wantErr, got, err)
	return checkFast(t, data, want, wantErr)
}

// checkFast fails t if parseFast accepts data but disagrees with the
// reference's want and wantErr, and reports whether it accepted data.
func checkFast(t testing.TB, data []byte, want []snapshot.Item, wantErr error) bool {
	t.Helper()
	items, ok := snapshot.ParseFast(data)
	if ok {
		sameOutcome(t, "parseFast", want, wantErr, items, nil)
	}
	return ok
}

func sameOutcome(t testing.TB, who string, want []snapshot.Item, wantErr error, got []snapshot.Item, err error) {
	t.Helper()
	if wantErr == nil {
		require.NoError(t, err, "%s fails where the reference does not", who)
		// Equal compares with reflect.DeepEqual: a nil Warnings and an
		// empty one differ, as they do in JSON.
		require.Equal(t, want, got, "%s disagrees with the reference", who)
		return
	}
	require.Error(t, err, "%s accepts a page the reference rejects with %v", who, wantErr)
	require.Nil(t, got, "%s returned items with its error", who)
	// Word for word: whoever reports an error, a log line must not
	// depend on which path read the page.
	require.Equal(t, wantErr.Error(), err.Error(), "%s's error differs", who)
	for _, class := range []error{snapshot.ErrNotRoster, snapshot.ErrMalformed} {
		require.Equal(t, errors.Is(wantErr, class), errors.Is(err, class), "%s's error class differs", who)
	}
	var wantPE, gotPE *snapshot.ParseError
	require.Equal(t, errors.As(wantErr, &wantPE), errors.As(err, &gotPE), "%s: *ParseError or not", who)
	if wantPE != nil {
		require.Equal(t, *wantPE, *gotPE, "%s's *ParseError differs", who)
	}
}

// agreementSeeds gathers every page the tests know: testdata and golden
// files, the tests' own inputs, generated and mock-rendered rosters, the
// real captures and the corpus FuzzParse has built up here, if any.
func agreementSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var seeds [][]byte
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	require.NoError(tb, err)
	refs, _ := filepath.Glob(filepath.Join(referenceDir, "*.html"))
	for _, name := range append(files, refs...) {
		if fi, err := os.Stat(name); err != nil || fi.IsDir() {
			continue
		}
		data, err := os.ReadFile(name)
		require.NoError(tb, err)
		seeds = append(seeds, data)
	}
	seeds = append(seeds, snapshot.KnownInputs()...)
	seeds = append(seeds, snapshot.GenPage(tb, 1), snapshot.GenPage(tb, 12))
	seeds = append(seeds, mockPages(tb)...)
	seeds = append(seeds, fuzzCache(tb, "FuzzParse")...)
	return seeds
}

// referenceDir holds pages captured from a real RosterOn instance, outside
// the repository; seeds skip them where it is absent.
const referenceDir = "../../shared/reference/rosteron-mobile"

var fixedToday = time.Date(2019, time.June, 10, 8, 28, 37, 0, time.UTC)

// mockPages returns the mock server's roster pages and its login page.
func mockPages(tb testing.TB) [][]byte {
	tb.Helper()
	d := snapshot.Date{Year: 2019, Month: time.June, Day: 11}
	var pages [][]byte
	for _, items := range [][]snapshot.Item{
		mockserver.DemoRoster(fixedToday),
		nil,
		{
			{Date: d, Title: "T", Detail: []snapshot.Field{snapshot.Text("04:40 - 12:40"), snapshot.Empty}, Warnings: []string{"W1", "W2"}},
			{Date: d, Title: "T"},
			{Date: d, Title: "O'Brien & <Co>", Detail: []snapshot.Field{snapshot.Text("Zoë"), snapshot.Empty, snapshot.Empty}},
		},
	} {
		var b bytes.Buffer
		require.NoError(tb, mockserver.RenderRoster(&b, items))
		pages = append(pages, b.Bytes())
	}
	srv := mockserver.New()
	defer srv.Close()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", srv.BasePath()+"/Account/Login", nil))
	return append(pages, rec.Body.Bytes())
}

// fuzzCache returns the inputs that go test -fuzz has kept for the named
// target of this package in the build cache, if any: many odd pages no
// table of tests holds.
func fuzzCache(tb testing.TB, target string) [][]byte {
	tb.Helper()
	cache := os.Getenv("GOCACHE")
	if cache == "" {
		out, err := exec.Command("go", "env", "GOCACHE").Output()
		if err != nil {
			return nil
		}
		cache = strings.TrimSpace(string(out))
	}
	files, _ := filepath.Glob(filepath.Join(cache, "fuzz", "github.com", "rosteron", "rosteron", "snapshot", target, "*"))
	var inputs [][]byte
	for _, name := range files {
		if data, ok := readCorpusFile(name); ok {
			inputs = append(inputs, data)
		}
	}
	return inputs
}

// readCorpusFile reads a one-[]byte corpus file, "go test fuzz v1" then
// []byte("...").
func readCorpusFile(name string) ([]byte, bool) {
	f, err := os.Open(name)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	if !sc.Scan() || sc.Text() != "go test fuzz v1" || !sc.Scan() {
		return nil, false
	}
	lit, ok := strings.CutPrefix(sc.Text(), "[]byte(")
	if !ok {
		return nil, false
	}
	if lit, ok = strings.CutSuffix(lit, ")"); !ok {
		return nil, false
	}
	s, err := strconv.Unquote(lit)
	if err != nil {
		return nil, false
	}
	return []byte(s), true
}
