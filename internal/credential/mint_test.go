package credential

import (
	"bytes"
	"encoding/base64"
	"io"
	"testing"
	"time"
)

// TestMintRandomnessLayout: Mint reads its randomness once and cuts it into
// the access key id, the secret, the session id (when it makes one) and the
// token's nonce, in that order, exactly as reading them one after the other
// from the same stream would.
func TestMintRandomnessLayout(t *testing.T) {
	r := newRing(t)
	for _, sessionID := range []string{"", "GIVENSESSIONID"} {
		c := assumeRoleClaims()
		c.SessionID = sessionID
		creds, claims, err := r.Mint(c, testRand(7))
		if err != nil {
			t.Fatal(err)
		}
		var pool [11 + 30 + 16 + nonceLen]byte
		if _, err := io.ReadFull(testRand(7), pool[:]); err != nil {
			t.Fatal(err)
		}
		src := bytes.NewReader(pool[:])
		id, err := NewAccessKeyID(PrefixTemporaryAccessKey, c.AccountID, src)
		if err != nil {
			t.Fatal(err)
		}
		secret, err := NewSecretAccessKey(src)
		if err != nil {
			t.Fatal(err)
		}
		wantSession := sessionID
		if wantSession == "" {
			if wantSession, err = NewSessionID(src); err != nil {
				t.Fatal(err)
			}
		}
		var nonce [nonceLen]byte
		if _, err := io.ReadFull(src, nonce[:]); err != nil {
			t.Fatal(err)
		}
		if creds.AccessKeyID != id || !creds.SecretAccessKey.Equal(secret) || claims.SessionID != wantSession {
			t.Errorf("session id %q: Mint = %s, %s; want %s, %s", sessionID, creds.AccessKeyID, claims.SessionID, id, wantSession)
		}
		tok, err := base64.StdEncoding.DecodeString(creds.SessionToken)
		if err != nil {
			t.Fatal(err)
		}
		hdr := 2 + int(tok[1])
		if got := tok[hdr : hdr+nonceLen]; !bytes.Equal(got, nonce[:]) {
			t.Errorf("session id %q: nonce = %x, want %x", sessionID, got, nonce)
		}
	}
}

// TestMintLongestSession: a session of exactly MaxSessionDuration is
// minted whatever the sub-second digits of its issue time (STS asks for
// now + DurationSeconds, and now has nanoseconds, which the token cuts to
// microseconds), and one second more is refused.
func TestMintLongestSession(t *testing.T) {
	r := newRing(t)
	for _, ns := range []time.Duration{0, 1, 999, 1_000, 123_456_789, 999_999_999} {
		c := assumeRoleClaims()
		c.IssuedAt = t0.Add(ns)
		c.Expires = c.IssuedAt.Add(MaxSessionDuration)
		creds, claims, err := r.Mint(c, testRand(3))
		if err != nil {
			t.Fatalf("issued at +%dns: %v", ns, err)
		}
		if !creds.Expiration.Equal(c.Expires) || !claims.Expires.Equal(c.Expires) {
			t.Errorf("issued at +%dns: Expiration = %v, claims %v, want %v", ns, creds.Expiration, claims.Expires, c.Expires)
		}
		c.Expires = c.Expires.Add(time.Second)
		if _, _, err := r.Mint(c, testRand(3)); err == nil {
			t.Errorf("issued at +%dns: a session of %s is minted, want an error", ns, MaxSessionDuration+time.Second)
		}
	}
}
