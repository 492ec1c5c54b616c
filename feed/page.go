package feed

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

// The page at /TOKEN/ is for the person whose roster it is, on a phone:
// the shifts of this week and the next, how fresh the roster is, and the
// ways to subscribe. It has no script and loads nothing: its style is
// inline and its QR code a data: URI, and its Content-Security-Policy
// allows nothing else, so it holds no secret beyond the token already in
// its address and sends that address nowhere (Referrer-Policy no-referrer).

var (
	//go:embed page/page.html
	pageHTML string
	//go:embed page/page.css
	pageCSS string

	pageTemplate = template.Must(template.New("page").Parse(pageHTML))
	// pageCSP allows the page's own inline style, by its hash, and data:
	// images; nothing else, scripts least of all.
	pageCSP = PageCSP(pageCSS, false)
)

// PageCSP returns the Content-Security-Policy of a page made as the
// feed's page is: it loads nothing, runs no script, and allows only its
// inline <style> whose text is style (by its hash, so style must be the
// element's text exactly) and data: images (QRCode's). With formAction
// its forms may submit to the page's own origin ('self'); without, to
// nowhere. It may not be framed, nor set a <base>.
func PageCSP(style string, formAction bool) string {
	sum := sha256.Sum256([]byte(style))
	action := "'none'"
	if formAction {
		action = "'self'"
	}
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; img-src data:; base-uri 'none'; form-action " + action + "; frame-ancestors 'none'"
}

// PageStyle is the feed page's style sheet, the text of its inline
// <style>, for another page to look the same: its PageCSP(PageStyle(),
// ...) then allows it.
func PageStyle() string { return pageCSS }

// SetPageHeaders sets on h the strict headers the feed's page is served
// with, for another package's pages to be served alike:
// Content-Security-Policy (PageCSP of the feed page's style, no form
// action), Referrer-Policy no-referrer (the address, which may hold a
// token, goes nowhere), X-Content-Type-Options nosniff, X-Frame-Options
// DENY, Cache-Control no-store and X-Robots-Tag noindex, nofollow. A page
// of its own style, or with a form, sets Content-Security-Policy again
// afterwards, to its PageCSP.
func SetPageHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Robots-Tag", "noindex, nofollow")
}

// HandlerOption configures Handler.
type HandlerOption func(*handler)

// WithPublicURL gives the address people reach the server at, such as
// https://example.org/rosteron when a reverse proxy serves it there: the
// page's subscribe links and QR code use it. Without it they use the
// request's Host and plain http, which is right only when people reach
// the server directly. A nil u is ignored.
func WithPublicURL(u *url.URL) HandlerOption {
	return func(h *handler) {
		if u != nil {
			cp := *u
			cp.Path = strings.TrimRight(cp.Path, "/")
			cp.RawPath, cp.RawQuery, cp.Fragment = "", "", ""
			h.public = &cp
		}
	}
}

// pageData is what the template shows.
type pageData struct {
	Name      string
	CSS       template.CSS
	Fetched   string
	Problem   *problemView
	HasRoster bool
	Weeks     []weekView

	ICS, Google string
	// Webcal is typed as safe: html/template lets only http, https and
	// mailto through as they are, and this is our own address.
	Webcal   template.URL
	JSONName string
	QR       template.URL
	QRSize   int
}

type problemView struct{ Text, Detail string }

type weekView struct {
	Title string
	Days  []dayView
}

type dayView struct {
	Label  string
	Today  bool
	Now    bool // a shift of an earlier day still under way
	Shifts []shiftView
}

type shiftView struct {
	shiftText
	Where string
}

// feedURL is the address of the iCalendar feed as the client reaches it.
func (h *handler) feedURL(r *http.Request, token string) *url.URL {
	u := &url.URL{Scheme: "http", Host: r.Host}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	if h.public != nil {
		cp := *h.public
		u = &cp
	}
	u.Path += "/" + token + "/" + ICSName
	return u
}

