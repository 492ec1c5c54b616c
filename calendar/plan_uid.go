package calendar

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// A calendar's UIDs are the feed's (export's hash of a shift, "-2" and on
// for repeats) with a tag of the account before UIDDomain:
// "<feed uid>.<8 hex digits>@rosteron". Two people on one ward can have
// the same shift, with the same date, time, name and title, and so the
// same feed UID: without the tag their events would share one UID in a
// calendar they both sync into, and each sync would take the other's
// event for its own.

// accountTag is the tag of account in its events' UIDs: the first four
// bytes of its SHA-256, in hex. It tells accounts apart, which PropAccount
// does exactly; it need not be secret or collision-proof.
func accountTag(account string) string {
	sum := sha256.Sum256([]byte(account))
	return hex.EncodeToString(sum[:4])
}

// calendarUID is the UID in a calendar of account's event whose feed UID
// (without UIDDomain) is uid.
func calendarUID(uid, tag string) string {
	return uid + "." + tag + UIDDomain
}

// feedUID returns the feed UID of a calendar UID of the account tagged
// tag, and false when uid is not of that form: another account's, the
// person's own, or one no version of rosteron writes.
func feedUID(uid, tag string) (string, bool) {
	rest, ok := strings.CutSuffix(uid, "."+tag+UIDDomain)
	if !ok || !isFeedUID(rest) {
		return "", false
	}
	return rest, true
}

// isFeedUID reports whether s is a UID as export gives a shift, without
// its domain: 32 lower-case hex digits, then "-N" for the N-th repeat.
func isFeedUID(s string) bool {
	base, n, repeat := strings.Cut(s, "-")
	if len(base) != 32 || strings.Trim(base, "0123456789abcdef") != "" {
		return false
	}
	if !repeat {
		return true
	}
	if n == "" || len(n) > 9 || n[0] == '0' || strings.Trim(n, "0123456789") != "" {
		return false
	}
	return true
}
