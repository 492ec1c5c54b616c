package session

import "log"

// WithWarnings makes the session call fn with each warning: something
// that went wrong without failing a step, such as a screenshot that could
// not be taken or saved (an unwritable folder, say). fn is called on the
// goroutine running the step, before the step returns; it should be quick,
// such as writing a line to a terminal. Without WithWarnings, warnings go
// to the standard logger (log.Print), which writes to standard error
// unless the program has said otherwise. A warning never holds a secret.
func WithWarnings(fn func(error)) Option { return func(s *Session) { s.warnings = fn } }

// warn reports err as a warning.
func (s *Session) warn(err error) {
	if s.warnings != nil {
		s.warnings(err)
		return
	}
	log.Print("rosteron: warning: ", err)
}
