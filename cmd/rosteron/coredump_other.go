//go:build !unix

package main

// disableCoreDumps does nothing where there is no RLIMIT_CORE.
func disableCoreDumps() error { return nil }
