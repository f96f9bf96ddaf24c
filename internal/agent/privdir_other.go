//go:build !unix

package agent

import (
	"fmt"
	"os"
)

// privateDir makes dir (and its parents) if it does not exist; outside
// Unix its access is left to the system's ACLs.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	return nil
}
