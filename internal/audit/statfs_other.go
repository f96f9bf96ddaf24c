//go:build !unix

package audit

import "errors"

// osStatfs is not implemented here: the disk metrics report no space.
func osStatfs(string) (free, total uint64, err error) {
	return 0, 0, errors.New("audit: statfs is not supported on this platform")
}
