package join

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/netguard"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/store"
)

// accountView is an account on its manage page.
type accountView struct {
	Username, Instance, Zone string

	State, StateClass, Why string
	LastGood, NextRefresh  string

	Paused        bool
	PauseReason   string
	CanResume     bool
	PasswordPause bool

	Alerts      []string
	Ntfy, Email string
	OtherAlerts int
	CalDAV      *store.CalDAV
}

// The notices of the manage page after a change, by the ?done= of its
// address (which holds nothing else).
var doneNotices = map[string]string{
	"zone":     "The time zone is saved.",
	"alerts":   "The alerts are saved.",
	"caldav":   "The calendar sync is saved: your shifts are written there at the next refresh.",
	"nocaldav": "The calendar sync is stopped. The events already written stay in that calendar.",
	"paused":   "Paused: your roster is not read until you resume. Your page shows the last one read.",
	"resumed":  "Resumed: your roster is being read now.",
	"password": "RosterOn accepted the new password, and it is saved.",
}

// manageAction returns the handler of the POST /manage/act, nil for none.
func (h *handler) manageAction(act string) func(http.ResponseWriter, *http.Request) {
	switch act {
	case "login":
		return h.manageLogin
	case "logout":
		return h.manageLogout
	}
	fn := map[string]func(http.ResponseWriter, *http.Request, *store.Account){
		"zone":     h.setZone,
		"alerts":   h.setAlerts,
		"caldav":   h.setCalDAV,
		"pause":    h.pause,
		"resume":   h.resume,
		"password": h.setPassword,
		"token":    h.newToken,
		"code":     h.newCode,
		"delete":   h.deleteAccount,
	}[act]
	if fn == nil {
		return nil
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.parsePost(w, r) {
			return
		}
		a, ok := h.account(r)
		if !ok {
			h.sess.clear(w)
			h.render(w, r, http.StatusForbidden, "login", &view{Title: "Manage your account",
				Error: "Your manage session has ended: enter your manage code again, then make the change again."})
			return
		}
		if !h.take(w, r, fmt.Sprintf("manage:%d", a.ID), h.limits.Manage, "a change to "+who(a)) {
			return
		}
		fn(w, r, a)
	}
}

// account returns the account of r's manage session, if it has one still
// good: its cookie opens, has not expired, and its manage code is still
// the account's.
func (h *handler) account(r *http.Request) (*store.Account, bool) {
	id, code, err := h.sess.open(r, h.now())
	if err != nil {
		return nil, false
	}
	a, err := h.cfg.Store.ByManage(r.Context(), code)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.log.printf("looking up a manage session of account #%d: %v", id, err)
		}
		return nil, false
	}
	if a.ID != id {
		return nil, false
	}
	return a, true
}

func (h *handler) manageHome(w http.ResponseWriter, r *http.Request) {
	a, ok := h.account(r)
	if !ok {
		h.render(w, r, http.StatusOK, "login", &view{Title: "Manage your account"})
		return
	}
	h.showAccount(w, r, a, http.StatusOK, doneNotices[r.URL.Query().Get("done")], "")
}

// showAccount answers with the account's manage page.
func (h *handler) showAccount(w http.ResponseWriter, r *http.Request, a *store.Account, status int, notice, problem string) {
	av, err := h.accountView(r.Context(), a)
	if err != nil {
		h.log.printf("%s: reading its settings: %v", who(a), err)
		h.message(w, r, http.StatusInternalServerError, "Try again later", "Your account's settings could not be read. Try again later.", "")
		return
	}
	h.render(w, r, status, "manage", &view{Title: "Your account", Account: av, Notice: notice, Error: problem})
}

