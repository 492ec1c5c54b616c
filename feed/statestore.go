package feed

import (
	"fmt"
	"os"
	"path/filepath"
)

// State is where a feed keeps what outlives a restart, by name (StateFile,
// CalendarFile, GuardFile, NotifyFile): a state folder (WithStateDir), or
// an account's rows in a store (store.State). Load returns an error that
// matches fs.ErrNotExist when nothing is saved under name. Save replaces
// what was saved under name, atomically: whole or not at all.
type State interface {
	Load(name string) ([]byte, error)
	Save(name string, data []byte) error
}

// DirState is the state folder dir as a State: each name is a file in
// dir, read whole, and replaced atomically by writeFileAtomic (readable by
// the owner only). Its errors, and the feed's that come of them, name the
// files' paths. dir must exist; DirState creates nothing but the files.
func DirState(dir string) State { return dirState{dir} }

type dirState struct{ dir string }

func (d dirState) path(name string) string { return filepath.Join(d.dir, name) }

func (d dirState) Load(name string) ([]byte, error) { return os.ReadFile(d.path(name)) }

func (d dirState) Save(name string, data []byte) error { return writeFileAtomic(d.path(name), data) }

// WithState makes the feed save each good roster in st, with the iCalendar
// feed's event history, the lock-out guard's state (WithLoginKey) and the
// alerts' (Notifier), and Load read them back. Without it, or
// WithStateDir, nothing is saved. The last of the two given wins; a nil
// st saves nothing.
func WithState(st State) Option { return func(f *Feed) { f.state = st } }

// WithStateDir makes the feed save each good roster in dir, with the
// iCalendar feed's event history, and Load read them back: it is
// WithState(DirState(dir)). An empty dir saves nothing. Without it, or
// WithState, nothing is saved.
func WithStateDir(dir string) Option {
	return func(f *Feed) {
		f.state = nil
		if dir != "" {
			f.state = DirState(dir)
		}
	}
}

// stateName names what st holds under name in messages of the form
// "NAME: what is wrong": the file's path for a DirState, else name.
func stateName(st State, name string) string {
	if d, ok := st.(dirState); ok {
		return d.path(name)
	}
	return name
}

// stateWhere names it after a noun, as in "reading the saved roster
// WHERE": the file's path for a DirState, else name in brackets.
func stateWhere(st State, name string) string {
	if d, ok := st.(dirState); ok {
		return d.path(name)
	}
	return "(" + name + ")"
}

// loadWhere is what follows the noun when the error is Load's own: ""
// for a DirState, whose errors name the file, else " (name)".
func loadWhere(st State, name string) string {
	if _, ok := st.(dirState); ok {
		return ""
	}
	return " (" + name + ")"
}

// stateErr is err, from st's Load or Save of name, so that it names what
// failed: a DirState's errors name the file already, others get the name
// in front ("roster.json: ...").
func stateErr(st State, name string, err error) error {
	if _, ok := st.(dirState); ok || err == nil {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}
