package service

import (
	"errors"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/session"
)

// Classify marks a refresh's error for the feed's lock-out guard:
// feed.Permanent for the password RosterOn rejected with its known
// sentence, and feed.RefusedByMessage, with the message, for a login its
// login page refused with any other message (a lock-out, a reworded or
// translated refusal): either stops the refreshes at once, since trying
// the same password again could lock the account. feed.Refused for a login
// submitted and answered otherwise, three of which in a row stop them.
// feed.LoggedIn for a later step (the roster, the logout) that failed
// after the login was accepted, which resets that count. Anything else is
// an outage (the network, a 5xx, Chrome), which neither counts nor resets
// the count, and is returned as it is; so is nil.
func Classify(err error) error {
	var message *session.LoginRefusedError
	if errors.As(err, &message) {
		return feed.RefusedByMessage(err, message.Message)
	}
	var rejected *session.BadCredentialsError
	if errors.As(err, &rejected) || errors.Is(err, session.ErrCredentials) {
		// The known sentence; and any other refusal of the credentials
		// a later session may tell, to be safe.
		return feed.Permanent(err)
	}
	var bad *session.BadResponseError
	if errors.As(err, &bad) {
		switch {
		case bad.Purpose == session.PurposeHome && session.Submitted(err) && !session.Outage(err):
			// Submitted, and answered with something other than the
			// home page that is not an outage. A failure before the
			// form left (filling it in, a script sending it elsewhere)
			// tells nothing of the password, and does not count.
			return feed.Refused(err)
		case bad.Purpose == session.PurposeRoster || bad.Purpose == session.PurposeLogout:
			// The home page was reached: the login was accepted.
			return feed.LoggedIn(err)
		}
	}
	var failed *session.BrowserError
	if errors.As(err, &failed) && (failed.Purpose == session.PurposeRoster || failed.Purpose == session.PurposeLogout) {
		// Chrome failed after the home page was reached: the login was
		// accepted all the same.
		return feed.LoggedIn(err)
	}
	if errors.Is(err, session.ErrNotLoggedIn) {
		// Only GetRoster, which comes after a login that was accepted,
		// tells it: RosterOn ended the session.
		return feed.LoggedIn(err)
	}
	return err
}
