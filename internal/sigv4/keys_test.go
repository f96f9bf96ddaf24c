package sigv4

import (
	"encoding/hex"
	"strconv"
	"sync"
	"testing"
)

// TestDeriveSigningKey checks the key derivation against the worked
// example in the AWS General Reference ("Examples of how to derive a
// signing key for Signature Version 4").
func TestDeriveSigningKey(t *testing.T) {
	k := deriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
	const want = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
	if got := hex.EncodeToString(k[:]); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestKeyCacheBounded(t *testing.T) {
	c := newKeyCache(8)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				secret := "secret" + strconv.Itoa(i)
				got := c.signingKey(secret, "20190101", "us-east-1", "sts")
				if want := deriveSigningKey(secret, "20190101", "us-east-1", "sts"); got != want {
					t.Errorf("cached key for %s differs from a fresh derivation", secret)
				}
			}
		}()
	}
	wg.Wait()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if n := len(c.hmac); n > 8 {
		t.Errorf("cache holds %d keys, want at most 8", n)
	}
}

func TestLessThan(t *testing.T) {
	a := p256OrderMinus2
	b := p256OrderMinus2
	if lessThan(&a, &b) {
		t.Error("n-2 < n-2")
	}
	a[31]--
	if !lessThan(&a, &b) || lessThan(&b, &a) {
		t.Error("wrong order for n-3 and n-2")
	}
	var zero [32]byte
	if !lessThan(&zero, &b) || lessThan(&b, &zero) {
		t.Error("wrong order for 0 and n-2")
	}
}
