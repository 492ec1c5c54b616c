package join

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/store"
)

// The join form asks for a time zone and takes no default: a roster read
// in the wrong zone puts every shift at the wrong hour in people's
// calendars, and a ward may be anywhere, so the person who works there
// says where. The list offers the common Australian, New Zealand and
// British zones; any IANA name is taken.

// joinView returns the join form's view, with instance selected.
func (h *handler) joinView(instance string) *view {
	v := &view{Title: "Join: your roster on your phone", NeedCode: h.cfg.Code != ""}
	for _, in := range h.cfg.Instances {
		v.Instances = append(v.Instances, instanceView{Value: in, Label: instanceLabel(in), Selected: in == instance})
	}
	if len(v.Instances) == 1 {
		v.OneInstance = &v.Instances[0]
	}
	return v
}

// instanceLabel shows an instance by its host and path.
func instanceLabel(in string) string {
	_, rest, ok := strings.Cut(in, "://")
	if !ok {
		return in
	}
	return strings.TrimRight(rest, "/")
}

func (h *handler) joinForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "join", h.joinView(""))
}

func (h *handler) joinPost(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	client := clientAddr(r, h.cfg.TrustedProxies)
	if !h.take(w, r, addrKey(client), h.limits.Address, "a join from "+client.String()) {
		return
	}
	f := r.PostForm
	instance := f.Get("instance")
	if len(h.cfg.Instances) == 1 && instance == "" {
		instance = h.cfg.Instances[0]
	}
	username := strings.TrimSpace(f.Get("username"))
	password := f.Get("password")
	zone := strings.TrimSpace(f.Get("zone"))
	v := h.joinView(instance)
	v.Username, v.Zone = username, zone
	refuse := func(status int, msg string) {
		v.Error = msg
		h.render(w, r, status, "join", v)
	}
	if !h.instances[instance] {
		refuse(http.StatusUnprocessableEntity, "Pick your RosterOn from the list.")
		return
	}
	if msg := checkUsername(username); msg != "" {
		v.Username = ""
		refuse(http.StatusUnprocessableEntity, msg)
		return
	}
	if msg := checkPassword(password); msg != "" {
		refuse(http.StatusUnprocessableEntity, msg)
		return
	}
	if _, msg := checkZone(zone); msg != "" {
		v.Zone = ""
		refuse(http.StatusUnprocessableEntity, msg)
		return
	}
	if h.cfg.Code != "" {
		got := sha256.Sum256([]byte(strings.TrimSpace(f.Get("code"))))
		if subtle.ConstantTimeCompare(got[:], h.codeSum[:]) != 1 {
			h.log.printf("refused a join for %s@%s from %s: wrong invite code", username, instanceHost(instance), client)
			refuse(http.StatusForbidden, "That invite code is not right. Ask whoever runs this service for it.")
			return
		}
	}
	userKey := usernameKey(instance, username)
	if !h.take(w, r, userKey, h.limits.Username, "a join for "+username+"@"+instanceHost(instance)) {
		return
	}
	const refused = "RosterOn did not accept that username and password. Check them, and that you can log in to RosterOn itself."
	const already = "This account has joined already: use your manage code, or ask whoever runs this service."
	// A username that has an account already is never checked with
	// RosterOn again from here: anyone may type a colleague's username,
	// and wrong passwords sent to RosterOn would lock their account. The
	// password is compared with the saved one instead, in constant time.
	// That compare answers sooner than a login would, so the time of the
	// answer tells that the username has an account here; that is
	// accepted: the answer itself does not, and nothing is sent anywhere.
	member, err := h.findMember(r.Context(), instance, username)
	if err != nil {
		h.log.printf("could not look up a join for %s@%s: %v", username, instanceHost(instance), err)
		refuse(http.StatusInternalServerError, "Your join could not be checked. Try again later.")
		return
	}
	if member != nil {
		saved, err := h.cfg.Store.Password(r.Context(), member.ID)
		if err != nil {
			h.log.printf("could not check a join for %s: reading its password: %v", who(member), err)
			refuse(http.StatusInternalServerError, "Your join could not be checked. Try again later.")
			return
		}
		typed, kept := sha256.Sum256([]byte(password)), sha256.Sum256([]byte(saved))
		if saved == "" || subtle.ConstantTimeCompare(typed[:], kept[:]) != 1 {
			h.log.printf("refused a join for %s@%s: not the saved password (RosterOn not asked)", username, instanceHost(instance))
			refuse(http.StatusUnprocessableEntity, refused)
			return
		}
		h.log.printf("refused a join for %s: it has joined already", who(member))
		refuse(http.StatusConflict, already)
		return
	}
	if err := h.cfg.Check(r.Context(), instance, username, password); err != nil {
		switch {
		case errors.Is(err, ErrBusy):
			h.refund(r, userKey, h.limits.Username)
			h.log.printf("could not check a join for %s@%s now: too many logins at once", username, instanceHost(instance))
			h.busy(w, r, h.base+"/join")
		case errors.Is(err, session.ErrCredentials):
			h.log.printf("refused a join for %s@%s: RosterOn refused the login", username, instanceHost(instance))
			refuse(http.StatusUnprocessableEntity, refused)
		default:
			h.log.printf("could not check a join for %s@%s with RosterOn: %s", username, instanceHost(instance), scrub(err, username, password))
			refuse(http.StatusServiceUnavailable, "Could not reach RosterOn to check your password. Try again later.")
		}
		return
	}
	// The login worked: what follows is done even if the client goes away.
	ctx := context.WithoutCancel(r.Context())
	a, sec, err := h.cfg.Store.Create(ctx, store.NewAccount{
		Username: username,
		Instance: instance,
		Password: password,
		Zone:     zone,
	})
	if errors.Is(err, store.ErrExists) {
		h.log.printf("refused a join for %s@%s: it has joined already", username, instanceHost(instance))
		refuse(http.StatusConflict, already)
		return
	}
	if err != nil {
		h.log.printf("could not save the join of %s@%s: %s", username, instanceHost(instance), scrub(err, username, password))
		refuse(http.StatusInternalServerError, "Your account could not be saved. Try again later.")
		return
	}
	h.log.printf("%s joined", who(a))
	out := &view{Title: "You have joined", ManageCode: sec.Manage, ManageURL: h.public + "/manage/"}
	if err := h.cfg.Service.Reload(ctx, a.ID); err != nil {
		h.log.printf("%s: the service did not take it up: %v", who(a), err)
		out.Notice = "Your roster will be read shortly. If your page still says it is starting in an hour, tell whoever runs this service."
	} else {
		out.Notice = "Your roster is being read now: your page shows it within a few minutes."
	}
	// The account is there: its addresses are shown even without a QR code.
	if out.Addr, err = h.addressesOf(sec.Token); err != nil {
		h.log.printf("%s: making the QR code: %v", who(a), err)
	}
	h.render(w, r, http.StatusOK, "joined", out)
}

