package e2e

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// e2eCA issues the server's certificates and clients'.
type e2eCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	pem  []byte
}

func newE2ECA(t *testing.T, name string) *e2eCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &e2eCA{cert: cert, key: key, pool: pool, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue writes a certificate with the serial (a server's for 127.0.0.1,
// or a client's) and its key to certFile and keyFile, renaming each over
// the old one.
func (ca *e2eCA) issue(t *testing.T, serial int64, client bool, certFile, keyFile string) tls.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "e2e " + strconv.FormatInt(serial, 10)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	if client {
		tmpl.ExtKeyUsage, tmpl.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil
	}
	return ca.sign(t, tmpl, certFile, keyFile)
}

// sign issues tmpl for a new key and writes the certificate and the key
// to certFile and keyFile, renaming each over the old one.
func (ca *e2eCA) sign(t *testing.T, tmpl *x509.Certificate, certFile, keyFile string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	writeRenamed(t, keyFile, keyPEM)
	writeRenamed(t, certFile, certPEM)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// writeRenamed replaces path by renaming a new file over it.
func writeRenamed(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path+".new", data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

// TestTLSOperations drives a server with client certificates required
// and CORS on: the Go SDK is served only with a client certificate the
// client CA issued; a certificate renewed on disk is served after SIGHUP
// (the node's file watch may take it up first: either way the next
// handshake sees it); a browser's preflight is answered 204 with the CORS
// headers, unauthenticated and unaudited, and the signed request that
// follows gets them too.
func TestTLSOperations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	serverCA, clientCA := newE2ECA(t, "e2e server CA"), newE2ECA(t, "e2e client CA")
	certFile, keyFile, caFile := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"), filepath.Join(dir, "clients.pem")
	serverCA.issue(t, 1, false, certFile, keyFile)
	if err := os.WriteFile(caFile, clientCA.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	clientCert := clientCA.issue(t, 7, true, filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
	const app = "https://app.example.com"
	b := startBrevet(t, "--tls-cert", certFile, "--tls-key", keyFile, "--tls-client-ca-file", caFile,
		"--tls-client-auth", "require", "--cors-allowed-origins", app)
	ctx := context.Background()

	withCert := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: serverCA.pool, Certificates: []tls.Certificate{clientCert}}}}
	noCert := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: serverCA.pool}}}
	cfg := b.goAdmin(t)
	cfg.HTTPClient = withCert
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("Go SDK with a client certificate: %v", err)
	}
	cfg.HTTPClient = noCert
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} } // a refused handshake is not worth retrying here
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		t.Errorf("Go SDK without a client certificate was served; want the handshake refused")
	}

	serial := func() int64 {
		conn, err := tls.Dial("tcp", strings.TrimPrefix(b.URL, "https://"),
			&tls.Config{RootCAs: serverCA.pool, Certificates: []tls.Certificate{clientCert}})
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 1 {
		t.Fatalf("serving serial %d; want 1", got)
	}
	serverCA.issue(t, 2, false, certFile, keyFile)
	if err := b.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); serial() != 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serving serial %d 5s after SIGHUP; want 2", serial())
		}
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(b.logs.String(), "SIGHUP: reloading the TLS certificate"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no SIGHUP line in the log:\n%s", b.logs)
		}
	}

	// CORS: the preflight, then the request.
	eventsBefore := metricOver(t, withCert, b.URL, "brevet_audit_events_total")
	req, _ := http.NewRequest(http.MethodOptions, b.URL+"/", nil)
	req.Header.Set("Origin", app)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-amz-date,x-amz-user-agent,amz-sdk-invocation-id,amz-sdk-request")
	resp, err := withCert.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != app ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "amz-sdk-invocation-id") ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight: %d %v; want 204 allowing %s to POST with the SDK's headers", resp.StatusCode, resp.Header, app)
	}
	if got := metricOver(t, withCert, b.URL, "brevet_audit_events_total"); got != eventsBefore {
		t.Errorf("audit events %v after the preflight; want %v (none for a preflight)", got, eventsBefore)
	}

	cfg.Retryer = nil
	var seen http.Header
	cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: originTransport{origin: app, next: withCert.Transport, seen: &seen}}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity with an Origin: %v", err)
	}
	if seen.Get("Access-Control-Allow-Origin") != app || !strings.Contains(seen.Get("Access-Control-Expose-Headers"), "x-amzn-requestid") {
		t.Errorf("response to a request from %s: %v; want it allowed, with the request id exposed", app, seen)
	}
}

// originTransport adds an Origin header, as a browser does, and keeps the
// response's headers.
type originTransport struct {
	origin string
	next   http.RoundTripper
	seen   *http.Header
}

func (o originTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Origin", o.origin)
	resp, err := o.next.RoundTrip(r)
	if err == nil {
		*o.seen = resp.Header.Clone()
	}
	return resp, err
}

// metricOver reads one unlabelled sample from /metrics through the client c.
func metricOver(t *testing.T, c *http.Client, base, name string) float64 {
	t.Helper()
	u, _ := url.Parse(base + "/metrics")
	resp, err := c.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	t.Fatalf("/metrics has no %s", name)
	return 0
}
