package credential

import (
	"bytes"
	"fmt"
	"io"
)

// Mint makes a temporary credential for the session described by c: a new
// ASIA… access key id in c.AccountID, a new secret, a new session id when
// c.SessionID is empty, and the token sealing it all under the ring's active
// key. c.IssuedAt and c.Expires are the caller's (time is passed in). The
// filled-in claims are returned with the credentials so the caller can audit
// the session without opening the token again.
func (r *TokenKeyRing) Mint(c Claims, rnd io.Reader) (TemporaryCredentials, Claims, error) {
	// One read for the id, secret, session id and nonce: crypto/rand is a
	// system call per read.
	var pool [11 + 30 + 16 + nonceLen]byte
	if _, err := io.ReadFull(rnd, pool[:]); err != nil {
		return TemporaryCredentials{}, Claims{}, fmt.Errorf("credential: reading randomness: %w", err)
	}
	defer clear(pool[:])
	rnd = bytes.NewReader(pool[:])
	var err error
	if c.AccessKeyID, err = NewAccessKeyID(PrefixTemporaryAccessKey, c.AccountID, rnd); err != nil {
		return TemporaryCredentials{}, Claims{}, err
	}
	if c.SecretAccessKey, err = NewSecretAccessKey(rnd); err != nil {
		return TemporaryCredentials{}, Claims{}, err
	}
	if c.SessionID == "" {
		if c.SessionID, err = NewSessionID(rnd); err != nil {
			return TemporaryCredentials{}, Claims{}, err
		}
	}
	token, packed, err := r.Seal(&c, rnd)
	if err != nil {
		return TemporaryCredentials{}, Claims{}, err
	}
	return TemporaryCredentials{
		AccessKeyID:      c.AccessKeyID,
		SecretAccessKey:  c.SecretAccessKey,
		SessionToken:     token,
		Expiration:       c.Expires,
		PackedPolicySize: packed,
	}, c, nil
}

// NewSessionID returns a random session id: 26 base32 characters (128 bits).
func NewSessionID(rnd io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("credential: reading randomness: %w", err)
	}
	return b32.EncodeToString(b[:]), nil
}
