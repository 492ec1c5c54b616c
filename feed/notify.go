package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosteron/rosteron/internal/backoff"
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/snapshot"
)

// A Notifier tells people when a refresh finds the roster changed: it
// compares each roster the Refresher fetches with the last one it reported
// on (with snapshot.Diff), and POSTs an alert to each Target, or emails
// it to each address (mail.go).
//
// Exactly one alert per change, across restarts too: the roster last
// reported on and the alerts not yet delivered are one file in the state
// folder, NotifyFile, replaced atomically, so an alert is queued in the
// same write that moves the baseline past its change. The first roster
// ever seen (none saved before) is the baseline and brings no alert; a
// roster equal to the baseline brings none either. Deliveries run apart
// from refreshes, one goroutine a target: a target that fails is retried
// with growing waits, while the feed and the other targets go on.

// NotifyFile is the name of the alerts' state in the state folder.
const NotifyFile = "notify.json"

// JSONPrefix before a notify URL asks for the JSON form:
// "json+https://example.org/hook".
const JSONPrefix = "json+"

// Defaults of a Notifier's optional fields.
const (
	DefaultNotifyBackoff    = 2 * time.Second
	DefaultNotifyMaxBackoff = 15 * time.Minute
	DefaultNotifyMaxAge     = 24 * time.Hour
	DefaultNotifyTimeout    = 20 * time.Second
)

// stopGrace is how long a delivery under way may go on once the notifier
// is stopped.
const stopGrace = 2 * time.Second

// ErrBadTarget is matched by ParseTarget's errors. Their messages never
// quote the URL, which may hold credentials.
var ErrBadTarget = errors.New("invalid notify URL")

// Target is where alerts go: a URL that takes a POST, or an email
// address (MailtoPrefix), which the Notifier's Mailer sends to.
type Target struct {
	url     *url.URL // nil for an email address
	mail    string   // the address of a mailto: target
	json    bool
	key     string   // names the target in the state file, without its secrets
	name    string   // names it in logs: scheme, host and "/…"
	secrets []string // the parts of the URL that never appear in a log
}

