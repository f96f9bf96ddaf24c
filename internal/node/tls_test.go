package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/server"
)

// writeServerCert writes a self-signed certificate for 127.0.0.1 with the
// serial, and its key, over certFile and keyFile, and returns a pool that
// trusts it.
func writeServerCert(t testing.TB, certFile, keyFile string, serial int64) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "brevet node test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	for f, b := range map[string][]byte{
		certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyFile:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(f+".tmp", b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(f+".tmp", f); err != nil {
			t.Fatal(err)
		}
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// serialAt returns the serial of the certificate served at base's host.
func serialAt(t *testing.T, base string, roots *x509.CertPool) int64 {
	t.Helper()
	u, _ := url.Parse(base)
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: roots})
	if err != nil {
		t.Fatalf("handshake with %s: %v", u.Host, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// TestReloadTLS: Node.ReloadTLS (what SIGHUP calls) serves a renewed
// certificate on the API's, the metrics' and the S3 gateway's listeners; a key that does
// not match keeps the previous one and fails. On plain HTTP it says
// there is nothing to reload.
func TestReloadTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	pool1 := writeServerCert(t, certFile, keyFile, 1)
	n, _ := startNode(t, filepath.Join(dir, "data"), Options{},
		"BREVET_TLS_CERT="+certFile, "BREVET_TLS_KEY="+keyFile, "BREVET_METRICS_LISTEN=127.0.0.1:0",
		"BREVET_S3_LISTEN=127.0.0.1:0", "BREVET_S3_BACKEND=http://127.0.0.1:9", "BREVET_S3_BACKEND_ACCESS_KEY_ID=backend",
		"BREVET_S3_BACKEND_SECRET_ACCESS_KEY=backend-secret")
	if !strings.HasPrefix(n.S3URL(), "https://") {
		t.Errorf("S3URL() = %q; want https, as the API", n.S3URL())
	}
	for _, base := range []string{n.URL(), n.MetricsURL(), n.S3URL()} {
		if got := serialAt(t, base, pool1); got != 1 {
			t.Errorf("%s serves serial %d; want 1", base, got)
		}
	}
	pool2 := writeServerCert(t, certFile, keyFile, 2)
	if err := n.ReloadTLS(context.Background()); err != nil {
		t.Fatalf("ReloadTLS: %v", err)
	}
	for _, base := range []string{n.URL(), n.MetricsURL(), n.S3URL()} {
		if got := serialAt(t, base, pool2); got != 2 {
			t.Errorf("after ReloadTLS, %s serves serial %d; want 2", base, got)
		}
	}
	// The key of another certificate.
	other := t.TempDir()
	writeServerCert(t, filepath.Join(other, "c"), keyFile, 3)
	if err := n.ReloadTLS(context.Background()); err == nil {
		t.Errorf("ReloadTLS with a mismatched key succeeded")
	}
	if got := serialAt(t, n.URL(), pool2); got != 2 {
		t.Errorf("after a failed reload, serving serial %d; want 2", got)
	}

	plain, _ := startNode(t, filepath.Join(t.TempDir(), "data"), Options{})
	if err := plain.ReloadTLS(context.Background()); !errors.Is(err, server.ErrTLSDisabled) {
		t.Errorf("ReloadTLS on plain HTTP = %v; want server.ErrTLSDisabled", err)
	}
}

// TestCORSOnDiscovery: with cors.allowed_origins, the OIDC discovery
// document a browser app reads carries the CORS headers; other origins
// get none.
func TestCORSOnDiscovery(t *testing.T) {
	n, _ := startNode(t, filepath.Join(t.TempDir(), "data"), Options{},
		"BREVET_CORS_ALLOWED_ORIGINS=https://app.example.com", "BREVET_ISSUER_URL=https://sts.example.com")
	for _, tt := range []struct{ origin, want string }{
		{"https://app.example.com", "https://app.example.com"},
		{"https://evil.example", ""},
	} {
		req, _ := http.NewRequest(http.MethodGet, n.URL()+"/.well-known/openid-configuration", nil)
		req.Header.Set("Origin", tt.origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != tt.want {
			t.Errorf("discovery from %s: %d, Access-Control-Allow-Origin %q; want 200 and %q",
				tt.origin, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), tt.want)
		}
	}
}
