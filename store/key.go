package store

// Key is the key secrets are sealed with: 32 random bytes, kept in a file
// apart from the store. It prints as "[key]", never its bytes.
type Key struct {
	b [32]byte
}

// String keeps a Key out of logs and errors.
func (k *Key) String() string { return "[key]" }

// GoString keeps a Key out of %#v too.
func (k *Key) GoString() string { return "[key]" }
