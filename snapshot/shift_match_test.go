package snapshot

import (
	"math/rand/v2"
	"testing"
)

// checkMatchers fails t unless matchTimeRange gives what timeRange gives,
// and hasFold is true wherever the word patterns match s.
func checkMatchers(t *testing.T, s string) {
	t.Helper()
	want := timeRange.FindStringSubmatch(s)
	got, ok := matchTimeRange(s)
	if (want != nil) != ok {
		t.Fatalf("matchTimeRange(%q): ok %v, timeRange matches %v", s, ok, want != nil)
	}
	if ok && [5]string(want) != got {
		t.Fatalf("matchTimeRange(%q) = %q, timeRange %q", s, got, want)
	}
	if onCallWord.MatchString(s) && !hasFold(s, "call") {
		t.Fatalf("hasFold(%q, call) false where onCallWord matches", s)
	}
	if leaveWord.MatchString(s) && !hasFold(s, "leave") {
		t.Fatalf("hasFold(%q, leave) false where leaveWord matches", s)
	}
}

func TestMatchersAgreeWithRegexps(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "07:00 - 15:30", "7:00-15:30", "07:00 -15:30", "07:00- 15:30", "07:00  - 15:30",
		"007:00 - 15:30", "07:000 - 15:30", "07:00 - 15:3", "07:00 - 15:30 ", " 07:00 - 15:30", "24:00 - 99:99",
		"07:00 - 15:30x", "On call", "ONCALL", "on-call", "Annual Leave", "LEAVE", "cleave", "Ｏｎ call", "0:00-0:00", "1:2-3:45"} {
		checkMatchers(t, s)
	}
	rng := rand.New(rand.NewPCG(16, 4))
	const alphabet = "0123456789: -:0123456789 xLeavEcalLON\u00e9"
	for range 200000 {
		b := make([]byte, rng.IntN(16))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		checkMatchers(t, string(b))
	}
}

func FuzzMatchers(f *testing.F) {
	f.Add("07:00 - 15:30")
	f.Add("On-call: 20:30-08:30")
	f.Add("Annual Leave")
	f.Fuzz(func(t *testing.T, s string) { checkMatchers(t, s) })
}
