package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The AWS host names the CLI v2 before 2.13 reaches single sign-on at.
const (
	ssoOIDCHost   = "oidc.us-east-1.amazonaws.com"
	ssoPortalHost = "portal.sso.us-east-1.amazonaws.com"
)

// issueNames writes a server certificate for the DNS names (and
// 127.0.0.1), with the serial, and its key to certFile and keyFile,
// renaming each over the old one.
func (ca *e2eCA) issueNames(t *testing.T, serial int64, certFile, keyFile string, names ...string) {
	t.Helper()
	ca.sign(t, &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, DNSNames: names, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}, certFile, keyFile)
}

// TestTLSExtraCertificates: a server with tls.extra_certificates in its
// config file answers HTTPS under the SSO host names with the extra
// certificate (a client that dials 127.0.0.1 gets the main one), and a
// renewed extra pair is served after SIGHUP.
func TestTLSExtraCertificates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mainCA, ssoCA := newE2ECA(t, "e2e main CA"), newE2ECA(t, "e2e SSO names CA")
	certFile, keyFile := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	mainCA.issue(t, 1, false, certFile, keyFile)
	ssoDir := filepath.Join(dir, "sso")
	if err := os.Mkdir(ssoDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ssoCert, ssoKey := filepath.Join(ssoDir, "names.crt"), filepath.Join(ssoDir, "names.key")
	ssoCA.issueNames(t, 100, ssoCert, ssoKey, ssoOIDCHost, ssoPortalHost)
	cfgFile := filepath.Join(dir, "brevet.yaml")
	cfg := "tls:\n  cert: " + certFile + "\n  key: " + keyFile + "\n  extra_certificates:\n    - cert_file: " + ssoCert + "\n      key_file: " + ssoKey + "\n"
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBrevet(t, "--config", cfgFile)
	addr := strings.TrimPrefix(b.URL, "https://")

	// An HTTPS client that reaches the server under the AWS names, as
	// one whose hosts file points them at it.
	get := func(host string, roots *x509.CertPool) error {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + host + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	for _, host := range []string{ssoOIDCHost, ssoPortalHost} {
		if err := get(host, ssoCA.pool); err != nil {
			t.Errorf("GET https://%s/healthz trusting the SSO names' CA: %v", host, err)
		}
		if err := get(host, mainCA.pool); err == nil {
			t.Errorf("GET https://%s/healthz trusting only the main CA succeeded; want the extra certificate served", host)
		}
	}
	if err := get("127.0.0.1", mainCA.pool); err != nil {
		t.Errorf("GET https://127.0.0.1/healthz trusting the main CA: %v", err)
	}

	serial := func() int64 {
		conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: ssoOIDCHost, RootCAs: ssoCA.pool})
		if err != nil {
			t.Fatalf("handshake for %s: %v", ssoOIDCHost, err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 100 {
		t.Fatalf("serving serial %d for %s; want 100", got, ssoOIDCHost)
	}
	ssoCA.issueNames(t, 101, ssoCert, ssoKey, ssoOIDCHost, ssoPortalHost)
	if err := b.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); serial() != 101; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serving serial %d for %s 5s after SIGHUP; want 101", serial(), ssoOIDCHost)
		}
	}
}
