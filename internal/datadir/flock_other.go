//go:build !unix

package datadir

import "os"

// flock takes no lock where flock(2) does not exist.
func flock(*os.File) (bool, error) { return true, nil }
