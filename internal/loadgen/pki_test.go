package loadgen_test

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/loadgen"
)

// TestPKI: leaves of both key types and the server certificate chain to
// the root through the intermediate, with the key usages a Roles Anywhere
// leaf and a TLS server need, and the PEM forms parse back.
func TestPKI(t *testing.T) {
	now := time.Now()
	p, err := loadgen.NewPKI(now)
	if err != nil {
		t.Fatal(err)
	}
	inter := x509.NewCertPool()
	inter.AddCert(p.Intermediate)
	for _, tt := range []struct {
		kt      loadgen.KeyType
		wantRSA bool
	}{{loadgen.KeyECDSAP256, false}, {loadgen.KeyRSA2048, true}} {
		key, leaf, err := p.Leaf(tt.kt, "device")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: p.Roots(), Intermediates: inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("%s leaf: %v", tt.kt, err)
		}
		switch k := key.Public().(type) {
		case *rsa.PublicKey:
			if !tt.wantRSA || k.N.BitLen() != 2048 {
				t.Errorf("%s leaf: an RSA key of %d bits", tt.kt, k.N.BitLen())
			}
		case *ecdsa.PublicKey:
			if tt.wantRSA || k.Curve.Params().Name != "P-256" {
				t.Errorf("%s leaf: an ECDSA key on %s", tt.kt, k.Curve.Params().Name)
			}
		}
		if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 || leaf.IsCA {
			t.Errorf("%s leaf: key usage %v, CA %v; want digitalSignature, not a CA", tt.kt, leaf.KeyUsage, leaf.IsCA)
		}
		keyPEM, err := loadgen.KeyPEM(key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tls.X509KeyPair(loadgen.CertificatePEM(leaf, p.Intermediate), keyPEM); err != nil {
			t.Errorf("%s leaf: the PEM forms do not pair: %v", tt.kt, err)
		}
	}
	srv, err := p.ServerCertificate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Leaf.Verify(x509.VerifyOptions{Roots: p.Roots(), Intermediates: inter, DNSName: "127.0.0.1", CurrentTime: now}); err != nil {
		t.Errorf("server certificate for 127.0.0.1: %v", err)
	}
	if got := len(srv.Certificate); got != 2 {
		t.Errorf("server chain of %d certificates, want the leaf and the intermediate", got)
	}
	if b, _ := pem.Decode(loadgen.CertificatePEM(p.Root)); b == nil || b.Type != "CERTIFICATE" {
		t.Errorf("CertificatePEM(root) is not a CERTIFICATE block")
	}
}
