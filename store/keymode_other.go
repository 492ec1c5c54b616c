//go:build !unix

package store

import "io/fs"

// openToOthers cannot tell from Windows' modes who may read a file: its
// access lists are another matter, so it never warns there.
func openToOthers(fs.FileMode) bool { return false }
