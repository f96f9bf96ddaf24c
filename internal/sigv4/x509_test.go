package sigv4

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
)

const (
	raTrustAnchor = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4579702c-ee9f-4c9c-a4c4-5d8ee0a4e0f7"
	raProfile     = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/6f4c6d1e-4ba9-4a5c-9d51-1e7fa3c9d0a2"
	raRole        = "arn:aws:iam::123456789012:role/device"
)

var raBody = []byte(`{"durationSeconds":3600}`)

func x509Verifier(t testing.TB) *Verifier {
	t.Helper()
	v, err := NewVerifier(Config{Regions: []string{"us-east-1"}, Services: []string{ServiceRolesAnywhere}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sessionRequest is a CreateSession request as the signing helper sends
// it, signed by leaf's key at time at.
func sessionRequest(t testing.TB, leaf *x509test.Leaf, at time.Time) *Request {
	t.Helper()
	req := &Request{
		Method: "POST", Path: "/sessions",
		RawQuery: "profileArn=" + string(appendEscaped(nil, raProfile, false)) +
			"&roleArn=" + string(appendEscaped(nil, raRole, false)) +
			"&trustAnchorArn=" + string(appendEscaped(nil, raTrustAnchor, false)),
		Host:   "rolesanywhere.us-east-1.amazonaws.com",
		Header: http.Header{"Content-Type": {"application/json"}, "User-Agent": {"CredHelper/1.4.0"}},
		Body:   raBody,
	}
	if err := SignX509(req, leaf.Key, leaf.Cert, leaf.Chain, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

func parseVerifyX509(v *Verifier, req *Request, leaf *x509test.Leaf, now time.Time) error {
	a, err := Parse(req)
	if err != nil {
		return err
	}
	return v.VerifyX509(req, a, leaf.Cert, now)
}

type x509Fixture struct {
	rsa, ecdsa, other, direct *x509test.Leaf
}

func newX509Fixture(t testing.TB) *x509Fixture {
	t.Helper()
	root := x509test.NewCA(t, x509test.Options{})
	inter := root.Intermediate(t, x509test.Options{})
	return &x509Fixture{
		rsa:    inter.Leaf(t, x509test.Options{CN: "rsa", Key: x509test.RSA}),
		ecdsa:  inter.Leaf(t, x509test.Options{CN: "ecdsa"}),
		other:  inter.Leaf(t, x509test.Options{CN: "other"}),
		direct: root.Leaf(t, x509test.Options{CN: "direct", Key: x509test.RSA}),
	}
}

func TestVerifyX509Accepts(t *testing.T) {
	v := x509Verifier(t)
	f := newX509Fixture(t)
	for _, tt := range []struct {
		name string
		leaf *x509test.Leaf
		now  time.Time
	}{
		{"RSA with chain", f.rsa, testTime},
		{"ECDSA with chain", f.ecdsa, testTime},
		{"RSA without chain", f.direct, testTime},
		{"clock 15 min behind", f.ecdsa, testTime.Add(-15 * time.Minute)},
		{"clock 15 min ahead", f.ecdsa, testTime.Add(15 * time.Minute)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := sessionRequest(t, tt.leaf, testTime)
			a, err := Parse(req)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := a.Serial, tt.leaf.Cert.SerialNumber.String(); got != want {
				t.Errorf("Serial: got %q, want %q", got, want)
			}
			if a.AccessKeyID != "" || a.X509 == "" || (a.X509Chain != "") != (len(tt.leaf.Chain) > 0) {
				t.Errorf("got AccessKeyID %q, X509 %d bytes, X509Chain %d bytes", a.AccessKeyID, len(a.X509), len(a.X509Chain))
			}
			if err := v.VerifyX509(req, a, tt.leaf.Cert, tt.now); err != nil {
				t.Errorf("got %v, want nil", err)
			}
		})
	}
}

func TestVerifyX509Rejects(t *testing.T) {
	v := x509Verifier(t)
	f := newX509Fixture(t)
	resign := func(r *Request, authz func(string) string) *Request {
		r.Header.Set("Authorization", authz(r.Header.Get("Authorization")))
		return r
	}
	tests := []struct {
		name    string
		req     func() *Request
		leaf    *x509test.Leaf // the certificate the caller decoded; f.rsa when nil
		now     time.Time
		kind    Kind
		message string
	}{
		{name: "tampered body", req: func() *Request {
			r := sessionRequest(t, f.rsa, testTime)
			r.Body = []byte(`{"durationSeconds":43200}`)
			return r
		}, kind: KindSignatureDoesNotMatch, message: msgSignatureDoesNotMatch},
		{name: "tampered query", req: func() *Request {
			r := sessionRequest(t, f.rsa, testTime)
			r.RawQuery = strings.Replace(r.RawQuery, "device", "admin", 1)
			return r
		}, kind: KindSignatureDoesNotMatch},
		{name: "tampered chain", req: func() *Request {
			r := sessionRequest(t, f.rsa, testTime)
			r.Header.Set("X-Amz-X509-Chain", r.Header.Get("X-Amz-X509-Chain")+","+r.Header.Get("X-Amz-X509"))
			return r
		}, kind: KindSignatureDoesNotMatch},
		{name: "signed by another key", req: func() *Request {
			r := sessionRequest(t, f.other, testTime)
			if err := SignX509(r, f.other.Key, f.ecdsa.Cert, f.ecdsa.Chain, "us-east-1", testTime); err != nil {
				t.Fatal(err)
			}
			return r
		}, leaf: f.ecdsa, kind: KindSignatureDoesNotMatch, message: msgSignatureDoesNotMatch},
		{name: "leaf is not X-Amz-X509", req: func() *Request { return sessionRequest(t, f.ecdsa, testTime) },
			leaf: f.other, kind: KindSignatureDoesNotMatch, message: "The certificate does not match the X-Amz-X509 header."},
		{name: "serial is not the certificate's", req: func() *Request {
			return resign(sessionRequest(t, f.ecdsa, testTime), func(s string) string {
				return strings.Replace(s, "Credential="+f.ecdsa.Cert.SerialNumber.String(), "Credential=12345", 1)
			})
		}, leaf: f.ecdsa, kind: KindSignatureDoesNotMatch,
			message: "The serial number in the Credential does not match the certificate in X-Amz-X509."},
		{name: "RSA algorithm, ECDSA key", req: func() *Request {
			return resign(sessionRequest(t, f.ecdsa, testTime), func(s string) string {
				return strings.Replace(s, AlgorithmX509ECDSA, AlgorithmX509RSA, 1)
			})
		}, leaf: f.ecdsa, kind: KindSignatureDoesNotMatch,
			message: "The signing algorithm AWS4-X509-RSA-SHA256 does not fit the certificate's key."},
		{name: "ECDSA algorithm, RSA key", req: func() *Request {
			return resign(sessionRequest(t, f.rsa, testTime), func(s string) string {
				return strings.Replace(s, AlgorithmX509RSA, AlgorithmX509ECDSA, 1)
			})
		}, kind: KindSignatureDoesNotMatch,
			message: "The signing algorithm AWS4-X509-ECDSA-SHA256 does not fit the certificate's key."},
		{name: "scope service", req: func() *Request {
			return resign(sessionRequest(t, f.rsa, testTime), func(s string) string {
				return strings.Replace(s, "/rolesanywhere/", "/sts/", 1)
			})
		}, kind: KindInvalidScope, message: "Credential should be scoped to correct service: 'rolesanywhere'. "},
		{name: "scope region", req: func() *Request {
			r := sessionRequest(t, f.rsa, testTime)
			if err := SignX509(r, f.rsa.Key, f.rsa.Cert, f.rsa.Chain, "eu-west-1", testTime); err != nil {
				t.Fatal(err)
			}
			return r
		}, kind: KindInvalidScope, message: "Credential should be scoped to a valid region. "},
		{name: "skew: too old", req: func() *Request { return sessionRequest(t, f.rsa, testTime.Add(-16*time.Minute)) },
			kind: KindRequestExpired},
		{name: "skew: too new", req: func() *Request { return sessionRequest(t, f.rsa, testTime.Add(16*time.Minute)) },
			kind: KindRequestExpired},
		{name: "X-Amz-X509 not signed", req: func() *Request {
			return resign(sessionRequest(t, f.rsa, testTime), func(s string) string {
				return strings.Replace(s, ";x-amz-x509", "", 1)
			})
		}, kind: KindIncompleteSignature, message: "'x-amz-x509' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "X-Amz-X509-Chain not signed", req: func() *Request {
			return resign(sessionRequest(t, f.rsa, testTime), func(s string) string {
				return strings.Replace(s, ";x-amz-x509-chain", "", 1)
			})
		}, kind: KindIncompleteSignature, message: "'x-amz-x509-chain' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "unsigned payload", req: func() *Request {
			r := sessionRequest(t, f.rsa, testTime)
			r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
			return r
		}, kind: KindSignatureDoesNotMatch},
		{name: "truncated signature", req: func() *Request {
			return resign(sessionRequest(t, f.rsa, testTime), func(s string) string { return s[:len(s)-2] })
		}, kind: KindSignatureDoesNotMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = testTime
			}
			leaf := tt.leaf
			if leaf == nil {
				leaf = f.rsa
			}
			err := parseVerifyX509(v, tt.req(), leaf, now)
			if !isKind(err, tt.kind) {
				t.Fatalf("got %v, want %v", err, tt.kind)
			}
			if tt.message != "" && err.(*Error).Message != tt.message {
				t.Errorf("got message %q, want %q", err.(*Error).Message, tt.message)
			}
		})
	}
}

