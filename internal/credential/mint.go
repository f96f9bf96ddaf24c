package credential

import (
	"fmt"
	"io"
	"time"
)

// Mint makes a temporary credential for the session described by c: a new
// ASIA… access key id in c.AccountID, a new secret, a new session id when
// c.SessionID is empty, and the token sealing it all under the ring's active
// key. c.IssuedAt and c.Expires are the caller's (time is passed in). The
// filled-in claims are returned with the credentials so the caller can audit
// the session without opening the token again.
func (r *TokenKeyRing) Mint(c Claims, rnd io.Reader) (TemporaryCredentials, Claims, error) {
	// One read for the id, secret, session id and nonce: crypto/rand is a
	// system call per read. The pieces are then cut from the pool in that
	// order (the nonce follows the secret directly when the session id is
	// given), without a reader over it.
	var pool mintPool
	if _, err := io.ReadFull(rnd, pool[:]); err != nil {
		return TemporaryCredentials{}, Claims{}, fmt.Errorf("credential: reading randomness: %w", err)
	}
	defer clear(pool[:])
	acct, err := parseAccountID(c.AccountID)
	if err != nil {
		return TemporaryCredentials{}, Claims{}, err
	}
	// The token carries the issue time in microseconds; the claims
	// returned are the token's.
	c.IssuedAt = c.IssuedAt.Truncate(time.Microsecond)
	rest := pool[:]
	c.AccessKeyID = formatID(PrefixTemporaryAccessKey, acct, 0, (*[idRandLen]byte)(rest))
	rest = rest[idRandLen:]
	c.SecretAccessKey = secretFromBytes((*[secretRandLen]byte)(rest))
	rest = rest[secretRandLen:]
	if c.SessionID == "" {
		c.SessionID = sessionIDFromBytes((*[sessionIDRandLen]byte)(rest))
		rest = rest[sessionIDRandLen:]
	}
	token, packed, err := r.seal(&c, nil, rest[:nonceLen])
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
	var b [sessionIDRandLen]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("credential: reading randomness: %w", err)
	}
	return sessionIDFromBytes(&b), nil
}

const sessionIDRandLen = 16

// mintPool is the randomness of one Mint: an id, a secret, a session id
// and a nonce.
type mintPool [idRandLen + secretRandLen + sessionIDRandLen + nonceLen]byte

// sessionIDFromBytes encodes on the stack, so the string is the only
// allocation.
func sessionIDFromBytes(b *[sessionIDRandLen]byte) string {
	return string(b32.AppendEncode(make([]byte, 0, 32), b[:]))
}
