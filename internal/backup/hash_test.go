package backup_test

import (
	"crypto/sha256"
	"encoding/hex"
)

func hashOf(b []byte) (int64, string) {
	h := sha256.Sum256(b)
	return int64(len(b)), hex.EncodeToString(h[:])
}