// page serves the page; the token has been checked.
func (h *handler) page(w http.ResponseWriter, r *http.Request, token string) {
	ics := h.feedURL(r, token)
	webcal := *ics
	webcal.Scheme = "webcal"
	qr, size, err := qrDataURI(ics.String())
	if err != nil {
		http.Error(w, "making the QR code: "+err.Error(), http.StatusInternalServerError)
		return
	}
	data := pageData{
		Name:     h.feed.calName,
		CSS:      template.CSS(pageCSS),
		ICS:      ics.String(),
		Webcal:   template.URL(webcal.String()),
		Google:   "https://calendar.google.com/calendar/r?cid=" + url.QueryEscape(webcal.String()),
		JSONName: JSONName,
		QR:       template.URL(qr),
		QRSize:   size,
	}
	h.feed.fillPage(&data)
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, data); err != nil {
		http.Error(w, "rendering the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(b.Len()))
	SetPageHeaders(hd)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.Bytes())
	}
}

// fillPage adds the roster and its state to d.
func (f *Feed) fillPage(d *pageData) {
	now := f.wall(f.now())
	st := f.Status()
	c, _, _ := f.current()
	d.Problem = f.problem(st, c, now)
	if c == nil {
		return
	}
	d.HasRoster = true
	d.Fetched = f.when(c.fetched, now)
	d.Weeks = weeks(c.snap.Items, now, f.loc)
}

// when says when t was, for people: "today at 14:03 (5 minutes ago)".
func (f *Feed) when(t, now time.Time) string {
	t = f.wall(t)
	day := "on " + dayText(snapshot.DateOf(t), now.Year())
	switch snapshot.DateOf(t) {
	case snapshot.DateOf(now):
		day = "today"
	case snapshot.DateOf(now).AddDays(-1):
		day = "yesterday"
	}
	return fmt.Sprintf("%s at %s (%s)", day, t.Format("15:04"), ago(now.Sub(t)))
}

// ago says how long d is: "just now", "5 minutes ago", "3 hours ago",
// "2 days ago".
func ago(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return strconv.Itoa(n) + " " + unit + "s ago"
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/(24*time.Hour)), "day")
}

// problem says in plain words what is wrong, if anything.
func (f *Feed) problem(st Status, c *content, now time.Time) *problemView {
	clock := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		lt := f.wall(*t)
		if snapshot.DateOf(lt) == snapshot.DateOf(now) {
			return lt.Format("15:04")
		}
		return dayText(snapshot.DateOf(lt), now.Year()) + " " + lt.Format("15:04")
	}
	next := ""
	if st.NextRefresh != nil {
		next = " The next try is at " + clock(st.NextRefresh) + "."
	}
	switch {
	case !st.Refreshing:
		text := "RosterOn turned down the password, so no more tries will be made until rosteron is restarted " +
			"with the right one, or, if the password is right, with --retry-login to try it once more " +
			"(trying again and again could get the account locked)."
		switch st.Stopped {
		case StopRefused:
			text = fmt.Sprintf("RosterOn refused %d logins in a row (the account may be locked or the password expired), "+
				"so no more tries will be made until rosteron is restarted with a new password, or with --retry-login "+
				"to try this one once more (trying again and again could get the account locked).", MaxRefusals)
		case StopLoginMessage:
			said := "with a message on its login page"
			if st.LoginMessage != "" {
				said = "with this message on its login page: \u201c" + st.LoginMessage + "\u201d"
			}
			text = "RosterOn refused the login " + said + ". No more tries will be made until rosteron is restarted " +
				"(trying again could get the account locked harder). Once what it says is sorted out " +
				"(an account unlocked, say), restart rosteron with --retry-login to try the same password once more, " +
				"or with the new password if it changed."
		}
		if f.resume != "" {
			text = managedStopText(st) + " " + f.resume
		}
		if st.StoppedTime != nil {
			text += " This happened at " + clock(st.StoppedTime) + "."
		}
		if c != nil {
			text += " The roster below may be out of date."
		}
		return &problemView{Text: text, Detail: st.LastError}
	case st.HeldSince != nil && c != nil:
		return &problemView{Text: "RosterOn's last read, at " + clock(st.HeldSince) + ", listed no shifts from today on, " +
			"where the roster below has some. That is more often a glitch, such as a roster being published, than news, " +
			"so the roster below is kept until a second read confirms it." + next}
	case c != nil && st.State == StateStale && st.Failures == 0:
		return &problemView{Text: "This roster is out of date: it was last read " + f.when(*st.LastSuccess, now) +
			". It is being read again now."}
	case c == nil && st.Failures == 0:
		return &problemView{Text: "The roster has not been read yet: the first try is under way. " +
			"The calendar address below works already and fills in once it has."}
	case c == nil:
		return &problemView{Text: fmt.Sprintf("The roster could not be read yet: %s failed, the last at %s.%s",
			tries(st.Failures), clock(st.LastErrorTime), next), Detail: st.LastError}
	case st.Failures > 0:
		return &problemView{Text: fmt.Sprintf("RosterOn could not be read lately: %s failed, the last at %s. "+
			"The roster below is the last one read and may be out of date.%s",
			tries(st.Failures), clock(st.LastErrorTime), next), Detail: st.LastError}
	case st.Stale:
		return &problemView{Text: "This is the roster saved before rosteron was last restarted: it is being read again now."}
	}
	return nil
}

