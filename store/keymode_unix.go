//go:build unix

package store

import "io/fs"

// openToOthers reports whether others than a key file's owner may read
// or write it.
func openToOthers(mode fs.FileMode) bool { return mode.Perm()&0o077 != 0 }
