package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"testing"
	"time"
)

func testCert(t *testing.T, cn string, dns []string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, DNSNames: dns,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: dns == nil, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

func pinOf(c *x509.Certificate) map[string]bool {
	sum := sha1.Sum(c.Raw)
	return map[string]bool{hex.EncodeToString(sum[:]): true}
}

func TestVerifyPinned(t *testing.T) {
	ca, caKey := testCert(t, "CA", nil, nil, nil)
	other, _ := testCert(t, "other CA", nil, nil, nil)
	leaf, _ := testCert(t, "idp", []string{"idp.example"}, ca, caKey)
	tests := []struct {
		name  string
		chain []*x509.Certificate
		host  string
		pins  map[string]bool
		ok    bool
	}{
		{"top CA pinned", []*x509.Certificate{leaf, ca}, "idp.example", pinOf(ca), true},
		{"leaf pinned but not top", []*x509.Certificate{leaf, ca}, "idp.example", pinOf(leaf), false},
		{"wrong host", []*x509.Certificate{leaf, ca}, "evil.example", pinOf(ca), false},
		{"pinned top did not sign the chain", []*x509.Certificate{leaf, other}, "idp.example", pinOf(other), false},
		{"no certificate", nil, "idp.example", pinOf(ca), false},
	}
	for _, tt := range tests {
		err := verifyPinned(tt.chain, tt.host, tt.pins)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}
