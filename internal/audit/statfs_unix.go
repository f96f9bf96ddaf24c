//go:build unix

package audit

import "syscall"

// osStatfs is Statfs through statfs(2).
func osStatfs(dir string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	bs := uint64(st.Bsize) //nolint:unconvert // int64 on Linux, uint32 elsewhere
	return uint64(st.Bavail) * bs, uint64(st.Blocks) * bs, nil
}
