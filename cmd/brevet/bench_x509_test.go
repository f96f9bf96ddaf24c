package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/loadgen"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

func TestX509BenchOptionsCheck(t *testing.T) {
	good := func() x509BenchOptions {
		return x509BenchOptions{region: "us-east-1", actions: x509BenchActions, concurrency: []int{1, 8, 64},
			duration: 5 * time.Second, warmup: time.Second, repeat: 1, resign: time.Second, output: "table"}
	}
	tests := []struct {
		name    string
		mutate  func(*x509BenchOptions)
		wantErr string
	}{
		{"default", func(*x509BenchOptions) {}, ""},
		{"one action", func(o *x509BenchOptions) { o.actions = []string{"IoT-resume"} }, ""},
		{"sign every request", func(o *x509BenchOptions) { o.resign = 0 }, ""},
		{"unknown action", func(o *x509BenchOptions) { o.actions = []string{"GetCallerIdentity"} }, `unknown workload "GetCallerIdentity"`},
		{"no action", func(o *x509BenchOptions) { o.actions = nil }, "at least one workload"},
		{"zero concurrency", func(o *x509BenchOptions) { o.concurrency = []int{0} }, "--concurrency: 0"},
		{"no concurrency", func(o *x509BenchOptions) { o.concurrency = nil }, "at least one level"},
		{"no repeat", func(o *x509BenchOptions) { o.repeat = 0 }, "--repeat must be at least 1"},
		{"negative resign", func(o *x509BenchOptions) { o.resign = -time.Second }, "--resign not negative"},
		{"bad output", func(o *x509BenchOptions) { o.output = "csv" }, `"csv" is not table or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good()
			tt.mutate(&o)
			err := o.check()
			if tt.wantErr == "" && err != nil {
				t.Errorf("check() = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("check() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// fakeX509API stands for Brevet's API: it answers Query requests as the
// trivial server does and CreateSession after verifying its SigV4-X509
// signature with the certificate the request carries, which must come
// from pki's intermediate.
func fakeX509API(t *testing.T, pki *loadgen.PKI) http.Handler {
	v, err := sigv4.NewVerifier(sigv4.Config{Regions: []string{"us-east-1"}, Services: []string{sigv4.ServiceRolesAnywhere}})
	if err != nil {
		t.Fatal(err)
	}
	trivial := loadgen.TrivialHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sessions" {
			trivial.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		req := sigv4.FromHTTP(r, body)
		a, err := sigv4.Parse(&req)
		var leaf *x509.Certificate
		if err == nil {
			var der []byte
			if der, err = base64.StdEncoding.DecodeString(r.Header.Get("X-Amz-X509")); err == nil {
				leaf, err = x509.ParseCertificate(der)
			}
		}
		if err == nil {
			err = leaf.CheckSignatureFrom(pki.Intermediate)
		}
		if err == nil {
			err = v.VerifyX509(&req, a, leaf, time.Now())
		}
		if err != nil {
			http.Error(w, `{"message":"`+err.Error()+`"}`, http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"credentialSet":[{"credentials":{"sessionToken":"token"}}]}`)
	})
}

// fakeIoT stands for the IoT credentials provider: credentials for the
// role alias to the device whose certificate it is.
func fakeIoT(device *x509.Certificate) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || !r.TLS.PeerCertificates[0].Equal(device) ||
			r.URL.Path != "/role-aliases/"+benchX509RoleAlias+"/credentials" || r.Header.Get("x-amzn-iot-thingname") != benchX509Thing {
			http.Error(w, `{"message":"Access Denied"}`, http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, `{"credentials":{"accessKeyId":"ASIA","secretAccessKey":"s","sessionToken":"token","expiration":"2030-01-01T00:00:00Z"}}`)
	})
}

// mTLSServer serves h over mutual TLS with pki's server certificate, as
// the IoT credentials listener and the trivial TLS server do.
func mTLSServer(t *testing.T, pki *loadgen.PKI, h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	cert, err := pki.ServerCertificate()
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	return srv
}

