package credential

import (
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
