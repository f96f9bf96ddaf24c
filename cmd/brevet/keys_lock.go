package main

import (
	"errors"
	"fmt"

	"github.com/brevet-dev/brevet/internal/datadir"
)

// rotateLockHolder is how rotate-master-key names itself in the data
// directory's lock file (a server names itself node.LockHolder).
const rotateLockHolder = "brevet keys rotate-master-key"

// lockForMasterKeyRotation takes the data directory's lock for
// rotate-master-key, which must not run beside a server on the same data
// directory: the server keeps the master key ring it loaded and could not
// open the secrets re-sealed under the new key.
func lockForMasterKeyRotation(dataDir string) (*datadir.Lock, error) {
	l, err := datadir.Acquire(dataDir, rotateLockHolder)
	var locked *datadir.LockedError
	if errors.As(err, &locked) {
		return nil, fmt.Errorf("a server is running on %s; stop it first (%w)", dataDir, err)
	}
	return l, err
}
