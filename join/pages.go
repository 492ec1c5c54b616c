package join

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/rosteron/rosteron/feed"
)

var (
	//go:embed templates
	templatesFS embed.FS

	pageCSS = func() string {
		b, err := templatesFS.ReadFile("templates/style.css")
		if err != nil {
			panic(err) // embedded: cannot fail
		}
		return string(b)
	}()

	// pageCSP allows the pages' own inline style, by its hash, and data:
	// images (the QR code); forms may post to this origin alone, and
	// nothing may run a script or frame the pages.
	pageCSP = feed.PageCSP(pageCSS, true)

	pages = func() map[string]*template.Template {
		base := template.Must(template.New("base.html").ParseFS(templatesFS, "templates/base.html"))
		m := make(map[string]*template.Template)
		for _, name := range []string{"join", "joined", "login", "manage", "message", "token", "code"} {
			m[name] = template.Must(template.Must(base.Clone()).ParseFS(templatesFS, "templates/"+name+".html"))
		}
		return m
	}()
)

// setHeaders sets the headers of every answer of the pages: the feed
// page's strict ones, with a policy of the pages' own.
func setHeaders(hd http.Header) {
	feed.SetPageHeaders(hd)
	hd.Set("Content-Security-Policy", pageCSP)
}

// Zones are offered in the forms' list of time zones; any other IANA name
// is taken too.
var Zones = []string{
	"Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane", "Australia/Adelaide",
	"Australia/Perth", "Australia/Hobart", "Australia/Darwin", "Australia/Broken_Hill",
	"Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham", "Europe/London",
	"Europe/Dublin", "UTC",
}

// view is what the templates show; each uses its part.
type view struct {
	Title  string
	CSS    template.CSS
	Base   string
	CSRF   string
	Error  string
	Notice string
	Zones  []string

	MaxUsername, MaxPassword int

	// The join form.
	Instances   []instanceView
	OneInstance *instanceView
	NeedCode    bool
	Username    string
	Zone        string

	// The addresses and codes shown once.
	Addr       *addresses
	ManageCode string
	ManageURL  string

	// The manage page.
	Account *accountView

	// A message.
	Text, Link, LinkText string
}

type instanceView struct {
	Value, Label string
	Selected     bool
}

// addresses are an account's page and feed addresses, shown once.
type addresses struct {
	Page, ICS string
	// Webcal is typed as safe: html/template lets only http, https and
	// mailto through as they are, and this is our own address.
	Webcal template.URL
	QR     template.URL
	QRSize int
}

// addressesOf returns the addresses of token, with the page's QR code.
func (h *handler) addressesOf(token string) (*addresses, error) {
	a := h.plainAddresses(token)
	qr, size, err := feed.QRCode(a.Page)
	if err != nil {
		return a, err
	}
	a.QR, a.QRSize = template.URL(qr), size
	return a, nil
}

// plainAddresses are the addresses of token without their QR code.
func (h *handler) plainAddresses(token string) *addresses {
	page := h.public + "/" + token + "/"
	ics := page + feed.ICSName
	webcal := "webcal" + ics[strings.Index(ics, ":"):]
	return &addresses{Page: page, ICS: ics, Webcal: template.URL(webcal)}
}

// render answers with the page name of v.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	v.CSS = template.CSS(pageCSS)
	v.Base = h.base
	v.Zones = Zones
	v.MaxUsername, v.MaxPassword = maxUsername, maxPassword
	if v.CSRF == "" {
		v.CSRF = h.csrf.token(w, r)
	}
	var b bytes.Buffer
	if err := pages[name].ExecuteTemplate(&b, "base", v); err != nil {
		h.log.printf("rendering the %s page: %v", name, err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("The page could not be made. Try again later.\n"))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.Bytes())
	}
}

// message answers with a page of text, and a link when link is set.
func (h *handler) message(w http.ResponseWriter, r *http.Request, status int, title, text, link string) {
	v := &view{Title: title, Text: text}
	switch {
	case strings.HasSuffix(link, "/join"):
		v.Link, v.LinkText = link, "Join"
	case strings.HasSuffix(link, "/manage/"):
		v.Link, v.LinkText = link, "Manage your account"
	case link != "":
		v.Link, v.LinkText = link, "Back"
	}
	h.render(w, r, status, "message", v)
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusNotFound, "Not found", "There is no such page here.", h.base+"/join")
}

func (h *handler) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	h.message(w, r, http.StatusMethodNotAllowed, "Not allowed",
		"This address does not take that kind of request.", h.base+"/manage/")
}

// forbidden answers a POST whose CSRF token is missing or wrong.
func (h *handler) forbidden(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusForbidden, "Reload the form",
		"This form has expired, or was not sent from this site. Go back, reload the page and try again.", "")
}

// crossOrigin answers a POST that CrossOriginProtection refused.
func (h *handler) crossOrigin(w http.ResponseWriter, r *http.Request) {
	h.log.printf("refused a %s to %s from another site", r.Method, r.URL.Path)
	h.message(w, r, http.StatusForbidden, "Reload the form",
		"This form was sent from another site, and is refused. Open this site's page itself, reload it and try again.", "")
}