// ParseTarget reads a notify URL: an http or https URL that takes a POST,
// such as an ntfy topic (https://ntfy.sh/TOPIC), with JSONPrefix before it
// for the JSON form; or "mailto:ADDRESS", one email address, which the
// Notifier's Mailer sends each alert to as a plain-text email. Credentials
// in a URL (user:password@, tokens in the query) are sent as given and
// never logged; an address is logged by its domain alone.
func ParseTarget(spec string) (*Target, error) {
	spec = strings.TrimSpace(spec)
	if len(spec) >= len(MailtoPrefix) && strings.EqualFold(spec[:len(MailtoPrefix)], MailtoPrefix) {
		addr, err := parseMailto(spec)
		if err != nil {
			return nil, err
		}
		return mailTarget(addr), nil
	}
	raw, isJSON := strings.CutPrefix(spec, JSONPrefix)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: not a URL", ErrBadTarget)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: want http:// or https:// (or %shttps:// for JSON, or %sADDRESS for email)", ErrBadTarget, JSONPrefix, MailtoPrefix)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w: no host", ErrBadTarget)
	}
	u.Fragment, u.RawFragment = "", ""
	// The key is the URL as sent, so that the same URL written twice
	// (with spaces, with a fragment) is one target.
	sent := u.String()
	if isJSON {
		sent = JSONPrefix + sent
	}
	t := &Target{url: u, json: isJSON, key: hashKey(sent), name: u.Scheme + "://" + u.Host}
	if u.Path != "" && u.Path != "/" {
		t.name += "/…"
		// An ntfy topic on a public server is its only password.
		t.secrets = append(t.secrets, strings.Trim(u.EscapedPath(), "/"), strings.Trim(u.Path, "/"))
	}
	if u.User != nil {
		t.secrets = append(t.secrets, u.User.String(), u.User.Username())
		if p, ok := u.User.Password(); ok {
			t.secrets = append(t.secrets, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	if u.RawQuery != "" {
		t.name += "?…"
		t.secrets = append(t.secrets, u.RawQuery)
		for _, vs := range u.Query() {
			for _, v := range vs {
				t.secrets = append(t.secrets, v, url.QueryEscape(v))
			}
		}
	}
	t.secrets = slices.DeleteFunc(t.secrets, func(s string) bool { return len(s) < 3 })
	return t, nil
}

// hashKey names a target in the state file by a hash of what it is.
func hashKey(sent string) string {
	sum := sha256.Sum256([]byte(sent))
	return hex.EncodeToString(sum[:12])
}

// String names the target without its secrets: "https://ntfy.sh/…",
// "mailto:…@example.org".
func (t *Target) String() string { return t.name }

// IsMail reports whether the target is an email address, which needs the
// Notifier's Mailer.
func (t *Target) IsMail() bool { return t.mail != "" }

// Secrets returns the parts of the URL that must never be logged, for a
// caller that scrubs its own output.
func (t *Target) Secrets() []string { return slices.Clone(t.secrets) }

// Notifier sends alerts of roster changes. Make it with NewNotifier, call
// Load before the first refresh, Run it, and set it as a Refresher's
// Notify. The zero values of its optional fields mean their defaults.
type Notifier struct {
	// Client sends the alerts; nil means one that follows no redirect
	// (a POST redirected becomes a GET) and gives up after
	// DefaultNotifyTimeout.
	Client *http.Client
	// Mailer sends the alerts of mailto: targets; without one they are
	// given up. Its credentials are never logged.
	Mailer *Mailer
	// Log gets a line per alert queued, delivered or failed; never a
	// secret.
	Log io.Writer
	// Backoff is the first wait after a failed delivery
	// (DefaultNotifyBackoff), doubled for each failure in a row up to
	// MaxBackoff (DefaultNotifyMaxBackoff). A Retry-After counts, up to
	// MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// MaxAge is how long an alert is tried before it is given up
	// (DefaultNotifyMaxAge): after that the calendar has long shown the
	// change.
	MaxAge time.Duration
	// Outbox makes the notifier queue alerts and deliver none of its own
	// accord, for a service whose replicas share the accounts (see
	// notify_outbox.go): Run is not to be called; the alerts queued are
	// delivered by DeliverPending, from the state committed, by whichever
	// replica runs the account's delivery job. Set it before Load.
	Outbox bool
	// OnQueue, when set, is called (without locks held) after an alert is
	// queued and its state saved, in Outbox mode: for a service to queue
	// a delivery job when no refresh commits one.
	OnQueue func()

	feed    *Feed
	targets []*Target
	rand    func() float64 // [0, 1); for tests

	mu       sync.Mutex
	baseline *snapshot.Snapshot // the roster last reported on; nil before the first
	// trouble is the trouble last alerted to ("", StateStale,
	// troubleNoRoster or StateStopped): only a worse one alerts again.
	trouble string
	// unmended is set while an alert of trouble went out and none yet
	// that it mended; it outlives a trouble lowered by resume.
	unmended bool
	outbox   []*alert
	wake     []chan struct{} // one per target, each holding at most one wake-up
	// In Outbox mode: the deliveries made or given up, and each target's
	// failed deliveries in a row (NotifySentFile).
	sent sentState
	// pending is Pending's count, kept as the outbox changes, so that
	// Pending takes no lock: a refresh's commit asks it holding the
	// database's one connection (SQLite), which a save under mu may be
	// waiting for.
	pending atomic.Int64
}

// notifyState is NotifyFile's content.
type notifyState struct {
	Source   Source             `json:"source"`
	Baseline *snapshot.Snapshot `json:"baseline"`
	Outbox   []*alert           `json:"outbox"`
	// Trouble is the trouble last alerted to, StateStale,
	// troubleNoRoster or StateStopped, until an alert says it mended, or
	// a stop was lowered by a restart that is not stopped; "" when none.
	Trouble string `json:"trouble,omitempty"`
	// Unmended is set while an alert of trouble went out and none yet
	// that it mended (implied by a Trouble).
	Unmended bool `json:"unmended,omitempty"`
}

// NewNotifier returns a notifier for f's roster that tells targets. A
// target given twice (the same URL, in the same form) is told once, so
// that no change brings two alerts: a URL repeated, say in a flag and in
// a file of URLs, asks for nothing more than the URL given once.
func NewNotifier(f *Feed, targets ...*Target) *Notifier {
	seen := make(map[string]bool)
	var unique []*Target
	for _, t := range targets {
		if !seen[t.key] {
			seen[t.key] = true
			unique = append(unique, t)
		}
	}
	targets = unique
	n := &Notifier{feed: f, targets: targets, wake: make([]chan struct{}, len(targets))}
	for i := range n.wake {
		n.wake[i] = make(chan struct{}, 1)
	}
	return n
}

// Load reads the roster last reported on and the alerts still to deliver
// from the state folder. Without them the roster the feed serves (loaded
// from its own state) is the baseline, so alerts turned on for a feed that
// already ran report the changes since. Alerts for targets no longer given
// are dropped. On an error the notifier starts afresh, as Load found it.
//
// Load may be called again, to read the state another process committed
// since (Outbox mode): what it read before is replaced, not added to.
func (n *Notifier) Load() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.loadLocked()
}

// loadLocked is Load; n.mu is held.
func (n *Notifier) loadLocked() error {
	defer n.countLocked()
	n.baseline, n.outbox, n.trouble, n.unmended = nil, nil, "", false
	n.sent = sentState{}
	if c, _, _ := n.feed.current(); c != nil {
		n.baseline = c.snap
	}
	store := n.feed.state
	if store == nil {
		return nil
	}
	data, err := store.Load(NotifyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the alerts' state%s: %w", loadWhere(store, NotifyFile), err)
	}
	var st notifyState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("reading the alerts' state %s: %w", stateWhere(store, NotifyFile), err)
	}
	if !sameSource(st.Source, n.feed.source) {
		return fmt.Errorf("%s: %w", stateName(store, NotifyFile), ErrOtherSource)
	}
	keys := make(map[string]bool)
	for _, t := range n.targets {
		keys[t.key] = true
	}
	for _, a := range st.Outbox {
		if a == nil {
			continue
		}
		a.Pending = slices.DeleteFunc(a.Pending, func(k string) bool { return !keys[k] })
		if len(a.Pending) > 0 {
			n.outbox = append(n.outbox, a)
		}
	}
	if st.Baseline != nil {
		n.baseline = st.Baseline
	}
	if troubleRank(st.Trouble) > 0 {
		n.trouble = st.Trouble
	}
	n.unmended = st.Unmended || n.trouble != ""
	if n.Outbox {
		if err := n.loadSentLocked(); err != nil {
			return err
		}
		n.pruneLocked()
	}
	return nil
}