func (h *handler) accountView(ctx context.Context, a *store.Account) (*accountView, error) {
	set, err := h.cfg.Store.Settings(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	loc := time.UTC
	if l, msg := checkZone(a.Zone); msg == "" {
		loc = l
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
	}
	v := &accountView{
		Username:    a.Username,
		Instance:    instanceLabel(a.Instance),
		Zone:        a.Zone,
		Why:         a.Health.Why,
		LastGood:    when(a.Health.LastGood),
		NextRefresh: when(a.Health.NextRefresh),
		Paused:      a.Paused,
		PauseReason: a.PauseReason,
		CanResume:   a.Paused && a.PauseReason == PausedByOwner,
		CalDAV:      set.CalDAV,
	}
	v.PasswordPause = a.Paused && resumesOnPassword(a.PauseReason)
	switch a.Health.State {
	case feed.StateOK:
		v.State, v.StateClass = "OK", "state-ok"
	case feed.StateStale:
		v.State, v.StateClass = "Stale", "state-bad"
	case feed.StateStopped:
		v.State, v.StateClass = "Stopped", "state-bad"
	default:
		v.State = "Starting"
	}
	ntfy, email, others := splitNotify(set.Notify)
	v.Ntfy, v.OtherAlerts = ntfy, len(others)
	v.Email = strings.TrimPrefix(email, feed.MailtoPrefix)
	for _, n := range set.Notify {
		if t, err := feed.ParseTarget(n); err == nil {
			v.Alerts = append(v.Alerts, t.String())
		}
	}
	return v, nil
}

// resumesOnPassword reports whether a pause of that reason ends with a
// password RosterOn accepts: any but the owner's or the operator's.
func resumesOnPassword(reason string) bool {
	return !strings.HasPrefix(reason, "paused by")
}

// splitNotify returns the alert targets the manage page sets, the first
// https URL (an ntfy topic) and the first email address, and the others
// (set by the operator), which it keeps as they are.
func splitNotify(notify []string) (ntfy, email string, others []string) {
	for _, n := range notify {
		switch {
		case ntfy == "" && strings.HasPrefix(n, "https://"):
			ntfy = n
		case email == "" && strings.HasPrefix(strings.ToLower(n), feed.MailtoPrefix):
			email = n
		default:
			others = append(others, n)
		}
	}
	return ntfy, email, others
}

// changed reloads the account after a change, logs it, and sends the
// client to the manage page with the change's notice.
func (h *handler) changed(w http.ResponseWriter, r *http.Request, a *store.Account, what, done string) {
	h.log.printf("%s %s", who(a), what)
	h.reload(r, a)
	w.Header().Set("Location", h.base+"/manage/?done="+url.QueryEscape(done))
	w.WriteHeader(http.StatusSeeOther)
}

func (h *handler) reload(r *http.Request, a *store.Account) {
	if err := h.cfg.Service.Reload(context.WithoutCancel(r.Context()), a.ID); err != nil {
		h.log.printf("%s: the service did not take up the change: %v", who(a), err)
	}
}

// failed answers a change the store did not make.
func (h *handler) failed(w http.ResponseWriter, r *http.Request, a *store.Account, what string, err error) {
	h.log.printf("%s: %s: %v", who(a), what, err)
	h.message(w, r, http.StatusInternalServerError, "Not saved", "The change could not be saved. Try again later.", h.base+"/manage/")
}

func (h *handler) manageLogin(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	client := clientAddr(r, h.cfg.TrustedProxies)
	if !h.take(w, r, addrKey(client), h.limits.Address, "a manage login from "+client.String()) {
		return
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	refuse := func() {
		h.log.printf("refused a manage login from %s: wrong manage code", client)
		h.render(w, r, http.StatusForbidden, "login", &view{Title: "Manage your account",
			Error: "That manage code is not right. It is the code you were shown when you joined."})
	}
	if code == "" || len(code) > maxSecret {
		refuse()
		return
	}
	a, err := h.cfg.Store.ByManage(r.Context(), code)
	if errors.Is(err, store.ErrNotFound) {
		refuse()
		return
	}
	if err != nil {
		h.log.printf("looking up a manage code: %v", err)
		h.message(w, r, http.StatusInternalServerError, "Try again later", "Your account could not be looked up. Try again later.", h.base+"/manage/")
		return
	}
	if !h.take(w, r, fmt.Sprintf("account:%d", a.ID), h.limits.Account, "a manage login of "+who(a)) {
		return
	}
	h.sess.set(w, a.ID, code, h.now())
	h.log.printf("%s logged in to manage it, from %s", who(a), client)
	w.Header().Set("Location", h.base+"/manage/")
	w.WriteHeader(http.StatusSeeOther)
}

func (h *handler) manageLogout(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	h.sess.clear(w)
	w.Header().Set("Location", h.base+"/manage/")
	w.WriteHeader(http.StatusSeeOther)
}

func (h *handler) setZone(w http.ResponseWriter, r *http.Request, a *store.Account) {
	zone := strings.TrimSpace(r.PostForm.Get("zone"))
	if _, msg := checkZone(zone); msg != "" {
		h.showAccount(w, r, a, http.StatusUnprocessableEntity, "", msg)
		return
	}
	if err := h.cfg.Store.SetZone(r.Context(), a.ID, zone); err != nil {
		h.failed(w, r, a, "setting its zone", err)
		return
	}
	h.changed(w, r, a, "set its zone to "+zone, "zone")
}

func (h *handler) setAlerts(w http.ResponseWriter, r *http.Request, a *store.Account) {
	ntfy := strings.TrimSpace(r.PostForm.Get("ntfy"))
	email := strings.TrimSpace(r.PostForm.Get("email"))
	email = strings.TrimSpace(strings.TrimPrefix(email, feed.MailtoPrefix))
	var add []string
	if ntfy != "" {
		u, err := url.Parse(ntfy)
		if len(ntfy) > maxURL || err != nil || u.Scheme != "https" || u.Host == "" {
			h.showAccount(w, r, a, http.StatusUnprocessableEntity, "",
				"The ntfy topic address must be an https:// address, such as https://ntfy.sh/your-long-random-topic.")
			return
		}
		if _, err := feed.ParseTarget(ntfy); err != nil {
			h.showAccount(w, r, a, http.StatusUnprocessableEntity, "", "That ntfy topic address will not do: "+err.Error())
			return
		}
		add = append(add, ntfy)
	}
	if email != "" {
		addr, err := mail.ParseAddress(email)
		if len(email) > 254 || err != nil || addr.Name != "" || addr.Address != email {
			h.showAccount(w, r, a, http.StatusUnprocessableEntity, "", "That is not an email address: give it as name@example.org.")
			return
		}
		target := feed.MailtoPrefix + email
		if _, err := feed.ParseTarget(target); err != nil {
			h.showAccount(w, r, a, http.StatusUnprocessableEntity, "", "That email address will not do: "+err.Error())
			return
		}
		add = append(add, target)
	}
	set, err := h.cfg.Store.Settings(r.Context(), a.ID)
	if err != nil {
		h.failed(w, r, a, "reading its settings", err)
		return
	}
	_, _, others := splitNotify(set.Notify)
	set.Notify = append(others, add...)
	if err := h.cfg.Store.SetSettings(r.Context(), a.ID, set); err != nil {
		h.failed(w, r, a, "setting its alerts", err)
		return
	}
	h.changed(w, r, a, fmt.Sprintf("set its alerts (%d targets)", len(set.Notify)), "alerts")
}

func (h *handler) setCalDAV(w http.ResponseWriter, r *http.Request, a *store.Account) {
	f := r.PostForm
	set, err := h.cfg.Store.Settings(r.Context(), a.ID)
	if err != nil {
		h.failed(w, r, a, "reading its settings", err)
		return
	}
	if f.Get("do") == "remove" {
		if set.CalDAV == nil {
			w.Header().Set("Location", h.base+"/manage/")
			w.WriteHeader(http.StatusSeeOther)
			return
		}
		set.CalDAV = nil
		if err := h.cfg.Store.SetSettings(r.Context(), a.ID, set); err != nil {
			h.failed(w, r, a, "stopping its calendar sync", err)
			return
		}
		h.changed(w, r, a, "stopped its calendar sync", "nocaldav")
		return
	}
	raw := strings.TrimSpace(f.Get("url"))
	user := strings.TrimSpace(f.Get("username"))
	pass := f.Get("password")
	cal := strings.TrimSpace(f.Get("calendar"))
	bad := func(msg string) { h.showAccount(w, r, a, http.StatusUnprocessableEntity, "", msg) }
	u, err := url.Parse(raw)
	switch {
	case raw == "" || len(raw) > maxURL || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		bad("Give the CalDAV server's address, such as https://cloud.example.org/remote.php/dav.")
		return
	case u.User != nil:
		bad("Give the CalDAV username and password in their own fields, not in the address.")
		return
	case u.Scheme == "http" && !(netguard.IsLoopback(u.Hostname()) && netguard.IsLoopback(h.publicHost())):
		bad("The CalDAV address must begin https://, so that your calendar password is not sent in clear.")
		return
	case user == "" || len(user) > maxSecret || strings.IndexFunc(user, isControl) >= 0:
		bad("Give your CalDAV username.")
		return
	case len(pass) > maxURL || strings.ContainsAny(pass, "\x00\r\n"):
		bad("That CalDAV password is too long or has characters it cannot have.")
		return
	case len(cal) > maxSecret || strings.IndexFunc(cal, isControl) >= 0:
		bad("That calendar name is too long or has characters it cannot have.")
		return
	}
	if pass == "" {
		// Kept when the calendar is the same server and user as before.
		if set.CalDAV == nil || set.CalDAV.URL != u.String() || set.CalDAV.Username != user {
			bad("Give your CalDAV password (an app password, where your server has them).")
			return
		}
		pass = set.CalDAV.Password
	}
	set.CalDAV = &store.CalDAV{URL: u.String(), Username: user, Password: pass, Calendar: cal}
	if err := h.cfg.Store.SetSettings(r.Context(), a.ID, set); err != nil {
		h.failed(w, r, a, "setting its calendar sync", err)
		return
	}
	h.changed(w, r, a, "set its calendar sync to "+u.Scheme+"://"+u.Host, "caldav")
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// publicHost is the host of the public URL, without its port.
func (h *handler) publicHost() string {
	u, err := url.Parse(h.public)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func (h *handler) pause(w http.ResponseWriter, r *http.Request, a *store.Account) {
	if a.Paused {
		w.Header().Set("Location", h.base+"/manage/")
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	if err := h.cfg.Store.SetPaused(r.Context(), a.ID, true, PausedByOwner); err != nil {
		h.failed(w, r, a, "pausing", err)
		return
	}
	h.changed(w, r, a, "paused by its owner", "paused")
}

func (h *handler) resume(w http.ResponseWriter, r *http.Request, a *store.Account) {
	if !a.Paused {
		w.Header().Set("Location", h.base+"/manage/")
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	if a.PauseReason != PausedByOwner {
		h.showAccount(w, r, a, http.StatusConflict, "",
			"This pause is not yours to end: update your RosterOn password, or ask whoever runs this service.")
		return
	}
	if err := h.cfg.Store.SetPaused(r.Context(), a.ID, false, ""); err != nil {
		h.failed(w, r, a, "resuming", err)
		return
	}
	h.changed(w, r, a, "resumed by its owner", "resumed")
}

func (h *handler) setPassword(w http.ResponseWriter, r *http.Request, a *store.Account) {
	// Only an instance the service is allowed to log in to is sent a
	// login, whatever the store says of the account.
	if !h.instances[a.Instance] {
		h.log.printf("refused a password update of %s: its RosterOn is not one this service may log in to", who(a))
		h.showAccount(w, r, a, http.StatusForbidden, "",
			"This service may not log in to your account's RosterOn ("+instanceHost(a.Instance)+"), so the password cannot be checked. "+
				"Nothing was sent and nothing was changed: ask whoever runs this service.")
		return
	}
	client := clientAddr(r, h.cfg.TrustedProxies)
	if !h.take(w, r, addrKey(client), h.limits.Address, "a password update from "+client.String()) {
		return
	}
	password := r.PostForm.Get("password")
	if msg := checkPassword(password); msg != "" {
		h.showAccount(w, r, a, http.StatusUnprocessableEntity, "", msg)
		return
	}
	// The account's own limit, not the username's of /join: one flooding
	// /join with this username cannot block its owner's update.
	pwKey := fmt.Sprintf("password:%d", a.ID)
	if !h.take(w, r, pwKey, h.limits.Password, "a password update of "+who(a)) {
		return
	}
	if err := h.cfg.Check(r.Context(), a.Instance, a.Username, password); err != nil {
		switch {
		case errors.Is(err, ErrBusy):
			h.refund(r, pwKey, h.limits.Password)
			h.log.printf("could not check a password update of %s now: too many logins at once", who(a))
			h.busy(w, r, h.base+"/manage/")
		case errors.Is(err, session.ErrCredentials):
			h.log.printf("refused a password update of %s: RosterOn refused the login", who(a))
			h.showAccount(w, r, a, http.StatusUnprocessableEntity, "",
				"RosterOn did not accept that password. Nothing was changed.")
		default:
			h.log.printf("could not check a password update of %s with RosterOn: %s", who(a), scrub(err, a.Username, password))
			h.showAccount(w, r, a, http.StatusServiceUnavailable, "",
				"Could not reach RosterOn to check the password. Nothing was changed: try again later.")
		}
		return
	}
	ctx := context.WithoutCancel(r.Context())
	if err := h.cfg.Store.SetPassword(ctx, a.ID, password); err != nil {
		h.failed(w, r, a, "setting its password", err)
		return
	}
	what := "updated its RosterOn password"
	if a.Paused && resumesOnPassword(a.PauseReason) {
		if err := h.cfg.Store.SetPaused(ctx, a.ID, false, ""); err != nil {
			h.failed(w, r, a, "resuming after a password update", err)
			return
		}
		what += ", and is resumed"
	}
	h.log.printf("%s %s", who(a), what)
	// The login just worked: any lock-out stop of the account is lifted.
	if err := h.cfg.Service.Verified(ctx, a.ID); err != nil {
		h.log.printf("%s: the service did not take up the new password: %v", who(a), err)
	}
	w.Header().Set("Location", h.base+"/manage/?done=password")
	w.WriteHeader(http.StatusSeeOther)
}

// currentCode reports whether the form's "current" field is the
// account's manage code, answering the request itself when it is not:
// the changes that cannot be undone ask for it again, so that a stolen
// cookie cannot take the account over or erase it.
func (h *handler) currentCode(w http.ResponseWriter, r *http.Request, a *store.Account, what string) bool {
	code := strings.TrimSpace(r.PostForm.Get("current"))
	if code != "" && len(code) <= maxSecret {
		b, err := h.cfg.Store.ByManage(r.Context(), code)
		if err == nil && b.ID == a.ID {
			return true
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.log.printf("looking up a manage code: %v", err)
			h.message(w, r, http.StatusInternalServerError, "Try again later", "Your account could not be looked up. Try again later.", h.base+"/manage/")
			return false
		}
	}
	h.log.printf("refused %s of %s: its manage code was not typed again", what, who(a))
	h.showAccount(w, r, a, http.StatusForbidden, "", "Type your current manage code to "+what+". Nothing was changed.")
	return false
}

func (h *handler) newToken(w http.ResponseWriter, r *http.Request, a *store.Account) {
	ctx := context.WithoutCancel(r.Context())
	tok, err := h.cfg.Store.NewToken(ctx, a.ID)
	if err != nil {
		h.failed(w, r, a, "making a new feed token", err)
		return
	}
	h.log.printf("%s got a new feed address", who(a))
	h.reload(r, a)
	v := &view{Title: "Your new address"}
	if v.Addr, err = h.addressesOf(tok); err != nil {
		h.log.printf("%s: making the QR code: %v", who(a), err)
	}
	h.render(w, r, http.StatusOK, "token", v)
}

func (h *handler) newCode(w http.ResponseWriter, r *http.Request, a *store.Account) {
	if !h.currentCode(w, r, a, "get a new manage code") {
		return
	}
	code, err := h.cfg.Store.NewManage(context.WithoutCancel(r.Context()), a.ID)
	if err != nil {
		h.failed(w, r, a, "making a new manage code", err)
		return
	}
	h.log.printf("%s got a new manage code", who(a))
	h.sess.set(w, a.ID, code, h.now())
	h.render(w, r, http.StatusOK, "code", &view{Title: "Your new manage code", ManageCode: code})
}

func (h *handler) deleteAccount(w http.ResponseWriter, r *http.Request, a *store.Account) {
	if r.PostForm.Get("confirm") != "yes" {
		h.showAccount(w, r, a, http.StatusUnprocessableEntity, "", "Tick the box to confirm that the account is to be deleted.")
		return
	}
	if !h.currentCode(w, r, a, "delete the account") {
		return
	}
	ctx := context.WithoutCancel(r.Context())
	// Stopped first, so that no refresh under way writes into it after.
	h.cfg.Service.Remove(a.ID)
	var notErased *store.NotErasedError
	if err := h.cfg.Store.Delete(ctx, a.ID); errors.As(err, &notErased) {
		// Deleted; only the write-ahead log's copy waits for the next
		// checkpoint. The operator hears of it, the owner need not.
		h.log.printf("%s deleted by its owner; warning: %v", who(a), notErased)
	} else if err != nil {
		h.reload(r, a)
		h.failed(w, r, a, "deleting", err)
		return
	} else {
		h.log.printf("%s deleted by its owner", who(a))
	}
	h.sess.clear(w)
	h.message(w, r, http.StatusOK, "Your account is deleted",
		"Your saved password, your roster and your settings are erased, and your roster page and calendar address no longer work. "+
			"To remove the shifts from your calendar app, unsubscribe from the calendar there.", h.base+"/join")
}
