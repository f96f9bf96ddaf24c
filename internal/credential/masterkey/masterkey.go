// Package masterkey encrypts secrets at rest (long-term secret access keys,
// token keys, MFA seeds) under a master key, KMS style: AES-256-GCM, each
// ciphertext naming the master key that sealed it, and additional data
// binding it to its purpose and owner (for example "access-key:AKIA…") so a
// ciphertext cannot be moved to another row and still open.
//
// It owns the master key sources (the BREVET_MASTER_KEY environment value, a
// JSON key file, a key file generated on first start) and rotation: a
// Keyring has one active key that seals and any number of older keys that
// only open, and Rewrap moves a ciphertext to the active key. A Keyring is
// immutable and safe for concurrent use; rotation makes a new one. The
// package knows nothing of stores or HTTP, and no error or printed form of
// its types carries key material or plaintext.
package masterkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"
)

// KeyLen is the length of a master key: 32 bytes (AES-256).
const KeyLen = 32

// Ciphertext layout (version 1):
//
//	version  1 byte (1)
//	idLen    1 byte (1..maxIDLen)
//	id       the master key id, in clear
//	nonce    12 bytes
//	sealed   AES-256-GCM(plaintext) with its 16-byte tag
//
// Additional data: adPrefix, the header (version, idLen, id), then the
// purpose string.
const (
	version  = 1
	maxIDLen = 64
	nonceLen = 12
	tagLen   = 16
	adPrefix = "brevet/masterkey/v1\x00"
)

// Redacted is printed in place of key material.
const Redacted = "[REDACTED]"

// Reason says why a ciphertext did not open.
type Reason uint8

// Reasons for OpenError.
const (
	Malformed  Reason = iota + 1 // truncated or wrong version
	UnknownKey                   // names a master key not in the keyring
	Forged                       // authentication failed: tampered, wrong purpose, or wrong key material
)

func (r Reason) String() string {
	switch r {
	case Malformed:
		return "malformed ciphertext"
	case UnknownKey:
		return "unknown master key"
	case Forged:
		return "authentication failed (tampered, or sealed for another purpose)"
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// OpenError reports a ciphertext that did not open. It names the master key
// and the purpose, never the contents.
type OpenError struct {
	Reason  Reason
	KeyID   string
	Purpose string
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("masterkey: cannot open %q (key %q): %s", e.Purpose, e.KeyID, e.Reason)
}

// Key is one master key: an id and 32 bytes of material.
type Key struct {
	ID       string
	Created  time.Time // informational; zero when unknown
	material [KeyLen]byte
}

// NewKey makes a Key from its id and material.
func NewKey(id string, material []byte) (Key, error) {
	if err := checkID(id); err != nil {
		return Key{}, err
	}
	if len(material) != KeyLen {
		return Key{}, fmt.Errorf("masterkey: key %q is %d bytes, want %d", id, len(material), KeyLen)
	}
	k := Key{ID: id}
	copy(k.material[:], material)
	return k, nil
}

// GenerateKey makes a new key with a random id ("mk-" and 8 characters).
func GenerateKey(rnd io.Reader, now time.Time) (Key, error) {
	var b [KeyLen + 5]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return Key{}, fmt.Errorf("masterkey: reading randomness: %w", err)
	}
	id := "mk-" + strings.ToLower(base32.StdEncoding.EncodeToString(b[KeyLen:]))
	k, err := NewKey(id, b[:KeyLen])
	clear(b[:])
	k.Created = now.UTC().Truncate(time.Second)
	return k, err
}

func checkID(id string) error {
	if len(id) == 0 || len(id) > maxIDLen {
		return fmt.Errorf("masterkey: key id must be 1..%d bytes", maxIDLen)
	}
	for i := range len(id) {
		if c := id[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("masterkey: key id %q: printable ASCII only", id)
		}
	}
	return nil
}

// Format prints the key id only.
func (k Key) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "masterkey.Key{ID:%s material:%s}", k.ID, Redacted)
}
func (k Key) String() string   { return fmt.Sprint(k) }
func (k Key) GoString() string { return fmt.Sprint(k) }

