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
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testCA is a certificate authority for the tests: it issues the
// server's certificates (so a client that trusts it trusts every one of
// them) and clients'.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
	pool *x509.CertPool
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pool: pool}
}

// issue returns a certificate with the serial, for a server at 127.0.0.1
// or for a client, and its key, as PEM, and as a tls.Certificate.
func (ca *testCA) issue(t *testing.T, serial int64, client bool, notAfter time.Time) (certPEM, keyPEM []byte, pair tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "brevet test " + big.NewInt(serial).String()},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	if client {
		tmpl.ExtKeyUsage, tmpl.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	pair, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, pair
}

// writeAtomic replaces path by renaming a new file over it, as most tools
// that renew certificates do.
func writeAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// servedSerial connects to addr and returns the serial of the certificate
// it serves; 0 when the handshake fails.
func servedSerial(t *testing.T, addr string, roots *x509.CertPool) int64 {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots})
	if err != nil {
		t.Logf("handshake with %s: %v", addr, err)
		return 0
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// tlsServer is a server with a certificate from ca, serial 1, in dir, and
// a metrics listener of its own.
type tlsServer struct {
	*running
	ca                *testCA
	certFile, keyFile string
	metricsAddr       string
}

func startTLS(t *testing.T, cfg Config) *tlsServer {
	t.Helper()
	ca := newTestCA(t, "brevet test CA")
	dir := t.TempDir()
	ts := &tlsServer{ca: ca, certFile: filepath.Join(dir, "tls.crt"), keyFile: filepath.Join(dir, "tls.key")}
	certPEM, keyPEM, _ := ca.issue(t, 1, false, time.Now().Add(time.Hour))
	writeAtomic(t, ts.certFile, certPEM)
	writeAtomic(t, ts.keyFile, keyPEM)
	cfg.TLSCertFile, cfg.TLSKeyFile, cfg.SeparateMetrics = ts.certFile, ts.keyFile, true
	ts.running = start(t, cfg, echoID)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.metricsAddr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ts.srv.RunMetrics(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ts
}

// install writes a new pair for the server, issued by its CA.
func (ts *tlsServer) install(t *testing.T, serial int64, notAfter time.Time) {
	t.Helper()
	certPEM, keyPEM, _ := ts.ca.issue(t, serial, false, notAfter)
	writeAtomic(t, ts.keyFile, keyPEM)
	writeAtomic(t, ts.certFile, certPEM)
}

// TestReloadTLS: ReloadTLS (what SIGHUP calls) serves a new pair from the
// next handshake on, on the API's and the metrics' listeners; a pair that
// does not load, or has expired, is refused, counted, and the previous
// one stays in service.
func TestReloadTLS(t *testing.T) {
	ts := startTLS(t, Config{})
	ctx := context.Background()
	check := func(want int64, what string) {
		t.Helper()
		for _, addr := range []string{ts.addr, ts.metricsAddr} {
			if got := servedSerial(t, addr, ts.ca.pool); got != want {
				t.Errorf("%s: %s serves serial %d; want %d", what, addr, got, want)
			}
		}
	}
	check(1, "at start")
	if got := metricValue(t, ts.reg, "brevet_tls_certificate_expiry_timestamp_seconds", nil); got < float64(time.Now().Unix()) {
		t.Errorf("expiry gauge %v; want the certificate's NotAfter", got)
	}

	ts.install(t, 2, time.Now().Add(48*time.Hour))
	if err := ts.srv.ReloadTLS(ctx); err != nil {
		t.Fatalf("ReloadTLS: %v", err)
	}
	check(2, "after a reload")
	if got, want := metricValue(t, ts.reg, "brevet_tls_certificate_expiry_timestamp_seconds", nil), float64(time.Now().Add(47*time.Hour).Unix()); got < want {
		t.Errorf("expiry gauge %v after the reload; want the new NotAfter (over %v)", got, want)
	}

	_, otherKey, _ := ts.ca.issue(t, 3, false, time.Now().Add(time.Hour))
	expiredCert, expiredKey, _ := ts.ca.issue(t, 4, false, time.Now().Add(-time.Hour))
	goodCert, _, _ := ts.ca.issue(t, 5, false, time.Now().Add(time.Hour))
	bad := []struct {
		name      string
		cert, key []byte // nil: remove the file
	}{
		{"key of another certificate", goodCert, otherKey},
		{"key file missing", goodCert, nil},
		{"not PEM", []byte("garbage"), otherKey},
		{"expired", expiredCert, expiredKey},
	}
	for i, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			writeAtomic(t, ts.certFile, tt.cert)
			if tt.key == nil {
				if err := os.Remove(ts.keyFile); err != nil {
					t.Fatal(err)
				}
			} else {
				writeAtomic(t, ts.keyFile, tt.key)
			}
			if err := ts.srv.ReloadTLS(ctx); err == nil {
				t.Errorf("ReloadTLS succeeded; want an error")
			}
			check(2, "after a failed reload")
			if got, want := metricValue(t, ts.reg, "brevet_tls_reload_errors_total", nil), float64(i+1); got != want {
				t.Errorf("brevet_tls_reload_errors_total = %v; want %v", got, want)
			}
		})
	}
	if got := len(ts.logs.lines(t, "TLS certificate not reloaded; still serving the previous one")); got != len(bad) {
		t.Errorf("%d error lines logged; want %d", got, len(bad))
	}
	if got := metricValue(t, ts.reg, "brevet_tls_reloads_total", nil); got != 1 {
		t.Errorf("brevet_tls_reloads_total = %v; want 1", got)
	}
}

