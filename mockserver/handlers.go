package mockserver

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// response is a whole answer, built before anything goes on the wire.
type response struct {
	status int
	header http.Header
	body   []byte
	// static is a file as IIS serves it: no Cache-Control unless the
	// handler set one.
	static bool
}

const htmlType = "text/html; charset=utf-8"

func page(status int, body []byte) *response {
	h := http.Header{}
	h.Set("Content-Type", htmlType)
	h.Set("Cache-Control", "private")
	return &response{status: status, header: h, body: body}
}

func (s *Server) write(w http.ResponseWriter, r *http.Request, resp *response) {
	s.fillHeader(w.Header(), resp)
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(resp.body)
	}
}

// fillHeader puts resp's header in h, with the headers every answer has.
func (s *Server) fillHeader(h http.Header, resp *response) {
	for k, v := range resp.header {
		h[k] = v
	}
	// net/http adds Date only when absent, from the real clock; the mock's
	// clock must win so clients can be tested on "when was this true".
	h.Set("Date", s.clock().UTC().Format(http.TimeFormat))
	if h.Get("Cache-Control") == "" && !resp.static {
		h.Set("Cache-Control", "private")
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
}

func redirect(status int, location string) *response {
	var b bytes.Buffer
	if err := execute(&b, "moved", movedView{Location: location}); err != nil {
		b.Reset()
	}
	resp := page(status, b.Bytes())
	resp.header.Set("Location", location)
	return resp
}

// toLogin sends an anonymous request to the login page, remembering where it
// was going the way ASP.NET forms authentication does.
func (s *Server) toLogin(r *http.Request) *response {
	return redirect(http.StatusFound, s.base+"/Account/Login?ReturnUrl="+aspURLEncode(r.URL.RequestURI()))
}

func (s *Server) home(r *http.Request) *response {
	a, ok := s.currentUser(r)
	if !ok {
		return s.toLogin(r)
	}
	name := a.user.Name
	if name == "" {
		name = a.user.Username
	}
	return s.render(http.StatusOK, "home", homeView{layoutView: s.layout("RosterOn"), Name: name})
}

func (s *Server) roster(r *http.Request, faults Fault) *response {
	a, ok := s.currentUser(r)
	if !ok {
		return s.toLogin(r)
	}
	script := rosterScripting(faults)
	if script == scriptPage && r.Header.Get("X-Requested-With") == "XMLHttpRequest" {
		script = scriptPagePart
	}
	var b bytes.Buffer
	if err := renderRosterPage(&b, s.layout(""), s.rosterOf(a), script); err != nil {
		return s.serverError(err.Error())
	}
	return page(http.StatusOK, b.Bytes())
}

func (s *Server) loginPage(r *http.Request, faults Fault) *response {
	if faults.Has(FaultLoginError500) {
		return s.serverError("Object reference not set to an instance of an object.")
	}
	nonce, ok := s.cookieNonce(r)
	var setCookie string
	if !ok {
		var token string
		token, nonce = s.newCookieToken()
		setCookie = tokenName + "=" + token + "; path=/; HttpOnly"
	}
	resp := s.loginForm(r, faults, nonce, "", nil)
	if setCookie != "" {
		resp.header.Add("Set-Cookie", setCookie)
	}
	return resp
}

// Validation messages a real instance shows in the login page's summary.
const (
	msgLogonFailure  = "Logon failure: unknown user name or bad password."
	msgUnknownMethod = "The authentication mechanism is unknown."
	// Not captured from a real instance: a lock-out worded as Active
	// Directory words it, and the bad-password sentence localised.
	msgAccountLocked = "The referenced account is currently locked out and may not be logged on to."
	msgFrench        = "Échec de l'ouverture de session : nom d'utilisateur inconnu ou mot de passe incorrect."
)

// The hidden field of FaultScriptLoginField, and the value its script
// sets.
const (
	scriptFieldName  = "ClientCheck"
	scriptFieldValue = "set-by-script"
)

func (s *Server) loginPost(r *http.Request, faults Fault) *response {
	if err := r.ParseForm(); err != nil {
		return s.errorPage(http.StatusBadRequest, "The request could not be read: "+err.Error())
	}
	if msg := s.checkAntiForgery(r); msg != "" {
		return s.serverError(msg)
	}
	nonce, _ := s.cookieNonce(r)
	username := r.PostFormValue("UserName")
	switch {
	case faults.Has(FaultOtherValidation):
		return s.loginForm(r, faults, nonce, username, []string{msgUnknownMethod})
	case faults.Has(FaultAccountLocked):
		return s.loginForm(r, faults, nonce, username, []string{msgAccountLocked})
	case faults.Has(FaultFrenchValidation):
		return s.loginForm(r, faults, nonce, username, []string{msgFrench})
	case faults.Has(FaultScriptLoginField) && r.PostFormValue(scriptFieldName) != scriptFieldValue:
		// Posted without the login page's script having run.
		return s.loginForm(r, faults, nonce, username, []string{msgLogonFailure})
	}
	i, ok := s.authenticate(username, r.PostFormValue("Password"))
	if !ok {
		return s.loginForm(r, faults, nonce, username, []string{msgLogonFailure})
	}
	token := s.startSession(i)
	target := s.base + "/"
	if ret, ok := s.localReturnURL(r.URL.Query().Get("ReturnUrl")); ok {
		target = ret
	}
	resp := redirect(http.StatusFound, target)
	resp.header.Add("Set-Cookie", authCookie+"="+token+"; path=/; HttpOnly")
	return resp
}

func (s *Server) loginForm(r *http.Request, faults Fault, nonce []byte, username string, errs []string) *response {
	action := s.base + "/Account/Login"
	if ret := r.URL.Query().Get("ReturnUrl"); ret != "" {
		action += "?ReturnUrl=" + aspURLEncode(ret)
	}
	// A trailing newline in each message, as real instances send, keeps
	// clients honest about trimming.
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e + "\n"
	}
	var field *scriptField
	if faults.Has(FaultScriptLoginField) {
		field = &scriptField{Name: scriptFieldName, Value: scriptFieldValue}
	}
	return s.render(http.StatusOK, "login", loginView{
		layoutView:  s.layout("RosterOn - Log in"),
		Action:      action,
		Token:       s.formToken(nonce),
		UserName:    username,
		Errors:      msgs,
		Scripted:    faults.Has(FaultScriptLoginForm),
		ScriptField: field,
	})
}

