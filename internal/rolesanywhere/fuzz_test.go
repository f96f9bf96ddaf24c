package rolesanywhere_test

import (
	"errors"
	"testing"

	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
	"github.com/brevet-dev/brevet/internal/rolesanywhere"
)

// FuzzParseBundle: any x509CertificateData is parsed or refused with a
// ValidationException, never a panic or another error.
func FuzzParseBundle(f *testing.F) {
	ca := x509test.NewCA(f, x509test.Options{})
	f.Add(string(ca.CertPEM()))
	f.Add(string(append(ca.CertPEM(), ca.CertPEM()...)))
	f.Add("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, data string) {
		certs, err := rolesanywhere.ParseBundle(data)
		var ve *rolesanywhere.ValidationError
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("error %v is not a ValidationError", err)
		}
		if err == nil && len(certs) == 0 {
			t.Fatal("no error and no certificate")
		}
	})
}

// FuzzParseCRL: any crlData is parsed or refused with a
// ValidationException.
func FuzzParseCRL(f *testing.F) {
	ca := x509test.NewCA(f, x509test.Options{})
	crl := ca.CRL(f)
	f.Add(crl.Raw)
	f.Add(x509test.CRLPEM(crl))
	f.Add([]byte("-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, err := rolesanywhere.ParseCRL(data)
		var ve *rolesanywhere.ValidationError
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("error %v is not a ValidationError", err)
		}
	})
}