// TestX509AlgorithmsApart checks that neither verifier accepts the
// other's requests, and that Parse wants the certificate headers.
func TestX509AlgorithmsApart(t *testing.T) {
	v := x509Verifier(t)
	f := newX509Fixture(t)
	req := sessionRequest(t, f.ecdsa, testTime)
	a, err := Parse(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(req, a, "secret", testTime); !isKind(err, KindIncompleteSignature) {
		t.Errorf("Verify of SigV4-X509: got %v, want IncompleteSignature", err)
	}
	if _, err := v.VerifyStream(req, a, "secret", testTime, strings.NewReader("")); !isKind(err, KindIncompleteSignature) {
		t.Errorf("VerifyStream of SigV4-X509: got %v, want IncompleteSignature", err)
	}
	hreq := stsRequest(t, testCreds, testTime)
	ha, err := Parse(hreq)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyX509(hreq, ha, f.ecdsa.Cert, testTime); !isKind(err, KindIncompleteSignature) {
		t.Errorf("VerifyX509 of SigV4: got %v, want IncompleteSignature", err)
	}

	for _, tt := range []struct {
		name string
		edit func(*Request)
	}{
		{"no X-Amz-X509", func(r *Request) { r.Header.Del("X-Amz-X509") }},
		{"two X-Amz-X509", func(r *Request) { r.Header.Add("X-Amz-X509", "AAAA") }},
		{"two X-Amz-X509-Chain", func(r *Request) { r.Header.Add("X-Amz-X509-Chain", "AAAA") }},
		{"serial not decimal", func(r *Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"),
				"Credential="+f.rsa.Cert.SerialNumber.String(), "Credential=0x1f", 1))
		}},
		{"four-element credential", func(r *Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/", 1))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := sessionRequest(t, f.rsa, testTime)
			tt.edit(r)
			if _, err := Parse(r); !isKind(err, KindIncompleteSignature) {
				t.Errorf("got %v, want IncompleteSignature", err)
			}
		})
	}
	presigned := &Request{Method: "GET", Path: "/", Host: "h", RawQuery: "X-Amz-Algorithm=" + AlgorithmX509RSA +
		"&X-Amz-Credential=1%2F20190101%2Fus-east-1%2Frolesanywhere%2Faws4_request&X-Amz-Date=20190101T000000Z" +
		"&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00"}
	if _, err := Parse(presigned); !isKind(err, KindIncompleteSignature) {
		t.Errorf("presigned SigV4-X509: got %v, want IncompleteSignature", err)
	}
}

