package mockserver

import (
	"fmt"
	"strconv"
	"strings"
)

// Fault is a set of ways the server misbehaves. Real instances, and the
// proxies and networks in front of them, fail in these ways; clients are
// tested against each one. Faults combine with |. Faults that need a
// parameter (a delay, a request count) are options of their own, such as
// WithLatency and WithSessionExpiry, rather than bits here.
//
// A fault applies to every request when given to WithFault or SetFaults,
// and to the requests of one Step only when given to WithStepFault or in
// a FaultPlan's Steps. When several faults that decide the answer are in force
// for a request, the first of this order wins: Hang, Reset, Proxy403,
// Unavailable, ServerError, RedirectLoop, then the page itself (which
// OtherValidation, AccountLocked, FrenchValidation, ScriptLoginForm,
// ScriptLoginField, ScriptRoster, ScriptFillsRoster, ScriptRosterPage and
// LoginError500 change; the first of the three validation faults wins,
// before ScriptLoginField's refusal). Truncated cuts short whichever answer that is.
type Fault uint32

const (
	// FaultProxy403 answers every request with a 403 page from an imagined
	// proxy: no jQuery Mobile page at all, like reference/unexpected.html.
	FaultProxy403 Fault = 1 << iota
	// FaultOtherValidation makes every login POST that carries a good
	// anti-forgery token fail with "The authentication mechanism is
	// unknown.", as reference/login-baderror.html does. Any message on
	// the login page after a submit is a refused login (the client
	// cannot tell a lock-out from a glitch), which a client must not
	// retry blindly: session reports it as *LoginRefusedError.
	FaultOtherValidation
	// FaultScriptLoginForm serves a login page without a form; an inline
	// script builds the same form about 50 ms after load. Only a client that
	// runs scripts and waits for the form can log in.
	FaultScriptLoginForm
	// FaultLoginError500 answers GET of the login page with a 500 error page.
	// It is the login step's case of FaultServerError, with the message of
	// a different failure.
	FaultLoginError500
	// FaultHang accepts the request and never answers: the handler holds it
	// until the client goes away or Server.Close is called, then drops the
	// connection without a response. Server.Hanging counts the requests
	// being held.
	FaultHang
	// FaultReset resets the connection instead of answering (TCP RST, with
	// SO_LINGER 0), so the client sees "connection reset by peer".
	FaultReset
	// FaultRedirectLoop redirects every request to itself, forever: 302 for
	// GET and HEAD, 307 (which keeps the method and body) for the rest, so
	// that a loop on a step stays on that step.
	FaultRedirectLoop
	// FaultTruncated cuts the answer short: the headers declare the whole
	// body's Content-Length, half of the body is sent, and the connection
	// is closed. The headers, status and cookies are those of the answer
	// the request would otherwise get.
	FaultTruncated
	// FaultServerError answers with a 500 ASP.NET error page, as an
	// unhandled exception in the application does.
	FaultServerError
	// FaultUnavailable answers with a 503 page from the web server, as when
	// the application is stopped or overloaded: not a RosterOn page at all.
	FaultUnavailable
	// FaultScriptRoster serves a roster page without its list; an inline
	// script builds the same list about 50 ms after load. Only a client
	// that runs the page's scripts and waits for the list can read it.
	FaultScriptRoster
	// FaultAccountLocked makes every login POST that carries a good
	// anti-forgery token fail with a message that the account is locked
	// out, worded unlike the known "bad password" sentence: a refused
	// login all the same.
	FaultAccountLocked
	// FaultFrenchValidation makes every login POST that carries a good
	// anti-forgery token fail with the "bad password" message in French,
	// as a localised instance would: a refused login all the same.
	FaultFrenchValidation
	// FaultScriptFillsRoster serves a roster page whose list is there but
	// empty; an inline script fills it, about 50 ms after load, from data
	// inline in the page. A client that reads the page as sent sees an
	// empty roster: only one that runs the page's scripts, and lets them
	// settle, reads the shifts.
	FaultScriptFillsRoster
	// FaultScriptLoginField gives the login form as sent a hidden field,
	// ClientCheck, that is empty until an inline script of the page
	// sets it; a login POST without the script's value is refused with
	// the "bad password" message, whatever the password. Only a client
	// that runs the login page's scripts can log in. It needs to be in
	// force for the login page and for the login's post (the login and
	// home steps), as WithFault has it.
	FaultScriptLoginField
	// FaultScriptRosterPage serves a roster page whose body holds no
	// page at all, only a placeholder: after load an inline script asks
	// the same URL again with XMLHttpRequest (X-Requested-With:
	// XMLHttpRequest, as ASP.NET MVC's Request.IsAjaxRequest reads it),
	// which answers with the roster's page element alone, list and all,
	// and puts it in the placeholder's place. A client that reads the
	// page as sent finds no RosterOn page: only one that renders the
	// page and lets its scripts and their request settle reads it.
	FaultScriptRosterPage
)

