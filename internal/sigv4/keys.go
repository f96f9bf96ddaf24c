package sigv4

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
)

// deriveSigningKey derives the SigV4 signing key: an HMAC chain of the
// date, region, service and "aws4_request" starting from "AWS4"+secret.
func deriveSigningKey(secret, date, region, service string) [32]byte {
	k := hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k[:], region)
	k = hmacSum(k[:], service)
	k = hmacSum(k[:], terminator)
	return k
}

func hmacSum(key []byte, msg string) (out [32]byte) {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	m.Sum(out[:0])
	return out
}

// hmacPadded computes HMAC-SHA256 with a 32-byte key over buf[64:],
// using buf[:64] as room for the inner pad so that the whole inner hash
// is one contiguous sha256.Sum256: no hash.Hash, no allocation.
func hmacPadded(key *[32]byte, buf []byte) [32]byte {
	for i := 0; i < 64; i++ {
		var k byte
		if i < 32 {
			k = key[i]
		}
		buf[i] = k ^ 0x36
	}
	inner := sha256.Sum256(buf)
	var outer [64 + 32]byte
	for i := 0; i < 64; i++ {
		var k byte
		if i < 32 {
			k = key[i]
		}
		outer[i] = k ^ 0x5c
	}
	copy(outer[64:], inner[:])
	return sha256.Sum256(outer[:])
}

// appendStringToSign appends the string to sign for a canonical request
// (or chunk, or trailer) hash.
func appendStringToSign(b []byte, alg, amzDate, scope string, hash *[32]byte) []byte {
	b = append(b, alg...)
	b = append(b, '\n')
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, scope...)
	b = append(b, '\n')
	return hex.AppendEncode(b, hash[:])
}

type signingKeyID struct{ secret, date, region, service string }

// keyCache holds derived keys. Deriving a SigV4 key costs four HMACs and
// a SigV4a key a scalar multiplication; both depend only on the secret
// and (for SigV4) the day, region and service, so a busy server derives
// each once a day. It is bounded: when full, an arbitrary part of it is
// dropped (Go's map order), which is as good as LRU for keys that are
// all equally likely to come back.
type keyCache struct {
	max int

	mu   sync.RWMutex
	hmac map[signingKeyID][32]byte
	ec   map[[2]string]*ecdsa.PrivateKey // (access key id, secret)
}

func newKeyCache(max int) *keyCache {
	if max <= 0 {
		max = 1024
	}
	return &keyCache{max: max, hmac: map[signingKeyID][32]byte{}, ec: map[[2]string]*ecdsa.PrivateKey{}}
}

func (c *keyCache) signingKey(secret, date, region, service string) [32]byte {
	id := signingKeyID{secret, date, region, service}
	c.mu.RLock()
	k, ok := c.hmac[id]
	c.mu.RUnlock()
	if ok {
		return k
	}
	k = deriveSigningKey(secret, date, region, service)
	// The strings may point into a request; keep copies of our own.
	id = signingKeyID{strings.Clone(secret), strings.Clone(date), strings.Clone(region), strings.Clone(service)}
	c.mu.Lock()
	if len(c.hmac) >= c.max {
		evict(c.hmac, c.max/8+1)
	}
	c.hmac[id] = k
	c.mu.Unlock()
	return k
}

func (c *keyCache) ecdsaKey(accessKeyID, secret string) (*ecdsa.PrivateKey, error) {
	id := [2]string{accessKeyID, secret}
	c.mu.RLock()
	k, ok := c.ec[id]
	c.mu.RUnlock()
	if ok {
		return k, nil
	}
	k, err := deriveECDSAKey(accessKeyID, secret)
	if err != nil {
		return nil, err
	}
	id = [2]string{strings.Clone(accessKeyID), strings.Clone(secret)}
	c.mu.Lock()
	if len(c.ec) >= c.max {
		evict(c.ec, c.max/8+1)
	}
	c.ec[id] = k
	c.mu.Unlock()
	return k, nil
}

func evict[K comparable, V any](m map[K]V, n int) {
	for k := range m {
		if n <= 0 {
			return
		}
		delete(m, k)
		n--
	}
}

// p256OrderMinus2 is n-2 for the P-256 group order n.
var p256OrderMinus2 = [32]byte{
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4f,
}

// deriveECDSAKey derives the SigV4a private key from an access key pair,
// as AWS does: NIST SP 800-108 KDF in counter mode with HMAC-SHA256 keyed
// by "AWS4A"+secret, label "AWS4-ECDSA-P256-SHA256", context the access
// key id and a one-byte external counter, 256 bits of output. The first
// candidate c below n-2 gives the private scalar d = c+1, so d is in
// [1, n-1].
func deriveECDSAKey(accessKeyID, secret string) (*ecdsa.PrivateKey, error) {
	m := hmac.New(sha256.New, []byte("AWS4A"+secret))
	var c [32]byte
	for counter := 1; counter <= 0xff; counter++ {
		m.Reset()
		m.Write([]byte{0, 0, 0, 1}) // KDF block counter i = 1 (one block is 256 bits)
		m.Write([]byte(AlgorithmECDSA))
		m.Write([]byte{0})
		m.Write([]byte(accessKeyID))
		m.Write([]byte{byte(counter)})
		m.Write([]byte{0, 0, 1, 0}) // L = 256 bits
		m.Sum(c[:0])
		if !lessThan(&c, &p256OrderMinus2) {
			continue
		}
		// d = c + 1, big-endian; cannot overflow since c < n-2.
		for i := 31; i >= 0; i-- {
			c[i]++
			if c[i] != 0 {
				break
			}
		}
		return ecdsa.ParseRawPrivateKey(elliptic.P256(), c[:])
	}
	return nil, errors.New("sigv4: SigV4a key derivation exhausted its counter")
}

// lessThan reports a < b for big-endian numbers, in constant time: it
// computes a-b and looks at the final borrow.
func lessThan(a, b *[32]byte) bool {
	var borrow int
	for i := 31; i >= 0; i-- {
		d := int(a[i]) - int(b[i]) - borrow
		borrow = (d >> 8) & 1
	}
	return borrow == 1
}
