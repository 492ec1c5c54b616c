//go:build unix

package feed

import (
	"io/fs"
	"syscall"
)

// hasModes is true where files have Unix permission bits that mean what
// they say.
const hasModes = true

// fileOwner returns the uid that owns the file fi describes.
func fileOwner(fi fs.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
