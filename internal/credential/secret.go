package credential

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
)

// SecretAccessKeyLen is the length of a secret access key: 40 characters
// from [A-Za-z0-9+/], like AWS's.
const SecretAccessKeyLen = 40

// Redacted is what every secret-holding type prints instead of its secret.
const Redacted = "[REDACTED]"

// Secret holds a secret string (a secret access key). Its value is reachable
// only through Reveal, so it cannot leak through fmt (every verb, including
// %#v, prints Redacted), slog, or encoding/json (no exported fields).
type Secret struct {
	s string
}

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{s: s} }

// NewSecretAccessKey returns a new 40-character secret access key made of
// 240 bits read from r (crypto/rand.Reader in production).
func NewSecretAccessKey(r io.Reader) (Secret, error) {
	var b [secretRandLen]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return Secret{}, fmt.Errorf("credential: reading randomness: %w", err)
	}
	return secretFromBytes(&b), nil
}

// secretRandLen is the randomness in a secret access key: base64 of 30
// bytes is exactly 40 characters, no padding.
const secretRandLen = 30

// secretFromBytes encodes on the stack, so the string is the only
// allocation (EncodeToString makes two).
func secretFromBytes(b *[secretRandLen]byte) Secret {
	return Secret{s: string(base64.StdEncoding.AppendEncode(make([]byte, 0, SecretAccessKeyLen), b[:]))}
}

// Reveal returns the secret itself. Call it only where the secret is used
// (signing-key derivation, the response that hands it to its owner).
func (s Secret) Reveal() string { return s.s }

// IsZero reports whether s holds nothing.
func (s Secret) IsZero() bool { return s.s == "" }

// Equal compares two secrets in constant time (for equal lengths).
func (s Secret) Equal(o Secret) bool {
	return subtle.ConstantTimeCompare([]byte(s.s), []byte(o.s)) == 1
}

func (s Secret) String() string   { return Redacted }
func (s Secret) GoString() string { return Redacted }

// Format makes every fmt verb print Redacted, so even %x or %d cannot show
// the value.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, Redacted) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalText keeps the secret out of encoders that use TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
