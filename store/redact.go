package store

import (
	"fmt"
	"io"
	"log/slog"
)

// Secrets, Settings and CalDAV hold credentials, so that printing or
// logging one by mistake shows none: fmt prints them redacted, whatever
// the verb, and slog logs them redacted. Their fields are read as usual,
// and JSON (which the store seals settings as) is left whole.

// Format prints Secrets as "[secrets]".
func (s Secrets) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "[secrets]") }

// LogValue logs Secrets as "[secrets]".
func (s Secrets) LogValue() slog.Value { return slog.StringValue("[secrets]") }

// Format prints a CalDAV calendar without its password.
func (c CalDAV) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "{caldav %d-byte URL, user set: %t, password set: %t, calendar %q}",
		len(c.URL), c.Username != "", c.Password != "", c.Calendar)
}

// LogValue logs a CalDAV calendar without its password or its URL.
func (c CalDAV) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("password_set", c.Password != ""), slog.String("calendar", c.Calendar))
}

// Format prints Settings without their notify targets or calendar
// credentials, which may carry secrets.
func (s Settings) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "{notify: %d targets, calendar name %q, reminders %v, remind leave %t, caldav set: %t}",
		len(s.Notify), s.CalendarName, s.Remind, s.RemindLeave, s.CalDAV != nil)
}

// LogValue logs Settings as Format prints them.
func (s Settings) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("notify", len(s.Notify)), slog.String("calendar_name", s.CalendarName),
		slog.Bool("caldav", s.CalDAV != nil))
}