// troubleNoRoster is the trouble of a feed that has read no roster long
// after it started (Status.NoRoster), and the kind of its alert.
const troubleNoRoster = "no_roster"

// troubleRank orders troubles: a stop is worse than a stale roster or none
// read, and worth an alert of its own, since it needs someone to act.
func troubleRank(t string) int {
	switch t {
	case StateStale, troubleNoRoster:
		return 1
	case StateStopped:
		return 2
	}
	return 0
}

// health takes the feed's state after a refresh, or when the roster turns
// stale, and queues one alert when refreshes stop, the roster goes stale,
// or no roster has been read long after the start (one more should
// refreshes then stop), and one when a good refresh mends it. The trouble
// alerted to is kept with the alerts, in the same write that queues its
// alert, so a restart alerts to it neither again nor never.
func (n *Notifier) health(st Status) {
	trouble := ""
	switch {
	case st.State == StateStale || st.State == StateStopped:
		trouble = st.State
	case st.State == StateStarting && st.NoRoster:
		trouble = troubleNoRoster
	}
	n.mu.Lock()
	if n.Outbox && (troubleRank(trouble) > troubleRank(n.trouble) || n.unmended && trouble == "") {
		// About to alert, maybe: from the state committed, which a
		// refresh on another replica may have moved on since this
		// runtime read it, lest its older baseline and trouble be saved
		// over the newer ones. Inside a refresh job it is the job's own.
		baseline, outbox, was, unmended, sent := n.baseline, n.outbox, n.trouble, n.unmended, n.sent
		if err := n.loadLocked(); err != nil {
			// Kept as they were: an alert now could be one too many.
			n.baseline, n.outbox, n.trouble, n.unmended, n.sent = baseline, outbox, was, unmended, sent
			n.countLocked()
			n.mu.Unlock()
			n.logf("warning: alerts: %v", err)
			return
		}
	}
	var a *alert
	switch {
	case troubleRank(trouble) > troubleRank(n.trouble):
		a = troubleAlert(trouble, st, n.feed)
		n.unmended = true
	case n.unmended && trouble == "" && st.State == StateOK && st.OK:
		// Mended only by a good refresh, not by a restart before one.
		a = mendedAlert(st, n.feed)
		n.unmended = false
	default:
		n.catchUpLocked()
		n.mu.Unlock()
		return
	}
	a.Created = n.feed.now().UTC()
	for _, t := range n.targets {
		a.Pending = append(a.Pending, t.key)
	}
	n.outbox = append(n.outbox, a)
	n.countLocked()
	n.trouble = trouble
	err := n.saveLocked()
	n.mu.Unlock()
	if err != nil {
		// Sent all the same, as Observe's are: better an alert again
		// after a restart than none.
		n.logf("warning: alerts: %v", err)
	}
	n.logf("alert queued: %s", a.Title)
	n.queued()
}

