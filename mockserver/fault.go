package mockserver

import (
	"fmt"
	"strconv"
	"strings"
)

// Fault is a set of ways the server misbehaves. Real instances, and the
// proxies in front of them, fail in these ways; clients are tested against
// each one. Faults combine with |. Faults that need a parameter (a delay, a
// request count) are options of their own, such as WithLatency, rather than
// bits here.
type Fault uint32

const (
	// FaultProxy403 answers every request with a 403 page from an imagined
	// proxy: no jQuery Mobile page at all, like reference/unexpected.html.
	FaultProxy403 Fault = 1 << iota
	// FaultOtherValidation makes every login POST that carries a good
	// anti-forgery token fail with "The authentication mechanism is
	// unknown.", which is not a credentials problem and must not be
	// reported as one.
	FaultOtherValidation
	// FaultScriptLoginForm serves a login page without a form; an inline
	// script builds the same form about 50 ms after load. Only a client that
	// runs scripts and waits for the form can log in.
	FaultScriptLoginForm
	// FaultLoginError500 answers GET of the login page with a 500 error page.
	FaultLoginError500
)

// faultNames lists every fault, in bit order; a new fault needs a line here
// so that String and ParseFault know it.
var faultNames = []struct {
	f    Fault
	name string
}{
	{FaultProxy403, "Proxy403"},
	{FaultOtherValidation, "OtherValidation"},
	{FaultScriptLoginForm, "ScriptLoginForm"},
	{FaultLoginError500, "LoginError500"},
}

// Has reports whether every fault in g is set in f.
func (f Fault) Has(g Fault) bool { return f&g == g }

// String names the set faults joined by "|", the form ParseFault reads.
func (f Fault) String() string {
	if f == 0 {
		return "none"
	}
	var parts []string
	for _, n := range faultNames {
		if f.Has(n.f) {
			parts = append(parts, n.name)
			f &^= n.f
		}
	}
	if f != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(uint64(f), 16))
	}
	return strings.Join(parts, "|")
}

// ParseFault reads fault names separated by "|" or ",", case-insensitive
// and with or without the "Fault" prefix (e.g. "proxy403,ScriptLoginForm"),
// so that a command-line flag can select faults. "" and "none" mean no fault.
func ParseFault(s string) (Fault, error) {
	var f Fault
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ',' }) {
		part = strings.TrimSpace(part)
		if part == "" || strings.EqualFold(part, "none") {
			continue
		}
		name := part
		if len(name) > len("Fault") && strings.EqualFold(name[:len("Fault")], "Fault") {
			name = name[len("Fault"):]
		}
		found := false
		for _, n := range faultNames {
			if strings.EqualFold(name, n.name) {
				f |= n.f
				found = true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("mockserver: unknown fault %q (known: %s)", part, allFaults().String())
		}
	}
	return f, nil
}

func allFaults() Fault {
	var all Fault
	for _, n := range faultNames {
		all |= n.f
	}
	return all
}
