package iam

import (
	"crypto/rand"
	"io"
)

// Unique-id prefixes, as AWS documents them ("IAM identifiers", unique IDs).
const (
	PrefixUser          = "AIDA"
	PrefixRole          = "AROA"
	PrefixGroup         = "AGPA"
	PrefixManagedPolicy = "ANPA"
	PrefixMFADevice     = "AMFA" // not exposed by AWS's API; used as the row id only
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// idRandLen is the number of random characters after the 4-letter prefix:
// AWS unique ids are 21 characters.
const idRandLen = 17

// NewID returns prefix followed by 17 random characters from [A-Z0-9],
// read from r (crypto/rand.Reader when r is nil). With 36^17 ≈ 2^88
// possibilities, collisions are not a practical concern; the store's unique
// constraint still catches one.
func NewID(prefix string, r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	// Rejection sampling keeps the distribution uniform: 252 = 7*36.
	b := make([]byte, len(prefix)+idRandLen)
	copy(b, prefix)
	buf := make([]byte, 32)
	n := len(prefix)
	for n < len(b) {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		for _, c := range buf {
			if c >= 252 || n == len(b) {
				continue
			}
			b[n] = idAlphabet[c%36]
			n++
		}
	}
	return string(b), nil
}
