//go:build !unix

package main

import "io/fs"

// secureStateDir changes nothing where permission bits do not govern
// access, as on Windows: the folder's ACL is its owner's business.
func secureStateDir(string) (fs.FileMode, error) { return 0, nil }
