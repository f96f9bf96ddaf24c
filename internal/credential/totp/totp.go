// Package totp implements time-based one-time passwords (RFC 6238: HMAC-SHA1,
// 6 digits, 30-second steps) for virtual MFA devices: seed generation in the
// shapes CreateVirtualMFADevice returns, the otpauth:// URI authenticator
// apps read, and code verification with a ±1 step window and replay
// refusal.
//
// It is pure: time is passed in, randomness is an io.Reader, and the caller
// stores the seed (sealed under the master key) and the last accepted step.
// Drawing the URI as a QR code (CreateVirtualMFADevice's QRCodePNG) is left
// to the caller. No error or printed form of a Seed carries the seed.
package totp

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// The parameters of the codes, fixed as authenticator apps and AWS expect.
const (
	Digits = 6
	Period = 30 * time.Second
	// SeedLen is the seed size in bytes: 320 bits, 64 base32 characters,
	// the shape of AWS's Base32StringSeed.
	SeedLen = 40
	// Window is how many steps either side of now a code is accepted, for
	// clock drift and typing time.
	Window = 1
)

// Redacted is printed in place of a seed.
const Redacted = "[REDACTED]"

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Seed is a device's shared secret.
type Seed struct {
	b []byte
}

// NewSeed returns a new random seed of SeedLen bytes.
func NewSeed(r io.Reader) (Seed, error) {
	b := make([]byte, SeedLen)
	if _, err := io.ReadFull(r, b); err != nil {
		return Seed{}, fmt.Errorf("totp: reading randomness: %w", err)
	}
	return Seed{b: b}, nil
}

// SeedFromBytes wraps stored seed bytes (as opened from the master key).
func SeedFromBytes(b []byte) (Seed, error) {
	if len(b) < 16 {
		return Seed{}, fmt.Errorf("totp: seed of %d bytes is shorter than RFC 4226's 128-bit minimum", len(b))
	}
	return Seed{b: append([]byte(nil), b...)}, nil
}

// ParseBase32 reads a seed in base32, as users paste them: case and spaces
// do not matter and padding is optional.
func ParseBase32(s string) (Seed, error) {
	s = strings.TrimRight(strings.ToUpper(strings.ReplaceAll(s, " ", "")), "=")
	b, err := b32.DecodeString(s)
	if err != nil {
		return Seed{}, fmt.Errorf("totp: seed is not base32") // never echo it
	}
	return SeedFromBytes(b)
}

// Bytes returns a copy of the seed, to seal under the master key.
func (s Seed) Bytes() []byte { return append([]byte(nil), s.b...) }

// Base32 returns the seed as unpadded base32 (CreateVirtualMFADevice's
// Base32StringSeed).
func (s Seed) Base32() string { return b32.EncodeToString(s.b) }

// URI returns the otpauth:// URI authenticator apps import (and that a QR
// code encodes), labelled issuer:account.
func (s Seed) URI(issuer, account string) string {
	q := url.Values{}
	q.Set("secret", s.Base32())
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(Digits))
	q.Set("period", fmt.Sprint(int(Period/time.Second)))
	u := url.URL{
		Scheme:   "otpauth",
		Host:     "totp",
		Path:     "/" + issuer + ":" + account,
		RawQuery: q.Encode(),
	}
	return u.String()
}

func (s Seed) String() string               { return Redacted }
func (s Seed) GoString() string             { return Redacted }
func (s Seed) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, Redacted) }
func (s Seed) LogValue() slog.Value         { return slog.StringValue(Redacted) }
func (s Seed) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// Step returns the time step t falls in.
func Step(t time.Time) int64 {
	return t.Unix() / int64(Period/time.Second)
}

// Code returns the code for time t.
func Code(s Seed, t time.Time) string {
	g := newGenerator(s.b)
	return format(g.at(Step(t), Digits), Digits)
}

var pow10 = [...]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// generator computes RFC 4226 HOTP values for one key, reusing its HMAC
// across steps.
type generator struct {
	mac hash.Hash
	sum []byte
}

func newGenerator(key []byte) *generator {
	return &generator{mac: hmac.New(sha1.New, key), sum: make([]byte, 0, sha1.Size)}
}

// at returns the HOTP value for counter step, truncated to digits.
func (g *generator) at(step int64, digits int) uint32 {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	g.mac.Reset()
	g.mac.Write(msg[:])
	g.sum = g.mac.Sum(g.sum[:0])
	off := g.sum[len(g.sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(g.sum[off:off+4]) & 0x7fffffff
	return bin % pow10[digits]
}

func format(v uint32, digits int) string {
	return fmt.Sprintf("%0*d", digits, v)
}

// Reason says why a code was refused.
type Reason uint8

// Reasons for VerifyError.
const (
	Malformed Reason = iota + 1 // not six digits
	Mismatch                    // no step in the window has this code
	Reused                      // the code's step is not after the last accepted one
)

func (r Reason) String() string {
	switch r {
	case Malformed:
		return "malformed code"
	case Mismatch:
		return "code does not match"
	case Reused:
		return "code already used"
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// VerifyError reports a refused code. It carries neither the code nor the
// seed.
type VerifyError struct {
	Reason Reason
}

func (e *VerifyError) Error() string { return "totp: " + e.Reason.String() }

// parse reads a code of exactly Digits decimal digits.
func parse(code string) (uint32, bool) {
	if len(code) != Digits {
		return 0, false
	}
	var v uint32
	for i := range len(code) {
		if code[i] < '0' || code[i] > '9' {
			return 0, false
		}
		v = v*10 + uint32(code[i]-'0')
	}
	return v, true
}

func equal(a, b uint32) bool { return subtle.ConstantTimeEq(int32(a), int32(b)) == 1 }

// Verify checks code against the steps within Window of now and returns the
// step it matched. lastStep is the step of the last code this device
// accepted (0 for none): a code for that step or an earlier one is refused
// as reused, so one code cannot sign in twice. The caller stores the
// returned step as the device's new last step.
func Verify(s Seed, code string, now time.Time, lastStep int64) (int64, error) {
	want, ok := parse(code)
	if !ok {
		return 0, &VerifyError{Reason: Malformed}
	}
	g := newGenerator(s.b)
	cur := Step(now)
	matched := int64(-1)
	for st := cur - Window; st <= cur+Window; st++ {
		// Compute every step, so timing does not reveal which matched.
		if equal(g.at(st, Digits), want) && matched < 0 {
			matched = st
		}
	}
	switch {
	case matched < 0:
		return 0, &VerifyError{Reason: Mismatch}
	case matched <= lastStep:
		return 0, &VerifyError{Reason: Reused}
	}
	return matched, nil
}

// VerifyPair checks two consecutive codes, as EnableMFADevice and
// ResyncMFADevice take them: code1 for some step within ±window steps of
// now and code2 for the next. It returns the step of code2 (to store as the
// last used step). A wide window lets a drifted device resynchronise; two
// consecutive codes keep guessing as hard as for one code in a narrow
// window.
func VerifyPair(s Seed, code1, code2 string, now time.Time, window int64) (int64, error) {
	want1, ok1 := parse(code1)
	want2, ok2 := parse(code2)
	if !ok1 || !ok2 {
		return 0, &VerifyError{Reason: Malformed}
	}
	g := newGenerator(s.b)
	cur := Step(now)
	for st := cur - window; st <= cur+window; st++ {
		if equal(g.at(st, Digits), want1) && equal(g.at(st+1, Digits), want2) {
			return st + 1, nil
		}
	}
	return 0, &VerifyError{Reason: Mismatch}
}
