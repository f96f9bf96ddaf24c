package credential

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// RetireMargin is added to MaxSessionDuration when a rotated-out key's
// not-after time is set, to cover clock skew between nodes.
const RetireMargin = time.Hour

// RetainAfterRotation is how long a key that is no longer active still
// verifies tokens: long enough for every token it sealed to expire.
const RetainAfterRotation = MaxSessionDuration + RetireMargin

// Sealer encrypts a secret for storage, binding it to purpose (additional
// data). masterkey.Keyring implements it.
type Sealer interface {
	Seal(plaintext []byte, purpose string) ([]byte, error)
}

// Opener decrypts what a Sealer sealed for the same purpose.
// masterkey.Keyring implements it.
type Opener interface {
	Open(ciphertext []byte, purpose string) ([]byte, error)
}

type tokenKey struct {
	id       string
	created  time.Time
	notAfter time.Time // zero while active
	key      [32]byte
	aead     cipher.AEAD
}

func newTokenKey(id string, created, notAfter time.Time, key []byte) (*tokenKey, error) {
	if len(id) == 0 || len(id) > maxKeyIDLen {
		return nil, fmt.Errorf("credential: token key id must be 1..%d bytes", maxKeyIDLen)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("credential: token key %q is %d bytes, want 32", id, len(key))
	}
	k := &tokenKey{id: id, created: created, notAfter: notAfter}
	copy(k.key[:], key)
	block, err := aes.NewCipher(k.key[:])
	if err != nil {
		return nil, err
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return k, nil
}

// ringState is an immutable snapshot: writers build a new one and swap it
// in, so Open reads it with one atomic load and no lock.
type ringState struct {
	active *tokenKey
	keys   map[string]*tokenKey
}

// TokenKeyRing holds the keys that seal and open session tokens: one active
// key that seals, and older keys that still open tokens they sealed until
// their not-after time. It is safe for concurrent use; Open and Seal take no
// lock.
type TokenKeyRing struct {
	mu    sync.Mutex // serialises writers
	state atomic.Pointer[ringState]
}

var emptyRing = &ringState{keys: map[string]*tokenKey{}}

// load returns the current snapshot; a zero TokenKeyRing is empty (it
// opens nothing and cannot seal).
func (r *TokenKeyRing) load() *ringState {
	if st := r.state.Load(); st != nil {
		return st
	}
	return emptyRing
}

// TokenKeyInfo describes a key without its material.
type TokenKeyInfo struct {
	ID       string
	Created  time.Time
	NotAfter time.Time // zero for the active key
	Active   bool
}

// NewTokenKeyRing returns a ring with one new active key.
func NewTokenKeyRing(rnd io.Reader, now time.Time) (*TokenKeyRing, error) {
	r := &TokenKeyRing{}
	r.state.Store(&ringState{keys: map[string]*tokenKey{}})
	if _, err := r.Rotate(rnd, now); err != nil {
		return nil, err
	}
	return r, nil
}

// Rotate makes a new key active and returns its id. The previous active key
// keeps opening tokens until now + RetainAfterRotation.
func (r *TokenKeyRing) Rotate(rnd io.Reader, now time.Time) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.load()
	var material [32 + 5]byte
	if _, err := io.ReadFull(rnd, material[:]); err != nil {
		return "", fmt.Errorf("credential: reading randomness: %w", err)
	}
	id := "tk" + b32.EncodeToString(material[32:])
	if old.keys[id] != nil {
		return "", fmt.Errorf("credential: token key id %q already in ring", id)
	}
	k, err := newTokenKey(id, now.UTC().Truncate(time.Second), time.Time{}, material[:32])
	clear(material[:])
	if err != nil {
		return "", err
	}
	next := &ringState{active: k, keys: make(map[string]*tokenKey, len(old.keys)+1)}
	for kid, ok := range old.keys {
		if ok == old.active {
			retired := *ok
			retired.notAfter = now.Add(RetainAfterRotation).UTC().Truncate(time.Second)
			ok = &retired
		}
		next.keys[kid] = ok
	}
	next.keys[id] = k
	r.state.Store(next)
	return id, nil
}

// Prune drops the keys whose not-after time has passed and returns their
// ids. Tokens they sealed have all expired.
func (r *TokenKeyRing) Prune(now time.Time) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.load()
	var dropped []string
	next := &ringState{active: old.active, keys: make(map[string]*tokenKey, len(old.keys))}
	for id, k := range old.keys {
		if !k.notAfter.IsZero() && now.After(k.notAfter) {
			dropped = append(dropped, id)
			continue
		}
		next.keys[id] = k
	}
	if len(dropped) > 0 {
		r.state.Store(next)
	}
	sort.Strings(dropped)
	return dropped
}

