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

// NotErasedError is a warning, not a failure: the change is made and
// committed (Delete's account is gone for good), but the checkpoint that empties the
// write-ahead log failed, most often because another process kept
// reading the store, so the erased bytes may stay in the file's -wal
// until the next checkpoint (the next Delete, or SQLite's own when the
// log grows). Find it with errors.As. It does not match ErrStore.
type NotErasedError struct {
	// Done says what was done, e.g. "account 3 is deleted".
	Done string
	// Err is the checkpoint's error.
	Err error
}

func (e *NotErasedError) Error() string {
	return "store: " + e.Done + ", but its erased bytes may stay in the write-ahead log until the next checkpoint (" + e.Err.Error() + ")"
}
func (e *NotErasedError) Unwrap() error { return e.Err }
