package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// issueNames writes a server certificate for the DNS names, with the
// serial, and its key to files in dir named after the serial, and
// returns their names.
func (ca *testCA) issueNames(t *testing.T, dir string, serial int64, notAfter time.Time, names ...string) CertFiles {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter, DNSNames: names,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	f := CertFiles{filepath.Join(dir, "extra.crt"), filepath.Join(dir, "extra.key")}
	writeAtomic(t, f.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	writeAtomic(t, f.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return f
}

// sniSerial connects to addr asking for name (none when "") and returns
// the serial of the certificate served, which must verify for name when
// verify is set.
func sniSerial(t *testing.T, addr, name string, roots *x509.CertPool, clientCert *tls.Certificate, verify bool) int64 {
	t.Helper()
	cfg := &tls.Config{ServerName: name, RootCAs: roots, InsecureSkipVerify: !verify}
	if name == "" {
		cfg.ServerName = "127.0.0.1" // an IP: Go sends no SNI
	}
	if clientCert != nil {
		cfg.Certificates = []tls.Certificate{*clientCert}
	}
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Errorf("handshake with %s for %q: %v", addr, name, err)
		return 0
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// TestExtraCertificates: a client that asks for a name an extra
// certificate covers gets that certificate, verified for the name; one
// that asks for no name (an IP address), or for a name no certificate
// covers, gets the main one; with and without client certificates. The
// extra pairs are reloaded with the main one (ReloadTLS and the watch of
// their own directories); a broken or expired extra pair is refused and
// the previous one kept; one that does not load at start stops New.
func TestExtraCertificates(t *testing.T) {
	const oidc, portal, other = "oidc.us-east-1.amazonaws.com", "portal.sso.us-east-1.amazonaws.com", "api.example.test"
	clientCA := newTestCA(t, "client CA")
	caFile := filepath.Join(t.TempDir(), "clients.pem")
	writeAtomic(t, caFile, clientCA.pem)
	_, _, clientCert := clientCA.issue(t, 10, true, time.Now().Add(time.Hour))

	for _, mode := range []ClientAuth{ClientAuthNone, ClientAuthRequire} {
		ca := newTestCA(t, "server CA")
		dirA, dirB := t.TempDir(), t.TempDir()
		ssoPair := ca.issueNames(t, dirA, 100, time.Now().Add(time.Hour), oidc, portal)
		otherPair := ca.issueNames(t, dirB, 200, time.Now().Add(30*time.Minute), "*.example.test")
		cfg := Config{TLSExtraCertificates: []CertFiles{ssoPair, otherPair}}
		var cc *tls.Certificate
		if mode != ClientAuthNone {
			cfg.TLSClientCAFile, cfg.TLSClientAuth, cc = caFile, mode, &clientCert
		}
		ts := startTLS(t, cfg)
		// startTLS made its own CA for the main pair: trust both.
		roots := ts.ca.pool.Clone()
		roots.AddCert(ca.cert)
		check := func(what string, want map[string]int64) {
			t.Helper()
			for name, serial := range want {
				verify := name != "unknown.example.org"
				if got := sniSerial(t, ts.addr, name, roots, cc, verify); got != serial {
					t.Errorf("mode %d, %s: asking for %q served serial %d; want %d", mode, what, name, got, serial)
				}
			}
		}
		check("at start", map[string]int64{"": 1, oidc: 100, portal: 100, other: 200, "unknown.example.org": 1})
		if got, want := metricValue(t, ts.reg, "brevet_tls_certificate_expiry_timestamp_seconds", nil), float64(time.Now().Add(31*time.Minute).Unix()); got > want {
			t.Errorf("expiry gauge %v; want the NotAfter of the extra pair that expires first (before %v)", got, want)
		}

		ctx := context.Background()
		ca.issueNames(t, dirA, 101, time.Now().Add(time.Hour), oidc, portal)
		if err := ts.srv.ReloadTLS(ctx); err != nil {
			t.Fatalf("ReloadTLS: %v", err)
		}
		check("after a reload", map[string]int64{"": 1, oidc: 101, other: 200})

		// A key of another certificate, then an expired pair: refused.
		good, _ := os.ReadFile(ssoPair.KeyFile)
		stray := ca.issueNames(t, t.TempDir(), 103, time.Now().Add(time.Hour), oidc)
		strayKey, _ := os.ReadFile(stray.KeyFile)
		writeAtomic(t, ssoPair.KeyFile, strayKey)
		if err := ts.srv.ReloadTLS(ctx); err == nil {
			t.Errorf("mode %d: ReloadTLS with an extra key of another certificate succeeded; want an error", mode)
		}
		writeAtomic(t, ssoPair.KeyFile, good)
		ca.issueNames(t, dirB, 201, time.Now().Add(-time.Minute), "*.example.test")
		if err := ts.srv.ReloadTLS(ctx); err == nil {
			t.Errorf("mode %d: ReloadTLS with an expired extra certificate succeeded; want an error", mode)
		}
		check("after failed reloads", map[string]int64{"": 1, oidc: 101, other: 200})

		// The watch follows the extra pairs' own directories.
		watchTLS(t, ts.srv)
		ca.issueNames(t, dirB, 202, time.Now().Add(time.Hour), "*.example.test")
		for deadline := time.Now().Add(5 * time.Second); sniSerial(t, ts.addr, other, roots, cc, true) != 202; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("mode %d: the renewed extra pair was not served within 5s", mode)
			}
		}
	}

	// An extra pair that does not load stops the server from starting.
	ca := newTestCA(t, "server CA")
	mainPair := ca.issueNames(t, t.TempDir(), 1, time.Now().Add(time.Hour), "brevet.example.test")
	for name, extra := range map[string]CertFiles{
		"missing":  {filepath.Join(t.TempDir(), "none.crt"), filepath.Join(t.TempDir(), "none.key")},
		"mismatch": {mainPair.CertFile, ca.issueNames(t, t.TempDir(), 2, time.Now().Add(time.Hour), oidc).KeyFile},
	} {
		if _, err := New(Config{TLSCertFile: mainPair.CertFile, TLSKeyFile: mainPair.KeyFile, TLSExtraCertificates: []CertFiles{extra}}); err == nil {
			t.Errorf("New with an extra pair %s: succeeded; want an error", name)
		}
	}
}