// LogValue implements slog.LogValuer.
func (k Key) LogValue() slog.Value { return slog.GroupValue(slog.String("id", k.ID)) }

type entry struct {
	key  Key
	aead cipher.AEAD
}

// Keyring is a set of master keys: one active key that seals, and older
// keys that only open. It is immutable.
type Keyring struct {
	active *entry
	keys   map[string]*entry
}

// New returns a keyring sealing with active and opening with active and
// decryptOnly.
func New(active Key, decryptOnly ...Key) (*Keyring, error) {
	kr := &Keyring{keys: make(map[string]*entry, 1+len(decryptOnly))}
	for _, k := range append([]Key{active}, decryptOnly...) {
		if err := checkID(k.ID); err != nil {
			return nil, err
		}
		if kr.keys[k.ID] != nil {
			return nil, fmt.Errorf("masterkey: duplicate key id %q", k.ID)
		}
		block, err := aes.NewCipher(k.material[:])
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		kr.keys[k.ID] = &entry{key: k, aead: aead}
	}
	kr.active = kr.keys[active.ID]
	return kr, nil
}

// Generate returns a keyring with one new random key.
func Generate(rnd io.Reader, now time.Time) (*Keyring, error) {
	k, err := GenerateKey(rnd, now)
	if err != nil {
		return nil, err
	}
	return New(k)
}

// Rotate returns a new keyring whose active key is new and random; every
// key of kr stays to open what it sealed. Persist it (WriteKeyFile), then
// Rewrap the stored ciphertexts, then the old keys can be removed.
func (kr *Keyring) Rotate(rnd io.Reader, now time.Time) (*Keyring, error) {
	k, err := GenerateKey(rnd, now)
	if err != nil {
		return nil, err
	}
	if kr.keys[k.ID] != nil {
		return nil, fmt.Errorf("masterkey: generated id %q already in use", k.ID)
	}
	return New(k, kr.keysExcept("")...) // the old active key is now decrypt-only
}

// Without returns a keyring lacking the decrypt-only key id, for when every
// ciphertext it sealed has been rewrapped. The active key cannot be removed.
func (kr *Keyring) Without(id string) (*Keyring, error) {
	if id == kr.active.key.ID {
		return nil, fmt.Errorf("masterkey: cannot remove the active key %q", id)
	}
	if kr.keys[id] == nil {
		return nil, fmt.Errorf("masterkey: no key %q", id)
	}
	return New(kr.active.key, kr.keysExcept(id, kr.ActiveID())...)
}

// keysExcept returns the keys, sorted by id, but those named in skip.
func (kr *Keyring) keysExcept(skip ...string) []Key {
	var out []Key
	for _, id := range kr.IDs() {
		if !slices.Contains(skip, id) {
			out = append(out, kr.keys[id].key)
		}
	}
	return out
}

// ActiveID returns the id of the key that seals.
func (kr *Keyring) ActiveID() string { return kr.active.key.ID }

// IDs returns the ids of all keys, sorted.
func (kr *Keyring) IDs() []string {
	ids := make([]string, 0, len(kr.keys))
	for id := range kr.keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Format prints key ids only.
func (kr *Keyring) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "masterkey.Keyring{active:%s keys:%v}", kr.ActiveID(), kr.IDs())
}
func (kr *Keyring) String() string   { return fmt.Sprint(kr) }
func (kr *Keyring) GoString() string { return fmt.Sprint(kr) }

// LogValue implements slog.LogValuer.
func (kr *Keyring) LogValue() slog.Value {
	return slog.GroupValue(slog.String("active", kr.ActiveID()), slog.Any("keys", kr.IDs()))
}