// localReturnURL accepts a ReturnUrl only when it stays on this application,
// so the login page cannot be used to send people elsewhere.
func (s *Server) localReturnURL(ret string) (string, bool) {
	if !strings.HasPrefix(ret, "/") || strings.HasPrefix(ret, "//") || strings.ContainsAny(ret, "\\") {
		return "", false
	}
	for _, c := range []byte(ret) {
		if c < 0x20 || c == 0x7f {
			return "", false
		}
	}
	u, err := url.Parse(ret)
	if err != nil || u.Scheme != "" || u.Host != "" || !s.underBase(u.Path) {
		return "", false
	}
	return ret, true
}

func (s *Server) logOff(r *http.Request) *response {
	s.endSession(r)
	resp := redirect(http.StatusFound, s.base+"/Account/Login")
	resp.header.Add("Set-Cookie", authCookie+"=; expires=Thu, 01-Jan-1970 00:00:00 GMT; path=/; HttpOnly")
	return resp
}

func (s *Server) render(status int, name string, view any) *response {
	var b bytes.Buffer
	if err := execute(&b, name, view); err != nil {
		return s.serverError(err.Error())
	}
	return page(status, b.Bytes())
}

func (s *Server) serverError(msg string) *response {
	return s.errorPage(http.StatusInternalServerError, msg)
}

// errorPage is the yellow ASP.NET error page: no jQuery Mobile page div.
func (s *Server) errorPage(status int, msg string) *response {
	var b bytes.Buffer
	app := s.base
	if app == "" {
		app = "/"
	}
	if err := execute(&b, "error", errorView{App: app, Status: status, StatusText: http.StatusText(status), Message: msg}); err != nil {
		b.Reset()
		b.WriteString("Server Error\n")
	}
	return page(status, b.Bytes())
}

func notFound() *response {
	var b bytes.Buffer
	if err := execute(&b, "notfound", nil); err != nil {
		b.Reset()
		b.WriteString("404 Not Found\n")
	}
	return page(http.StatusNotFound, b.Bytes())
}

func proxyForbidden() *response {
	var b bytes.Buffer
	if err := execute(&b, "proxy403", nil); err != nil {
		b.Reset()
		b.WriteString("403 Forbidden\n")
	}
	resp := page(http.StatusForbidden, b.Bytes())
	resp.header.Set("Cache-Control", "no-cache")
	return resp
}

// aspURLEncode escapes like .NET's HttpUtility.UrlEncode: lower-case hex and
// '+' for space, so redirects read as a real instance's do
// (ReturnUrl=%2fRosterOnProd%2fMobile%2f).
func aspURLEncode(s string) string {
	const hexDigits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '!', c == '*', c == '(', c == ')':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xF])
		}
	}
	return b.String()
}