// TestInteropSigningHelper verifies what AWS's own client, the
// rolesanywhere-credential-helper, sends for CreateSession with RSA and
// ECDSA certificates: the request is captured by a test server that
// refuses it, then taken through Parse and VerifyX509.
func TestInteropSigningHelper(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs aws_signing_helper")
	}
	bin := x509test.SigningHelper(t)
	v := x509Verifier(t)
	f := newX509Fixture(t)
	for _, tt := range []struct {
		name string
		leaf *x509test.Leaf
	}{{"RSA", f.rsa}, {"ECDSA P-256", f.ecdsa}, {"RSA without chain", f.direct}} {
		t.Run(tt.name, func(t *testing.T) {
			captured := make(chan *Request, 4)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				req := FromHTTP(r, body)
				req.Header = r.Header.Clone()
				select {
				case captured <- &req:
				default:
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				io.WriteString(w, `{"message":"captured"}`)
			}))
			defer srv.Close()
			files := tt.leaf.WritePEM(t, t.TempDir())
			args := []string{"credential-process", "--certificate", files.Cert, "--private-key", files.Key,
				"--trust-anchor-arn", raTrustAnchor, "--profile-arn", raProfile, "--role-arn", raRole,
				"--endpoint", srv.URL, "--region", "us-east-1"}
			if files.Chain != "" {
				args = append(args, "--intermediates", files.Chain)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, _ := exec.CommandContext(ctx, bin, args...).CombinedOutput() // it fails: the server said 403
			var req *Request
			select {
			case req = <-captured:
			default:
				t.Fatalf("the helper sent nothing; it said:\n%s", out)
			}
			a, err := Parse(req)
			if err != nil {
				t.Fatalf("Parse: %v\nAuthorization: %s", err, req.Header.Get("Authorization"))
			}
			if got, want := a.Serial, tt.leaf.Cert.SerialNumber.String(); got != want {
				t.Errorf("Serial: got %q, want %q", got, want)
			}
			t.Logf("SignedHeaders=%s", a.SignedHeaders)
			if a.Time.IsZero() || a.Service != ServiceRolesAnywhere {
				t.Errorf("got time %v, service %q", a.Time, a.Service)
			}
			if err := v.VerifyX509(req, a, tt.leaf.Cert, a.Time); err != nil {
				t.Errorf("VerifyX509: %v\nAuthorization: %s", err, req.Header.Get("Authorization"))
			}
			if err := v.VerifyX509(req, a, tt.leaf.Cert, a.Time.Add(time.Hour)); !isKind(err, KindRequestExpired) {
				t.Errorf("an hour later: got %v, want RequestExpired", err)
			}
			req.Body = append([]byte(nil), req.Body...)
			req.Body = append(req.Body, ' ')
			if err := v.VerifyX509(req, a, tt.leaf.Cert, a.Time); !isKind(err, KindSignatureDoesNotMatch) {
				t.Errorf("tampered body: got %v, want SignatureDoesNotMatch", err)
			}
		})
	}
}