// ActiveKeyID returns the id of the key that seals new tokens.
func (r *TokenKeyRing) ActiveKeyID() string {
	if k := r.load().active; k != nil {
		return k.id
	}
	return ""
}

// Keys lists the keys in the ring, oldest first, without their material.
func (r *TokenKeyRing) Keys() []TokenKeyInfo {
	st := r.load()
	out := make([]TokenKeyInfo, 0, len(st.keys))
	for _, k := range st.keys {
		out = append(out, TokenKeyInfo{ID: k.id, Created: k.created, NotAfter: k.notAfter, Active: k == st.active})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Format prints the key ids, never their material.
func (r *TokenKeyRing) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "TokenKeyRing{active:%s keys:%d}", r.ActiveKeyID(), len(r.load().keys))
}

func (r *TokenKeyRing) String() string   { return fmt.Sprint(r) }
func (r *TokenKeyRing) GoString() string { return fmt.Sprint(r) }

// LogValue implements slog.LogValuer.
func (r *TokenKeyRing) LogValue() slog.Value {
	return slog.GroupValue(slog.String("active", r.ActiveKeyID()), slog.Int("keys", len(r.load().keys)))
}

// The persisted form of a ring: JSON (it is read at start and on change, not
// per request) with each key's material sealed under the master key, bound
// to "token-key:<id>".
type ringFile struct {
	Version int           `json:"version"`
	Active  string        `json:"active"`
	Keys    []ringFileKey `json:"keys"`
}

type ringFileKey struct {
	ID       string    `json:"id"`
	Created  time.Time `json:"created"`
	NotAfter time.Time `json:"not_after,omitzero"`
	Sealed   []byte    `json:"sealed"` // base64 in JSON
}

func tokenKeyPurpose(id string) string { return "token-key:" + id }

// Marshal returns the ring in its persisted form, each key sealed by s.
func (r *TokenKeyRing) Marshal(s Sealer) ([]byte, error) {
	st := r.load()
	f := ringFile{Version: 1}
	if st.active != nil {
		f.Active = st.active.id
	}
	for _, info := range r.Keys() {
		k := st.keys[info.ID]
		sealed, err := s.Seal(k.key[:], tokenKeyPurpose(k.id))
		if err != nil {
			return nil, fmt.Errorf("credential: sealing token key %q: %w", k.id, err)
		}
		f.Keys = append(f.Keys, ringFileKey{ID: k.id, Created: k.created, NotAfter: k.notAfter, Sealed: sealed})
	}
	return json.MarshalIndent(f, "", "  ")
}

// UnmarshalTokenKeyRing reads a ring persisted by Marshal.
func UnmarshalTokenKeyRing(data []byte, o Opener) (*TokenKeyRing, error) {
	r := &TokenKeyRing{}
	st, err := decodeRing(data, o)
	if err != nil {
		return nil, err
	}
	r.state.Store(st)
	return r, nil
}

// Load replaces the ring's keys with those persisted in data, atomically:
// concurrent Opens see either the old ring or the new one. A node calls it
// when the store reports that another node rotated the ring.
func (r *TokenKeyRing) Load(data []byte, o Opener) error {
	st, err := decodeRing(data, o)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.Store(st)
	return nil
}

func decodeRing(data []byte, o Opener) (*ringState, error) {
	var f ringFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("credential: token key ring: %w", err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("credential: token key ring version %d not supported", f.Version)
	}
	st := &ringState{keys: make(map[string]*tokenKey, len(f.Keys))}
	for _, fk := range f.Keys {
		if st.keys[fk.ID] != nil {
			return nil, fmt.Errorf("credential: token key ring: duplicate key %q", fk.ID)
		}
		material, err := o.Open(fk.Sealed, tokenKeyPurpose(fk.ID))
		if err != nil {
			return nil, fmt.Errorf("credential: opening token key %q: %w", fk.ID, err)
		}
		k, err := newTokenKey(fk.ID, fk.Created, fk.NotAfter, material)
		clear(material)
		if err != nil {
			return nil, err
		}
		st.keys[k.id] = k
	}
	st.active = st.keys[f.Active]
	if st.active == nil {
		return nil, errors.New("credential: token key ring: active key missing")
	}
	if !st.active.notAfter.IsZero() {
		return nil, errors.New("credential: token key ring: active key has a not-after time")
	}
	return st, nil
}
