package hosts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"testing"
	"time"
)

// FuzzParseHostCertificate feeds hostile HostCertificate values: the
// parser returns a certificate or an *InvalidError, never panics.
func FuzzParseHostCertificate(f *testing.F) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "h"}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	good := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	for _, s := range []string{good, good + good, good[:len(good)/2], "", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der[:len(der)-1]}))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseHostCertificate(s, now)
		if err != nil {
			if _, ok := errors.AsType[*InvalidError](err); !ok {
				t.Fatalf("got %T %v, want an *InvalidError", err, err)
			}
			return
		}
		if c == nil {
			t.Fatal("no certificate and no error")
		}
	})
}

// FuzzValidToken checks that a join token's form check never panics and
// accepts only bjt_ and 43 base64url characters.
func FuzzValidToken(f *testing.F) {
	for _, s := range []string{"bjt_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "bjt_", "", "bjt_é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if validToken(s) && (len(s) != tokenLen || s[:4] != TokenPrefix) {
			t.Fatalf("accepted %q", s)
		}
	})
}