// faultNames lists every fault, in bit order; a new fault needs a line here
// so that String and ParseFaultPlan know it.
var faultNames = []struct {
	f    Fault
	name string
}{
	{FaultProxy403, "Proxy403"},
	{FaultOtherValidation, "OtherValidation"},
	{FaultScriptLoginForm, "ScriptLoginForm"},
	{FaultLoginError500, "LoginError500"},
	{FaultHang, "Hang"},
	{FaultReset, "Reset"},
	{FaultRedirectLoop, "RedirectLoop"},
	{FaultTruncated, "Truncated"},
	{FaultServerError, "ServerError"},
	{FaultUnavailable, "Unavailable"},
	{FaultScriptRoster, "ScriptRoster"},
	{FaultAccountLocked, "AccountLocked"},
	{FaultFrenchValidation, "FrenchValidation"},
	{FaultScriptFillsRoster, "ScriptFillsRoster"},
	{FaultScriptLoginField, "ScriptLoginField"},
	{FaultScriptRosterPage, "ScriptRosterPage"},
}

// Has reports whether every fault in g is set in f.
func (f Fault) Has(g Fault) bool { return f&g == g }

// String names the set faults joined by "|", a form ParseFaultPlan reads.
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

func splitFaults(s string) []string {
	var parts []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ',' }) {
		part = strings.TrimSpace(part)
		if part == "" || strings.EqualFold(part, "none") {
			continue
		}
		parts = append(parts, part)
	}
	return parts
}

func parseOneFault(part string) (Fault, error) {
	name := part
	if len(name) > len("Fault") && strings.EqualFold(name[:len("Fault")], "Fault") {
		name = name[len("Fault"):]
	}
	for _, n := range faultNames {
		if strings.EqualFold(name, n.name) {
			return n.f, nil
		}
	}
	return 0, fmt.Errorf("mockserver: unknown fault %q (known: %s)", part, allFaults().String())
}

func allFaults() Fault {
	var all Fault
	for _, n := range faultNames {
		all |= n.f
	}
	return all
}

// Step is one stage of a client's visit, the unit a fault can be scoped
// to. Requests outside the four steps (stylesheets, scripts, unknown paths,
// the base path without its slash) belong to no step: only faults for every
// request reach them.
type Step uint8

const (
	// StepLogin is GET (or HEAD) of {base}/Account/Login, with or without
	// a ReturnUrl: loading the login page.
	StepLogin Step = iota + 1
	// StepHome is POST of {base}/Account/Login and GET (or HEAD) of
	// {base}/ after it: logging in and landing on the home page.
	StepHome
	// StepRoster is GET (or HEAD) of {base}/Roster/List.
	StepRoster
	// StepLogout is GET or POST of {base}/Account/LogOff.
	StepLogout

	numSteps = iota + 1 // 0 is no step
)

var stepNames = [numSteps]string{"", "login", "home", "roster", "logout"}

// steps returns every step in the order a client visits them.
func steps() []Step { return []Step{StepLogin, StepHome, StepRoster, StepLogout} }

func (st Step) valid() bool { return st > 0 && st < numSteps }

// String returns the step's name as ParseFaultPlan reads it: "login",
// "home", "roster" or "logout".
func (st Step) String() string {
	if !st.valid() {
		return "Step(" + strconv.Itoa(int(st)) + ")"
	}
	return stepNames[st]
}

// parseStep reads a step's name, case-insensitive.
func parseStep(s string) (Step, error) {
	name := strings.TrimSpace(s)
	for _, st := range steps() {
		if strings.EqualFold(name, stepNames[st]) {
			return st, nil
		}
	}
	return 0, fmt.Errorf("mockserver: unknown step %q (known: login, home, roster, logout)", s)
}

// FaultPlan says where faults apply: Every to every request, Steps to the
// requests of one step each. The zero FaultPlan has no faults.
type FaultPlan struct {
	Every Fault
	Steps map[Step]Fault
}

// ParseFaultPlan reads faults separated by "|" or ",", as rosteron mock's
// --fault gives them: each a fault's name, case-insensitive and with or
// without the "Fault" prefix, optionally followed by "@" and a step to
// scope it to. "proxy403,hang@roster,ServerError@login" is a proxy page on
// every request, a hang on the roster and a 500 on the login page. "" and
// "none" mean no fault.
func ParseFaultPlan(s string) (FaultPlan, error) {
	var p FaultPlan
	for _, part := range splitFaults(s) {
		name, stepName, scoped := strings.Cut(part, "@")
		f, err := parseOneFault(strings.TrimSpace(name))
		if err != nil {
			return FaultPlan{}, err
		}
		if !scoped {
			p.Every |= f
			continue
		}
		st, err := parseStep(stepName)
		if err != nil {
			return FaultPlan{}, fmt.Errorf("mockserver: fault %q: %w", part, err)
		}
		if p.Steps == nil {
			p.Steps = make(map[Step]Fault)
		}
		p.Steps[st] |= f
	}
	return p, nil
}

// String writes the plan as ParseFaultPlan reads it, "none" when empty.
func (p FaultPlan) String() string {
	var parts []string
	if p.Every != 0 {
		parts = append(parts, p.Every.String())
	}
	for _, st := range steps() {
		f := p.Steps[st]
		for _, n := range faultNames {
			if f.Has(n.f) {
				parts = append(parts, n.name+"@"+st.String())
				f &^= n.f
			}
		}
		if f != 0 {
			parts = append(parts, "0x"+strconv.FormatUint(uint64(f), 16)+"@"+st.String())
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}
