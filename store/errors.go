package store

// kindError is an error of the store that matches ErrStore.
type kindError struct{ msg string }

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == ErrStore }

// opError is an error of one operation of the store: it matches ErrStore
// and what it wraps. Its message is the operation's and the cause's, never
// a secret (causes are the driver's and the file system's, which never
// hold a bound value).
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string {
	msg := e.err.Error()
	if len(msg) > 7 && msg[:7] == "store: " {
		msg = msg[7:]
	}
	return "store: " + e.op + ": " + msg
}
func (e *opError) Unwrap() error        { return e.err }
func (e *opError) Is(target error) bool { return target == ErrStore }
