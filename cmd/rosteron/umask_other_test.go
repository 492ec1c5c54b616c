//go:build !unix

package main

import "io/fs"

// umask is none where there is no umask: files get the mode asked for.
func umask() fs.FileMode { return 0 }
