package x509_test

import (
	"errors"
	"testing"

	"github.com/brevet-dev/brevet/internal/federation/x509"
)

// FuzzParseHeaders feeds ParseHeaders arbitrary header values: it must
// never panic, must fail with an *Error, and must keep to its bounds.
func FuzzParseHeaders(f *testing.F) {
	f.Add("MIIB", "")
	f.Add("", "MIIB,MIIB")
	f.Fuzz(func(t *testing.T, leaf, chain string) {
		l, c, err := x509.ParseHeaders(leaf, chain)
		if err != nil {
			var e *x509.Error
			if !errors.As(err, &e) || e.Message == "" || !e.Client() {
				t.Fatalf("got %#v, want a client *Error with a message", err)
			}
			return
		}
		if l == nil || len(l.Raw) > x509.MaxLeafSize || len(c) > x509.MaxChainCerts {
			t.Fatalf("accepted leaf %v, %d chain certificates", l != nil, len(c))
		}
		total := 0
		for _, x := range c {
			total += len(x.Raw)
		}
		if total > x509.MaxChainSize {
			t.Fatalf("accepted a chain of %d bytes", total)
		}
	})
}
