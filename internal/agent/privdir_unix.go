//go:build unix

package agent

import (
	"fmt"
	"os"
	"syscall"
)

// privateDir makes dir (and its parents) if it does not exist, and makes
// sure only this user may use it: a directory another user owns is
// refused (they could replace the host key, plant a credentials cache or
// a symlink to elsewhere), and one of ours open to others is made 0700.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("agent: %s is not a directory", dir)
	case !ok || int(st.Uid) != os.Geteuid():
		return fmt.Errorf("agent: %s belongs to another user: use a directory of this user's (0700)", dir)
	case fi.Mode().Perm()&0o077 != 0:
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("agent: %w", err)
		}
	}
	return nil
}
