// Package mockserver is an http.Handler that behaves like a RosterOn Mobile
// instance, for tests, for `rosteron demo` and `rosteron mock`, and for
// docker-compose. It serves its own pages in the structure of the real ones
// (see shared/reference/README.md): the login form with its anti-forgery
// token, the home page, the roster list with its divider, warning and shift
// rows, and log off, with ASP.NET's cookies, redirects and error pages. Fault
// modes reproduce the ways real instances and their proxies fail.
//
// Use it over real HTTP:
//
//	srv := httptest.NewServer(mockserver.New())
//	defer srv.Close()
//	base := srv.URL + mockserver.DefaultBasePath // the base URL a client is given
//
// # Demo credentials
//
// A server made without WithUsers accepts three accounts. They are public,
// exist only in this package and protect nothing:
//
//	user name    password             shown as      roster
//	joe.bloggs   demo-only-password   BLOGGS, JOE   DemoRoster: six weeks, every kind of row
//	ann.nurse    ann-demo-password    NURSE, ANN    a fortnight in maternity
//	bob.driver   bob-demo-password    DRIVER, BOB   a week of bus runs
//
// User names match case-insensitively, passwords exactly. The default
// rosters are laid out around the server clock's today (WithClock), so a
// demo always shows current shifts.
//
// # Faults
//
// A Fault applies to every request (WithFault, SetFaults) or to the requests
// of one Step: loading the login page, logging in and landing on the home
// page, the roster, logging out (WithStepFault). A test that
// needs a server that logs in and then never answers the roster says
//
//	srv := mockserver.New(mockserver.WithStepFault(mockserver.StepRoster, mockserver.FaultHang))
//	ts := httptest.NewServer(srv)
//	defer ts.Close()
//	defer srv.Close() // first: lets go of the hung request
//
// Some faults act on the connection rather than the page (FaultHang,
// FaultReset, FaultTruncated); others answer with another page
// (FaultServerError, FaultUnavailable, FaultProxy403, FaultRedirectLoop).
// WithSessionExpiry and ExpireSessions end sessions on the server's side.
// ParseFaultPlan reads faults, with their steps, from a command line, as
// rosteron mock --fault does: "proxy403,hang@roster"; WithFaultPlan sets
// them.
//
// # Rosters that change
//
// A roster changes while the server runs, as a manager's edits change a
// real one: ChangeRoster, with a RosterChange that moves, adds or removes
// a shift or adds a warning, changes a user's roster from the next
// request on, SetRoster replaces it and AddUser adds a user. A server in
// another process is changed the same way over HTTP, at ControlPath
// ("/_mock/"), outside RosterOn's paths:
//
//	curl -X POST http://127.0.0.1:8080/_mock/users/joe.bloggs/changes \
//	     -d '{"op":"move","date":"2026-12-02","times":"09:00 - 17:30"}'
package mockserver