// TestVerifyX509Service checks that a Verifier accepts SigV4-X509 for its
// own scope service only: Brevet's host actions ("brevet") and Roles
// Anywhere's CreateSession ("rolesanywhere") cannot be replayed at each
// other.
func TestVerifyX509Service(t *testing.T) {
	f := newX509Fixture(t)
	brevet, err := NewVerifier(Config{Regions: []string{"us-east-1"}, Services: []string{ServiceBrevet}})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(service string) *Request {
		req := &Request{Method: "POST", Path: "/", Host: "brevet.example", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			Body: []byte("Action=GetHostCredentials&Version=2026-11-01")}
		if err := SignX509Service(req, f.ecdsa.Key, f.ecdsa.Cert, nil, "us-east-1", service, testTime); err != nil {
			t.Fatal(err)
		}
		return req
	}
	for _, tt := range []struct {
		name    string
		v       *Verifier
		service string
		want    string // "" = accepted
	}{
		{"brevet verifier, brevet scope", brevet, ServiceBrevet, ""},
		{"brevet verifier, rolesanywhere scope", brevet, ServiceRolesAnywhere, "Credential should be scoped to correct service: 'brevet'. "},
		{"rolesanywhere verifier, brevet scope", x509Verifier(t), ServiceBrevet, "Credential should be scoped to correct service: 'rolesanywhere'. "},
		{"rolesanywhere verifier, rolesanywhere scope", x509Verifier(t), ServiceRolesAnywhere, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := parseVerifyX509(tt.v, sign(tt.service), f.ecdsa, testTime)
			got := ""
			if err != nil {
				got = err.(*Error).Message
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