func tries(n int) string {
	if n == 1 {
		return "1 try"
	}
	return strconv.Itoa(n) + " tries in a row"
}

// weeks lays out the shifts from today to the end of next week, weeks
// starting on Monday, every day listed so that days off show as such. A
// shift of an earlier day still under way (a night) comes first.
func weeks(items []snapshot.Item, now time.Time, loc *time.Location) []weekView {
	today := snapshot.DateOf(now)
	monday := today.AddDays(-((int(today.Weekday()) + 6) % 7))
	byDate := make(map[snapshot.Date][]shiftView)
	var under []dayView
	for _, it := range items {
		v := viewShift(it)
		if it.Date.Before(today) {
			s := it.Shift(loc)
			if s.HasTimes() && s.End.After(now) {
				under = append(under, dayView{Label: dayText(it.Date, today.Year), Now: true, Shifts: []shiftView{v}})
			}
			continue
		}
		byDate[it.Date] = append(byDate[it.Date], v)
	}
	out := []weekView{{Title: "This week", Days: under}, {Title: "Next week"}}
	for d := today; !d.After(monday.AddDays(13)); d = d.AddDays(1) {
		w := &out[0]
		if d.After(monday.AddDays(6)) {
			w = &out[1]
		}
		w.Days = append(w.Days, dayView{Label: dayText(d, today.Year), Today: d == today, Shifts: byDate[d]})
	}
	return out
}

func viewShift(it snapshot.Item) shiftView {
	t := readShift(it)
	where := t.Place
	if t.Role != "" {
		if where != "" {
			where += " · "
		}
		where += t.Role
	}
	v := shiftView{shiftText: t, Where: where}
	if t.Leave {
		v.Name = "all day" // the name is in Times
	}
	return v
}

// managedStopText says why refreshes stopped, without the single serve's
// advice (restart, --retry-login), for a feed WithResumeAdvice.
func managedStopText(st Status) string {
	switch st.Stopped {
	case StopRefused:
		return fmt.Sprintf("RosterOn refused %d logins in a row (the account may be locked or the password expired), "+
			"so no more tries will be made: trying again and again could get the account locked.", MaxRefusals)
	case StopLoginMessage:
		said := "with a message on its login page"
		if st.LoginMessage != "" {
			said = "with this message on its login page: \u201c" + st.LoginMessage + "\u201d"
		}
		return "RosterOn refused the login " + said + ". No more tries will be made: trying again could get the account locked harder."
	}
	return "RosterOn turned down the password, so no more tries will be made: trying again and again could get the account locked."
}
