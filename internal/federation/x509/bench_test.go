package x509_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/federation/x509"
	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
)

// BenchmarkVerify is chain verification for CreateSession: cold (chain
// building, signatures, CRL look-up) and through the Cache (a hit: hash
// and look-up, no parsing), for ECDSA P-256 and RSA-2048 leaves.
func BenchmarkVerify(b *testing.B) {
	p := newPKI(b)
	now := time.Now()
	crl := p.anchor
	crl.CRLs = append(crl.CRLs, p.inter.CRL(b))
	anchors := []x509.Anchor{crl}
	for _, bc := range []struct {
		name string
		opts x509test.Options
	}{{"ECDSA-P256", x509test.Options{}}, {"RSA-2048", x509test.Options{Key: x509test.RSA}}} {
		leaf := p.inter.Leaf(b, bc.opts)
		hdr := base64.StdEncoding.EncodeToString(leaf.Cert.Raw)
		chain := base64.StdEncoding.EncodeToString(p.inter.Cert.Raw)
		b.Run(bc.name+"/cold", func(b *testing.B) {
			var v x509.Verifier
			b.ReportAllocs()
			for b.Loop() {
				l, c, err := x509.ParseHeaders(hdr, chain)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := v.Verify(l, c, anchors, now); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/cached", func(b *testing.B) {
			c := x509.NewCache(0)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.VerifyHeaders(hdr, chain, anchors, 1, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAttributes(b *testing.B) {
	p := newPKI(b)
	leaf := p.inter.Leaf(b, x509test.Options{CN: "device-42", DNSNames: []string{"d.example.com"}, URIs: []string{"spiffe://example.com/d"}})
	b.ReportAllocs()
	for b.Loop() {
		x509.Attributes(leaf.Cert, nil)
	}
}
