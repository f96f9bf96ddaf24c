// Package password hashes and verifies IAM users' passwords with argon2id
// (RFC 9106), the memory-hard KDF: a stolen store costs an attacker 64 MiB
// of memory per guess.
//
// A hash is encoded in the PHC string format with its parameters,
// $argon2id$v=19$m=65536,t=2,p=2$SALT$HASH, so the parameters can change
// later without invalidating stored hashes (NeedsRehash says when one was
// made with others). A Hasher bounds how many hashes run at once, so a
// flood of sign-ins queues instead of exhausting memory.
//
// It is pure apart from the semaphore: randomness is an io.Reader, and it
// neither stores nor logs anything. No error carries a password or a hash.
package password

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams: 64 MiB, two passes, two lanes, 16-byte salt, 32-byte
// hash: RFC 9106's second recommended option (m=64 MiB) with two passes
// instead of three and two lanes instead of four, so that a verification
// stays well under 100 ms on a two-core server (docs/benchmarks.md).
var DefaultParams = Params{Memory: 64 * 1024, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}

// Bounds on the parameters of a stored hash: a corrupt or hostile row must
// not make Verify allocate without limit.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 16
	maxKeyLen  = 64
	maxSaltLen = 64
)

// ErrMalformed: a stored hash is not one this package wrote.
var ErrMalformed = errors.New("password: malformed hash")

// Hasher hashes and verifies passwords, at most Concurrency at a time.
type Hasher struct {
	params Params
	rand   io.Reader
	sem    chan struct{}

	dummyOnce sync.Once
	dummy     string // a hash of a random password, for VerifyDummy
	dummyErr  error
}

// NewHasher returns a Hasher using params for new hashes, running at most
// concurrency hashes at once (peak memory: concurrency × params.Memory),
// drawing salts from rand.
func NewHasher(params Params, concurrency int, rand io.Reader) (*Hasher, error) {
	if concurrency < 1 {
		concurrency = 1
	}
	if params.Memory == 0 || params.Memory > maxMemory || params.Time == 0 || params.Time > maxTime ||
		params.Threads == 0 || params.SaltLen < 8 || params.SaltLen > maxSaltLen || params.KeyLen < 16 || params.KeyLen > maxKeyLen {
		return nil, fmt.Errorf("password: parameters out of range: %+v", params)
	}
	return &Hasher{params: params, rand: rand, sem: make(chan struct{}, concurrency)}, nil
}

// acquire waits for a hashing slot, or for ctx to end.
func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

func (h *Hasher) derive(ctx context.Context, pw string, salt []byte, p Params) ([]byte, error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.release()
	return argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen), nil
}

var b64 = base64.RawStdEncoding

// Hash returns the PHC-encoded argon2id hash of pw under a fresh salt.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := io.ReadFull(h.rand, salt); err != nil {
		return "", err
	}
	key, err := h.derive(ctx, pw, salt, h.params)
	if err != nil {
		return "", err
	}
	return encode(h.params, salt, key), nil
}

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses a PHC-encoded argon2id hash, refusing parameters out of
// bounds.
func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return Params{}, nil, nil, ErrMalformed
	}
	var p Params
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); n != 3 || err != nil {
		return Params{}, nil, nil, ErrMalformed
	}
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > maxTime ||
		p.Threads == 0 || len(salt) < 8 || len(salt) > maxSaltLen || len(key) < 16 || len(key) > maxKeyLen {
		return Params{}, nil, nil, ErrMalformed
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// Verify reports whether pw matches the encoded hash, comparing in
// constant time. The error is ErrMalformed for a hash it cannot read, or
// ctx's error if it ended while waiting for a slot.
func (h *Hasher) Verify(ctx context.Context, encoded, pw string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got, err := h.derive(ctx, pw, salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyDummy costs what Verify costs with the current parameters and
// always reports false: a caller with no hash to check (no such user, no
// password) calls it so that its answer takes as long as a wrong password.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) error {
	h.dummyOnce.Do(func() {
		// Its salt and hash are random: no password matches it.
		salt, key := make([]byte, h.params.SaltLen), make([]byte, h.params.KeyLen)
		if _, err := io.ReadFull(h.rand, salt); err != nil {
			h.dummyErr = err
			return
		}
		if _, err := io.ReadFull(h.rand, key); err != nil {
			h.dummyErr = err
			return
		}
		h.dummy = encode(h.params, salt, key)
	})
	if h.dummyErr != nil {
		return h.dummyErr
	}
	_, err := h.Verify(ctx, h.dummy, pw)
	return err
}

// NeedsRehash reports whether encoded was made with other parameters than
// the Hasher's (or cannot be read): the caller may re-hash the password
// once it has verified it.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	return err != nil || p != h.params
}