// Seal encrypts plaintext under the active key, bound to purpose (for
// example "access-key:AKIA…"): only Open with the same purpose opens it.
func (kr *Keyring) Seal(plaintext []byte, purpose string) ([]byte, error) {
	e := kr.active
	id := e.key.ID
	out := make([]byte, 2+len(id)+nonceLen, 2+len(id)+nonceLen+len(plaintext)+tagLen)
	out[0], out[1] = version, byte(len(id))
	copy(out[2:], id)
	hdr := 2 + len(id)
	if _, err := rand.Read(out[hdr : hdr+nonceLen]); err != nil {
		return nil, fmt.Errorf("masterkey: reading randomness: %w", err)
	}
	return e.aead.Seal(out, out[hdr:hdr+nonceLen], plaintext, additionalData(out[:hdr], purpose)), nil
}

func additionalData(hdr []byte, purpose string) []byte {
	ad := make([]byte, 0, len(adPrefix)+len(hdr)+len(purpose))
	ad = append(ad, adPrefix...)
	ad = append(ad, hdr...)
	return append(ad, purpose...)
}

// KeyID returns the id of the master key that sealed ciphertext.
func KeyID(ciphertext []byte) (string, error) {
	if len(ciphertext) < 2 || ciphertext[0] != version {
		return "", &OpenError{Reason: Malformed}
	}
	n := int(ciphertext[1])
	if n == 0 || n > maxIDLen || len(ciphertext) < 2+n+nonceLen+tagLen {
		return "", &OpenError{Reason: Malformed}
	}
	return string(ciphertext[2 : 2+n]), nil
}

// Open decrypts a ciphertext sealed for purpose by any key of the ring.
func (kr *Keyring) Open(ciphertext []byte, purpose string) ([]byte, error) {
	id, err := KeyID(ciphertext)
	if err != nil {
		err.(*OpenError).Purpose = purpose
		return nil, err
	}
	e := kr.keys[id]
	if e == nil {
		return nil, &OpenError{Reason: UnknownKey, KeyID: id, Purpose: purpose}
	}
	hdr := 2 + len(id)
	plain, err := e.aead.Open(nil, ciphertext[hdr:hdr+nonceLen], ciphertext[hdr+nonceLen:], additionalData(ciphertext[:hdr], purpose))
	if err != nil {
		return nil, &OpenError{Reason: Forged, KeyID: id, Purpose: purpose}
	}
	return plain, nil
}

// Rewrap re-encrypts a ciphertext under the active key, for the same
// purpose. It returns the ciphertext unchanged, and rewrapped false, when
// the active key already sealed it, so a rotation command can walk the store
// and write back only what changed.
func (kr *Keyring) Rewrap(ciphertext []byte, purpose string) (out []byte, rewrapped bool, err error) {
	id, err := KeyID(ciphertext)
	if err != nil {
		err.(*OpenError).Purpose = purpose
		return nil, false, err
	}
	if id == kr.ActiveID() {
		// Authenticate anyway: a rotation must not vouch for a forgery.
		plain, err := kr.Open(ciphertext, purpose)
		clear(plain)
		if err != nil {
			return nil, false, err
		}
		return ciphertext, false, nil
	}
	plain, err := kr.Open(ciphertext, purpose)
	if err != nil {
		return nil, false, err
	}
	defer clear(plain)
	out, err = kr.Seal(plain, purpose)
	return out, err == nil, err
}

// derivedID names a key that came without an id (the environment variable)
// by a fingerprint of its material, so ciphertexts sealed under a different
// key fail with "unknown master key" rather than a bare authentication
// failure.
func derivedID(material []byte) string {
	h := sha256.New()
	h.Write([]byte("brevet master key id\x00"))
	h.Write(material)
	return "env-" + hex.EncodeToString(h.Sum(nil)[:6])
}

var errEmpty = errors.New("masterkey: empty key")