// TestBenchX509Phases runs brevet bench x509's phases against the trivial
// server and stand-ins for the API and the IoT credentials provider in
// this process, with a CA of loadgen.PKI: the test checks the plumbing
// (signatures, client certificates, resumption, ratios, the report), not
// the figures. The spawned run (the real server) is e2e's TestBenchX509.
func TestBenchX509Phases(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	pki, err := loadgen.NewPKI(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	key, leaf, err := pki.Leaf(loadgen.KeyECDSAP256, benchX509Thing)
	if err != nil {
		t.Fatal(err)
	}
	trivial := httptest.NewServer(loadgen.TrivialHandler())
	defer trivial.Close()
	api := httptest.NewServer(fakeX509API(t, pki))
	defer api.Close()
	iotSrv := mTLSServer(t, pki, fakeIoT(leaf))
	defer iotSrv.Close()
	trivialTLS := mTLSServer(t, pki, loadgen.TrivialHandler())
	defer trivialTLS.Close()
	refs := x509References{
		http: loadgen.Target{Name: loadgen.TrivialName, URL: trivial.URL + "/", PID: os.Getpid()},
		tls:  loadgen.Target{Name: loadgen.TrivialName, URL: trivialTLS.URL + "/", PID: os.Getpid()},
	}

	o := x509BenchOptions{region: "us-east-1", actions: x509BenchActions, concurrency: []int{1, 4}, duration: 100 * time.Millisecond,
		warmup: 20 * time.Millisecond, repeat: 2, resign: time.Second, output: "json"}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	f := x509Fixture{roleARN: "arn:aws:iam::123456789012:role/" + benchX509Role, pki: pki,
		trustAnchorARN: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a", profileARN: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p",
		device: loadgen.TLSCertificate(key, leaf, pki.Intermediate), iotURL: iotSrv.URL + "/"}
	creds := sigv4.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}
	run := func(o x509BenchOptions) string {
		workloads, err := benchX509Workloads(o, loadgen.Target{Name: "brevet", URL: api.URL + "/", PID: os.Getpid()}, refs, f)
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		err = benchX509Phases(context.Background(), &stdout, &stderr, o, workloads, creds)
		if err != nil {
			t.Fatalf("benchX509Phases: %v\n%s", err, stderr.String())
		}
		return stdout.String()
	}
	stdout := run(o)
	var rep x509BenchReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	if got, want := len(rep.Rows), 2*2*5*2; got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	var firstRound []string
	for _, r := range rep.Medians {
		if r.Concurrency == 1 {
			firstRound = append(firstRound, r.Target+" "+r.Action)
		}
	}
	want := "trivial AssumeRole,brevet AssumeRole,trivial CreateSession-ECDSA,brevet CreateSession-ECDSA,trivial CreateSession-RSA," +
		"brevet CreateSession-RSA,trivial IoT-keepalive,brevet IoT-keepalive,trivial IoT-resume,brevet IoT-resume"
	if got := strings.Join(firstRound, ","); got != want {
		t.Errorf("medians at c1: %s, want %s", got, want)
	}
	for _, r := range rep.Rows {
		if r.Errors != 0 || r.Ops == 0 {
			t.Errorf("%s %s c%d: %d ops, %d errors %v; want ops and no errors", r.Target, r.Action, r.Concurrency, r.Ops, r.Errors, r.ErrorsBy)
		}
		if (r.Target == loadgen.TrivialName) != (r.RatioToTrivial == 0) {
			t.Errorf("%s %s c%d: ×trivial %v, want one on brevet's rows", r.Target, r.Action, r.Concurrency, r.RatioToTrivial)
		}
		if wantRatio := r.Target == "brevet" && r.Action != loadgen.ActionAssumeRole; wantRatio != (r.RatioToAssumeRole > 0) {
			t.Errorf("%s %s c%d: ×AssumeRole %v, want one on brevet's rows but AssumeRole's", r.Target, r.Action, r.Concurrency, r.RatioToAssumeRole)
		}
		isIoT := strings.HasPrefix(r.Action, "IoT-")
		if isIoT != (r.TLSResponses > 0) {
			t.Errorf("%s %s c%d: %d TLS responses counted, want some for IoT only", r.Target, r.Action, r.Concurrency, r.TLSResponses)
		}
		// With a new connection per request every measured response comes
		// on a resumed session (the warm-up's first ones made the
		// tickets). Kept-alive connections opened in the warm-up, some on
		// resumed sessions, so their share says nothing.
		if r.Action == loadgen.ActionIoTResume && r.TLSResumed != r.TLSResponses {
			t.Errorf("IoT-resume c%d: %d of %d responses resumed, want all", r.Concurrency, r.TLSResumed, r.TLSResponses)
		}
	}

	// The table: one round at c64 of two workloads.
	o = x509BenchOptions{region: "us-east-1", actions: []string{"CreateSession-ECDSA", "IoT-resume"}, concurrency: []int{64},
		duration: 100 * time.Millisecond, repeat: 1, resign: time.Second, output: "table"}
	stdout = run(o)
	for _, want := range []string{"load average ", "×trivial  ×AssumeRole", "tls: brevet IoT-resume c64: ",
		"issue 15's targets at c64 on this machine (1 round; the targets are read from medians of 3: --repeat 3):",
		"brevet CreateSession-ECDSA  ", "(want ≥ 3000): ", "brevet IoT-resume  ", "(want ≥ 2000): ", "brevet RSS:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "CreateSession-RSA") {
		t.Errorf("the table has a workload not asked for:\n%s", stdout)
	}
}
