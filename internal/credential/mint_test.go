package credential

import (
	"bytes"
	"encoding/base64"
	"io"
	"testing"
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
