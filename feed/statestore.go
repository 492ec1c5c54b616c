package feed

// State is where a feed keeps what outlives a restart, by name (StateFile,
// CalendarFile, GuardFile, NotifyFile): a state folder (WithStateDir), or
// an account's rows in a store (store.State). Load returns an error that
// matches fs.ErrNotExist when nothing is saved under name. Save replaces
// what was saved under name, atomically: whole or not at all.
type State interface {
	Load(name string) ([]byte, error)
	Save(name string, data []byte) error
}