// resume is told by a Refresher that starts, not stopped: a stop alerted
// to before has been dealt with by a restart (with a new password, or
// --retry-login), so the trouble is lowered, without an alert, and a
// stale roster, or a new stop, alerts anew. The alert that the feed works
// again still waits for a good refresh. A stale roster alerted to stays
// as it is: a restart alone does not alert to it again.
func (n *Notifier) resume() {
	n.mu.Lock()
	if n.trouble != StateStopped {
		n.mu.Unlock()
		return
	}
	n.trouble = ""
	n.unmended = true
	err := n.saveLocked()
	n.mu.Unlock()
	if err != nil {
		n.logf("warning: alerts: %v", err)
	}
}

func (n *Notifier) wakeAll() {
	for _, w := range n.wake {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// Observe takes a roster a refresh fetched, and queues an alert of its
// changes since the baseline. It writes the state folder but sends
// nothing, so a refresh never waits on a receiver.
func (n *Notifier) Observe(snap *snapshot.Snapshot) {
	if snap == nil {
		return
	}
	n.mu.Lock()
	first := n.baseline == nil
	var ch snapshot.Changes
	if !first {
		ch = snapshot.Diff(n.baseline, snap)
		if ch.Empty() {
			n.catchUpLocked()
			n.mu.Unlock()
			return
		}
	}
	var a *alert
	var err error
	if !first {
		a, err = newAlert(ch, n.feed.wall(n.feed.now()), n.feed.loc)
	}
	if a != nil {
		a.Created = n.feed.now().UTC() // an instant, for MaxAge, whatever the zone
		for _, t := range n.targets {
			a.Pending = append(a.Pending, t.key)
		}
		n.outbox = append(n.outbox, a)
		n.countLocked()
	}
	if err == nil {
		n.baseline = &snapshot.Snapshot{Time: snap.Time, Items: snap.Items}
		err = n.saveLocked()
	}
	n.mu.Unlock()

	switch {
	case err != nil:
		n.logf("warning: alerts: %v", err)
	case first:
		n.logf("alerts: the first roster, nothing to report; changes from now on go to %s", n.names())
	case a == nil:
		n.logf("alerts: the roster changed only on days gone by: no alert")
	default:
		n.logf("alert queued: %s", a.Title)
	}
	if a != nil {
		n.queued()
	}
}

// queued tells whoever delivers that an alert was queued: Run's
// goroutines, or OnQueue in Outbox mode.
func (n *Notifier) queued() {
	if n.Outbox {
		if n.OnQueue != nil {
			n.OnQueue()
		}
		return
	}
	n.wakeAll()
}

func (n *Notifier) names() string {
	names := make([]string, len(n.targets))
	for i, t := range n.targets {
		names[i] = t.String()
	}
	return strings.Join(names, ", ")
}

// saveLocked writes the state file; n.mu is held.
func (n *Notifier) saveLocked() error {
	store := n.feed.state
	if store == nil {
		return nil
	}
	if n.Outbox {
		// The deliveries are recorded in NotifySentFile by the delivery
		// jobs, never here: this file is the refreshes' alone, so
		// neither overwrites the other's news. What they delivered is
		// dropped from it as it is written.
		if err := n.loadSentLocked(); err != nil {
			n.logf("warning: alerts: %v", err)
		}
		n.pruneLocked()
	}
	st := notifyState{Source: n.feed.source, Baseline: n.baseline, Outbox: n.outbox, Trouble: n.trouble,
		Unmended: n.unmended && n.trouble == ""}
	if st.Outbox == nil {
		st.Outbox = []*alert{}
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the alerts' state: %w", err)
	}
	if err := store.Save(NotifyFile, append(data, '\n')); err != nil {
		return fmt.Errorf("saving the alerts' state: %w", stateErr(store, NotifyFile, err))
	}
	return nil
}

// Run delivers alerts until ctx ends, one goroutine a target; it returns
// once they have all stopped. Alerts not delivered by then stay in the
// state folder for the next start.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range n.targets {
		wg.Go(func() { n.deliverTo(ctx, i) })
	}
	wg.Wait()
}

