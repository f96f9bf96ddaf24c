package iot_test

import (
	"testing"

	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
	"github.com/brevet-dev/brevet/internal/iot"
)

// FuzzRegisterCertificate feeds hostile PEM to the registrations: every
// input is registered or refused with a typed error, never a panic or an
// untyped failure.
func FuzzRegisterCertificate(f *testing.F) {
	ca := x509test.NewCA(f, x509test.Options{})
	f.Add(string(ca.CertPEM()))
	f.Add(string(x509test.CertsPEM(ca.Leaf(f, x509test.Options{}).Cert)))
	f.Add("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	f.Add("")
	h := newHarness(f)
	f.Fuzz(func(t *testing.T, pem string) {
		_, err := h.svc.RegisterCertificateWithoutCA(t.Context(), account, &iot.RegisterCertificateInput{CertificatePem: pem}, h.now)
		if err != nil && code(err) == 0 {
			t.Fatalf("untyped error: %v", err)
		}
		_, err = h.svc.RegisterCACertificate(t.Context(), account, &iot.RegisterCACertificateInput{CACertificate: pem, VerificationCertificate: pem}, h.now)
		if err != nil && code(err) == 0 {
			t.Fatalf("untyped error: %v", err)
		}
	})
}
