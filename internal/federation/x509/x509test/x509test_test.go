package x509test_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
)

// TestWritePEM checks that the files load as a TLS key pair (as curl
// and the signing helper load them) and that the chain verifies to the
// root.
func TestWritePEM(t *testing.T) {
	root := x509test.NewCA(t, x509test.Options{})
	inter := root.Intermediate(t, x509test.Options{})
	for _, opts := range []x509test.Options{{CN: "ec device"}, {CN: "rsa", Key: x509test.RSA}} {
		leaf := inter.Leaf(t, opts)
		f := leaf.WritePEM(t, t.TempDir())
		if _, err := tls.LoadX509KeyPair(f.Cert, f.Key); err != nil {
			t.Fatalf("%s: %v", opts.CN, err)
		}
		roots, inters := x509.NewCertPool(), x509.NewCertPool()
		b, _ := os.ReadFile(f.Root)
		roots.AppendCertsFromPEM(b)
		b, _ = os.ReadFile(f.Chain)
		inters.AppendCertsFromPEM(b)
		if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: time.Now(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("%s: %v", opts.CN, err)
		}
	}
	crl := root.CRL(t, inter.Cert.SerialNumber)
	if blk, _ := pem.Decode(x509test.CRLPEM(crl)); blk == nil || blk.Type != "X509 CRL" {
		t.Errorf("CRLPEM: got %v", blk)
	}
}