// next returns the oldest alert still pending for the target.
func (n *Notifier) next(key string) *alert {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range n.outbox {
		if slices.Contains(a.Pending, key) {
			return a
		}
	}
	return nil
}

// done records that a target has had an alert, or never will.
func (n *Notifier) done(a *alert, key string) {
	n.mu.Lock()
	a.Pending = slices.DeleteFunc(a.Pending, func(k string) bool { return k == key })
	if len(a.Pending) == 0 {
		n.outbox = slices.DeleteFunc(n.outbox, func(b *alert) bool { return b == a })
	}
	n.countLocked()
	var err error
	if n.Outbox {
		n.sent.record(a, key)
		err = n.saveSentLocked()
	} else {
		err = n.saveLocked()
	}
	n.mu.Unlock()
	if err != nil {
		n.logf("warning: alerts: %v", err)
	}
}

func (n *Notifier) deliverTo(ctx context.Context, i int) {
	t := n.targets[i]
	failures := 0
	for ctx.Err() == nil {
		a := n.next(t.key)
		if a == nil {
			select {
			case <-ctx.Done():
				return
			case <-n.wake[i]:
			}
			continue
		}
		if age := n.feed.now().Sub(a.Created); age > n.maxAge() {
			n.done(a, t.key)
			n.logf("alert to %s given up after %d failed tries over %s: %s", t, failures, round(age), a.Title)
			failures = 0
			continue
		}
		retryAfter, err := n.send(ctx, t, a)
		var final *finalError
		switch {
		case err == nil:
			// Recorded even when ctx ended meanwhile: the receiver has it.
			n.done(a, t.key)
			n.logf("alert delivered to %s: %s", t, a.Title)
			failures = 0
			continue
		case ctx.Err() != nil:
			return
		case errors.As(err, &final):
			n.done(a, t.key)
			fix := "fix the notify URL and restart"
			if t.IsMail() {
				fix = "check the address and the SMTP settings, and restart"
			}
			n.logf("alert to %s given up: %v; %s", t, err, fix)
			failures = 0
			continue
		}
		failures++
		d := n.delay(failures, retryAfter)
		n.logf("alert to %s failed: %v; next try in %s", t, err, round(d))
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// finalError is a delivery that trying again cannot mend, such as a 404.
type finalError struct{ msg string }

func (e *finalError) Error() string { return e.msg }

// send POSTs one alert. It returns the wait the receiver asked for with
// Retry-After, if any.
func (n *Notifier) send(parent context.Context, t *Target, a *alert) (time.Duration, error) {
	if t.IsMail() {
		return 0, n.sendMail(parent, t, a)
	}
	ctx := parent
	body, ctype := []byte(a.Text), "text/plain; charset=utf-8"
	if t.json {
		body, ctype = a.JSON, "application/json"
	}
	// A delivery under way when ctx ends gets a moment to finish, so that
	// a stop just after a receiver answered does not send it again at the
	// next start.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultNotifyTimeout)
	defer cancel()
	stop := context.AfterFunc(parent, func() { time.AfterFunc(stopGrace, cancel) })
	defer stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url.String(), bytes.NewReader(body))
	if err != nil {
		return 0, &finalError{"the request could not be made"}
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("User-Agent", "rosteron")
	req.Header.Set("X-Rosteron-Alert", a.ID)
	if !t.json {
		// ntfy (2.16 and later) takes an alert sent again under the same
		// sequence ID as an update of the notification its clients
		// show, not a second one: what it has of an idempotency key.
		req.Header.Set("X-Sequence-ID", a.ID)
		// ntfy's headers: the title, and a calendar emoji.
		req.Header.Set("Title", a.Title)
		tags := a.Tags
		if tags == "" {
			tags = "date"
		}
		req.Header.Set("Tags", tags)
	}
	resp, err := n.client().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL, with its secrets, stays out
		}
		// An address the client refuses for good (a private one, for a
		// multi-account serve's targets) is not retried for a day.
		var final interface{ Permanent() bool }
		if errors.As(err, &final) && final.Permanent() {
			return 0, &finalError{n.scrub(err.Error())}
		}
		return 0, errors.New(n.scrub(err.Error()))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	code := resp.StatusCode
	status := strconv.Itoa(code) + " " + http.StatusText(code)
	switch {
	case code >= 200 && code < 300:
		return 0, nil
	case code >= 300 && code < 400:
		return 0, &finalError{"answered " + status + ", a redirect: give the address it redirects to"}
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code == http.StatusTooManyRequests, code >= 500:
		return retryAfter(resp.Header.Get("Retry-After"), n.feed.now()), errors.New("answered " + status)
	}
	return 0, &finalError{"answered " + status}
}

func (n *Notifier) client() *http.Client {
	if n.Client != nil {
		return n.Client
	}
	return &http.Client{
		Timeout:       DefaultNotifyTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// delay is the wait after failures failed deliveries in a row: Backoff
// doubled for each after the first, spread by ±10 %, at least what the
// receiver asked for, never more than MaxBackoff.
func (n *Notifier) delay(failures int, asked time.Duration) time.Duration {
	base, most := n.Backoff, n.MaxBackoff
	if base <= 0 {
		base = DefaultNotifyBackoff
	}
	if most <= 0 {
		most = DefaultNotifyMaxBackoff
	}
	u := rand.Float64()
	if n.rand != nil {
		u = n.rand()
	}
	return min(max(backoff.Wait(failures, base, most, u), asked), most)
}

func (n *Notifier) maxAge() time.Duration {
	if n.MaxAge > 0 {
		return n.MaxAge
	}
	return DefaultNotifyMaxAge
}

// scrub removes every target's secrets and the feed's from msg, in one
// redaction, so that a secret holding another is replaced whole.
func (n *Notifier) scrub(msg string) string {
	secrets := slices.Clone(n.feed.secrets)
	for _, t := range n.targets {
		secrets = append(secrets, t.secrets...)
	}
	secrets = append(secrets, n.Mailer.secrets()...)
	return oneline.Clean(msg, secrets...)
}

func (n *Notifier) logf(format string, args ...any) {
	if n.Log == nil {
		return
	}
	logLine(n.Log, n.feed, n.scrub(fmt.Sprintf(format, args...)))
}