// waitServing waits until addr serves the certificate with the serial.
func waitServing(t *testing.T, addr string, roots *x509.CertPool, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := servedSerial(t, addr, roots)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("serving serial %d; want %d", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// watchTLS runs WatchTLS until the test ends.
func watchTLS(t *testing.T, srv *Server) {
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() { srv.WatchTLS(ctx); close(watched) }()
	t.Cleanup(func() { cancel(); <-watched })
	time.Sleep(50 * time.Millisecond) // let the watch begin
}

// waitReloadErrors waits until the reload errors counter reaches want.
func waitReloadErrors(t *testing.T, r *running, want float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for metricValue(t, r.reg, "brevet_tls_reload_errors_total", nil) < want {
		if time.Now().After(deadline) {
			t.Fatal("the broken pair was never tried")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWatchTLS: with WatchTLS running, a renewal is served without a
// signal, both when the files are renamed over (certbot's hooks, most
// tools) and when a Kubernetes secret volume swaps its ..data link; a
// broken pair written meanwhile is refused and the previous one kept.
func TestWatchTLS(t *testing.T) {
	t.Run("renamed files", func(t *testing.T) {
		ts := startTLS(t, Config{})
		watchTLS(t, ts.srv)
		ts.install(t, 2, time.Now().Add(time.Hour))
		waitServing(t, ts.addr, ts.ca.pool, 2)
		waitServing(t, ts.metricsAddr, ts.ca.pool, 2)
		certPEM, _, _ := ts.ca.issue(t, 3, false, time.Now().Add(time.Hour))
		writeAtomic(t, ts.certFile, certPEM) // the key is serial 2's
		waitReloadErrors(t, ts.running, 1)
		if got := servedSerial(t, ts.addr, ts.ca.pool); got != 2 {
			t.Errorf("after a broken pair: serving serial %d; want 2", got)
		}
		ts.install(t, 4, time.Now().Add(time.Hour))
		waitServing(t, ts.addr, ts.ca.pool, 4)
	})

	t.Run("kubernetes secret volume", func(t *testing.T) {
		ca := newTestCA(t, "brevet test CA")
		dir := t.TempDir()
		// tls.crt -> ..data/tls.crt, ..data -> ..v1; a new version is
		// swapped in by renaming a new link over ..data.
		version := func(name string, certPEM, keyPEM []byte) {
			t.Helper()
			if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
				t.Fatal(err)
			}
			for f, b := range map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM} {
				if err := os.WriteFile(filepath.Join(dir, name, f), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(name, filepath.Join(dir, "..data_tmp")); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
				t.Fatal(err)
			}
		}
		pair := func(serial int64) ([]byte, []byte) {
			c, k, _ := ca.issue(t, serial, false, time.Now().Add(time.Hour))
			return c, k
		}
		c1, k1 := pair(1)
		version("..v1", c1, k1)
		for _, f := range []string{"tls.crt", "tls.key"} {
			if err := os.Symlink(filepath.Join("..data", f), filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
		r := start(t, Config{TLSCertFile: filepath.Join(dir, "tls.crt"), TLSKeyFile: filepath.Join(dir, "tls.key")}, echoID)
		watchTLS(t, r.srv)
		c2, k2 := pair(2)
		version("..v2", c2, k2)
		waitServing(t, r.addr, ca.pool, 2)
		c3, _ := pair(3)
		version("..v3", c3, k2)
		waitReloadErrors(t, r, 1)
		if got := servedSerial(t, r.addr, ca.pool); got != 2 {
			t.Errorf("after a broken pair: serving serial %d; want 2", got)
		}
	})
}

// TestClientCertificates: in require mode a client without a certificate,
// or with one the client CAs did not issue, fails; one the CA issued is
// served. In verify-if-given mode a client without one is served too. A
// new client CA file is taken up by ReloadTLS.
func TestClientCertificates(t *testing.T) {
	clientCA, otherCA := newTestCA(t, "client CA"), newTestCA(t, "other CA")
	caFile := filepath.Join(t.TempDir(), "clients.pem")
	writeAtomic(t, caFile, clientCA.pem)
	_, _, good := clientCA.issue(t, 10, true, time.Now().Add(time.Hour))
	_, _, stranger := otherCA.issue(t, 11, true, time.Now().Add(time.Hour))

	get := func(ts *tlsServer, cert *tls.Certificate) error {
		t.Helper()
		cfg := &tls.Config{RootCAs: ts.ca.pool}
		if cert != nil {
			// Sent whatever CAs the server names: Go's client would
			// otherwise keep back a certificate they did not issue.
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		}
		tr := &http.Transport{TLSClientConfig: cfg}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + ts.addr + "/healthz")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return errors.New(resp.Status)
		}
		return nil
	}
	tests := []struct {
		mode                    ClientAuth
		none, signed, strangers bool // served
	}{
		{ClientAuthRequire, false, true, false},
		{ClientAuthVerifyIfGiven, true, true, false},
	}
	for _, tt := range tests {
		ts := startTLS(t, Config{TLSClientCAFile: caFile, TLSClientAuth: tt.mode})
		for _, c := range []struct {
			name string
			cert *tls.Certificate
			want bool
		}{{"no certificate", nil, tt.none}, {"issued by the client CA", &good, tt.signed}, {"issued by another CA", &stranger, tt.strangers}} {
			if err := get(ts, c.cert); (err == nil) != c.want {
				t.Errorf("mode %d, %s: err %v; want served %v", tt.mode, c.name, err, c.want)
			}
		}
	}

	ts := startTLS(t, Config{TLSClientCAFile: caFile, TLSClientAuth: ClientAuthRequire})
	writeAtomic(t, caFile, otherCA.pem)
	if err := ts.srv.ReloadTLS(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := get(ts, &stranger); err != nil {
		t.Errorf("after the client CA file changed: %v; want the new CA's client served", err)
	}
	if err := get(ts, &good); err == nil {
		t.Errorf("after the client CA file changed: the old CA's client was served")
	}
	writeAtomic(t, caFile, []byte("no certificates here"))
	if err := ts.srv.ReloadTLS(context.Background()); err == nil {
		t.Errorf("ReloadTLS with a CA file that holds no certificate succeeded; want an error")
	}
	if err := get(ts, &stranger); err != nil {
		t.Errorf("after a failed reload: %v; want the previous CAs kept", err)
	}
}

func TestReloadTLSWithoutTLS(t *testing.T) {
	r := start(t, Config{}, echoID)
	if err := r.srv.ReloadTLS(context.Background()); !errors.Is(err, ErrTLSDisabled) {
		t.Errorf("ReloadTLS on plain HTTP = %v; want ErrTLSDisabled", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.srv.WatchTLS(ctx) // returns at once
}

// TestTLSHTTP2: the listeners negotiate HTTP/2 and HTTP/1.1 as before the
// certificate moved behind GetCertificate, with and without client
// certificates (whose per-connection configuration names the protocols
// itself).
func TestTLSHTTP2(t *testing.T) {
	clientCA := newTestCA(t, "client CA")
	caFile := filepath.Join(t.TempDir(), "clients.pem")
	writeAtomic(t, caFile, clientCA.pem)
	_, _, cert := clientCA.issue(t, 10, true, time.Now().Add(time.Hour))
	for _, cfg := range []Config{{}, {TLSClientCAFile: caFile, TLSClientAuth: ClientAuthRequire}} {
		ts := startTLS(t, cfg)
		for _, h2 := range []bool{true, false} {
			tr := &http.Transport{ForceAttemptHTTP2: h2, TLSClientConfig: &tls.Config{RootCAs: ts.ca.pool, Certificates: []tls.Certificate{cert}}}
			resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + ts.addr + "/healthz")
			if err != nil {
				t.Fatalf("client auth %d, h2 %v: %v", cfg.TLSClientAuth, h2, err)
			}
			resp.Body.Close()
			tr.CloseIdleConnections()
			if got, want := resp.ProtoMajor, map[bool]int{true: 2, false: 1}[h2]; got != want {
				t.Errorf("client auth %d, HTTP/2 offered %v: served HTTP/%d; want HTTP/%d", cfg.TLSClientAuth, h2, got, want)
			}
		}
	}
}
