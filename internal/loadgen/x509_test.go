package loadgen_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/loadgen"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// TestCreateSessionWorkload: every request the workload sends verifies as
// SigV4-X509 with the leaf's key, also when a worker reuses its signature
// (Resign), and a 201 with a session token counts as a success.
func TestCreateSessionWorkload(t *testing.T) {
	key, leaf := newLeaf(t)
	v, err := sigv4.NewVerifier(sigv4.Config{Regions: []string{"us-east-1"}, Services: []string{sigv4.ServiceRolesAnywhere}})
	if err != nil {
		t.Fatal(err)
	}
	var refused atomic.Int64
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := sigv4.FromHTTP(r, body)
		a, err := sigv4.Parse(&req)
		if err == nil {
			err = v.VerifyX509(&req, a, leaf, time.Now())
		}
		if err != nil || r.URL.Path != "/sessions" {
			refused.Add(1)
			http.Error(w, "refused", http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"credentialSet":[{"credentials":{"sessionToken":"x"}}]}`)
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()
	// A second server: the signature covers the host, so a worker must
	// not reuse the one it made for the first.
	other := httptest.NewServer(handler)
	defer other.Close()
	for _, resign := range []time.Duration{0, time.Second} {
		w := loadgen.CreateSession("CreateSession", loadgen.CreateSessionConfig{Key: key, Leaf: leaf, Region: "us-east-1",
			TrustAnchorARN: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a", ProfileARN: "p", RoleARN: "r", Resign: resign})
		for _, url := range []string{srv.URL, other.URL} {
			res, err := loadgen.Run(t.Context(), loadgen.Config{URL: url + "/", Region: "us-east-1", Concurrency: 2, MaxRequests: 20, Duration: 5 * time.Second}, w)
			if err != nil {
				t.Fatal(err)
			}
			if res.Ops != 20 || res.Errors != 0 || refused.Load() != 0 {
				t.Errorf("Resign %v, %s: ops %d, errors %v, refused %d; want 20 verified requests", resign, url, res.Ops, res.ErrorsBy, refused.Load())
			}
		}
	}
}

// TestTrivialCertificateResponses: the trivial handler answers the
// certificate workloads as they expect, so that it can be their
// reference.
func TestTrivialCertificateResponses(t *testing.T) {
	srv := httptest.NewServer(loadgen.TrivialHandler())
	defer srv.Close()
	key, leaf := newLeaf(t)
	for _, w := range []loadgen.Workload{
		loadgen.IoTCredentials("IoT", "alias", "thing"),
		loadgen.CreateSession("CreateSession", loadgen.CreateSessionConfig{Key: key, Leaf: leaf, Region: "us-east-1"}),
	} {
		res, err := loadgen.Run(t.Context(), loadgen.Config{URL: srv.URL + "/", Region: "us-east-1", Concurrency: 1, MaxRequests: 3, Duration: 5 * time.Second}, w)
		if err != nil {
			t.Fatal(err)
		}
		if res.Ops != 3 || res.Errors != 0 {
			t.Errorf("%s: %d ops, errors %v; want 3 successes", w.Action, res.Ops, res.ErrorsBy)
		}
	}
}

// newLeaf is an ECDSA P-256 key and a self-signed certificate for it, as
// a leaf.
func newLeaf(t *testing.T) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(77), Subject: pkix.Name{CommonName: "bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, leaf
}