// findMember returns the account of username on instance, nil for none.
// Usernames are matched without regard to case, as RosterOn does: the
// store's Find is asked first, and, when it finds none, the accounts are
// scanned, for a store whose Find matches case exactly.
func (h *handler) findMember(ctx context.Context, instance, username string) (*store.Account, error) {
	a, err := h.cfg.Store.Find(ctx, instance, username)
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	all, err := h.cfg.Store.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if a.Instance == instance && strings.EqualFold(a.Username, username) {
			return a, nil
		}
	}
	return nil, nil
}

// checkUsername says what is wrong with a username, "" if nothing.
func checkUsername(s string) string {
	switch {
	case s == "":
		return "Enter your RosterOn username."
	case len(s) > maxUsername:
		return "That username is too long for RosterOn."
	case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "That username has characters RosterOn does not take."
	}
	return ""
}

func checkPassword(s string) string {
	switch {
	case s == "":
		return "Enter your RosterOn password."
	case len(s) > maxPassword:
		return "That password is too long."
	case !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n"):
		return "That password has characters RosterOn does not take."
	}
	return ""
}

// checkZone returns the zone of an IANA name, or what is wrong with it.
func checkZone(s string) (*time.Location, string) {
	const msg = " Give it as Area/City, such as Australia/Sydney or Europe/London."
	if s == "" {
		return nil, "Enter the time zone of your roster." + msg
	}
	if len(s) > 64 || s == "Local" || strings.ContainsAny(s, " \\") || strings.HasPrefix(s, "/") || strings.Contains(s, "..") {
		return nil, "That is not a time zone." + msg
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, "That is not a time zone." + msg
	}
	return loc, ""
}
