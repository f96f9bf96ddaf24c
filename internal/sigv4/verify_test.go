package sigv4

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	testTime  = time.Date(2019, 1, 1, 0, 30, 0, 0, time.UTC)
	testCreds = Credentials{
		AccessKeyID:     "AKIAIOSFODNN7EXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		SessionToken:    "FQoGZXIvYXdzEBYaDEXAMPLETOKEN+/=",
	}
	stsBody = []byte("Action=GetCallerIdentity&Version=2011-06-15")
)

func testVerifier(t testing.TB) *Verifier {
	t.Helper()
	v, err := NewVerifier(Config{Regions: []string{"us-east-1"}, Services: []string{"sts"}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// stsRequest is a GetCallerIdentity POST as botocore sends it: it signs
// content-type, host, x-amz-date (and the token); Accept-Encoding,
// User-Agent and Content-Length ride along unsigned.
func stsRequest(t testing.TB, creds Credentials, at time.Time) *Request {
	t.Helper()
	req := &Request{
		Method: "POST", Path: "/", Host: "sts.amazonaws.com", Body: stsBody,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}},
	}
	s := &Signer{Credentials: creds}
	if err := s.Sign(req, SignOptions{Region: "us-east-1", Service: "sts", Time: at}); err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.1 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0")
	req.Header.Set("Content-Length", "43")
	return req
}

func presignedRequest(t testing.TB, creds Credentials, at time.Time, expires time.Duration) *Request {
	t.Helper()
	req := &Request{Method: "GET", Path: "/", RawQuery: "Action=GetCallerIdentity&Version=2011-06-15", Host: "sts.amazonaws.com", Header: http.Header{}}
	s := &Signer{Credentials: creds}
	if err := s.Presign(req, SignOptions{Region: "us-east-1", Service: "sts", Time: at, Expires: expires}); err != nil {
		t.Fatal(err)
	}
	return req
}

func parseVerify(v *Verifier, req *Request, secret string, now time.Time) error {
	a, err := Parse(req)
	if err != nil {
		return err
	}
	return v.Verify(req, a, secret, now)
}

func TestVerifyAccepts(t *testing.T) {
	v := testVerifier(t)
	tests := []struct {
		name string
		req  *Request
		now  time.Time
	}{
		{"header", stsRequest(t, testCreds, testTime), testTime},
		{"header, clock 15 min behind", stsRequest(t, testCreds, testTime), testTime.Add(-15 * time.Minute)},
		{"header, clock 15 min ahead", stsRequest(t, testCreds, testTime), testTime.Add(15 * time.Minute)},
		{"presigned", presignedRequest(t, testCreds, testTime, time.Hour), testTime.Add(59 * time.Minute)},
		{"presigned POST, empty body", func() *Request {
			// As botocore presigns GetCallerIdentity: the parameters in
			// the query, an empty body.
			r := &Request{Method: "POST", Path: "/", RawQuery: "Action=GetCallerIdentity&Version=2011-06-15", Host: "sts.amazonaws.com", Header: http.Header{}}
			s := &Signer{Credentials: testCreds}
			if err := s.Presign(r, SignOptions{Region: "us-east-1", Service: "sts", Time: testTime, Expires: 15 * time.Minute}); err != nil {
				t.Fatal(err)
			}
			return r
		}(), testTime.Add(10 * time.Minute)},
		{"presigned 7 days", presignedRequest(t, testCreds, testTime, MaxPresignExpiry), testTime.Add(MaxPresignExpiry)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := parseVerify(v, tt.req, testCreds.SecretAccessKey, tt.now); err != nil {
				t.Errorf("got %v, want nil", err)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	v := testVerifier(t)
	secret := testCreds.SecretAccessKey
	tests := []struct {
		name    string
		req     func() *Request
		secret  string
		now     time.Time
		kind    Kind
		message string // checked when not empty
	}{
		{name: "tampered body", req: func() *Request {
			r := stsRequest(t, testCreds, testTime)
			r.Body = []byte("Action=GetCallerIdentity&Version=2011-06-16")
			return r
		}, kind: KindSignatureDoesNotMatch, message: msgSignatureDoesNotMatch},
		{name: "tampered signed header", req: func() *Request {
			r := stsRequest(t, testCreds, testTime)
			r.Header.Set("Content-Type", "application/json")
			return r
		}, kind: KindSignatureDoesNotMatch},
		{name: "tampered signed token", req: func() *Request {
			r := stsRequest(t, testCreds, testTime)
			r.Header.Set("X-Amz-Security-Token", testCreds.SessionToken+"x")
			return r
		}, kind: KindSignatureDoesNotMatch},
		{name: "tampered host", req: func() *Request {
			r := stsRequest(t, testCreds, testTime)
			r.Host = "sts.us-east-1.amazonaws.com"
			return r
		}, kind: KindSignatureDoesNotMatch},
		{name: "tampered path", req: func() *Request {
			r := stsRequest(t, testCreds, testTime)
			r.Path = "/x"
			return r
		}, kind: KindSignatureDoesNotMatch},
		{name: "tampered query", req: func() *Request {
			r := stsRequest(t, testCreds, testTime)
			r.RawQuery = "Action=GetSessionToken"
			return r
		}, kind: KindSignatureDoesNotMatch},
		{name: "extra signed header value", req: func() *Request {
			r := stsRequest(t, testCreds, testTime)
			r.Header.Add("Content-Type", "text/plain")
			return r
		}, kind: KindSignatureDoesNotMatch},
		{name: "wrong secret", req: func() *Request { return stsRequest(t, testCreds, testTime) },
			secret: secret + "x", kind: KindSignatureDoesNotMatch},
		{name: "unsigned payload refused for STS", req: func() *Request {
			r := stsRequest(t, testCreds, testTime)
			r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
			return r
		}, kind: KindSignatureDoesNotMatch},
		{name: "declared hash differs from body", req: func() *Request {
			r := &Request{Method: "POST", Path: "/", Host: "sts.amazonaws.com", Body: stsBody, Header: http.Header{}}
			s := &Signer{Credentials: testCreds}
			if err := s.Sign(r, SignOptions{Region: "us-east-1", Service: "sts", Time: testTime, ContentSHA256Header: true}); err != nil {
				t.Fatal(err)
			}
			r.Body = []byte("Action=GetSessionToken&Version=2011-06-15")
			return r
		}, kind: KindContentSHA256Mismatch, message: msgContentSHA256Mismatch},
		{name: "skew: request too old", req: func() *Request { return stsRequest(t, testCreds, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)) },
			kind:    KindRequestExpired,
			message: "Signature expired: 20190101T000000Z is now earlier than 20190101T001500Z (20190101T003000Z - 15 min.)"},
		{name: "skew: request too new", req: func() *Request { return stsRequest(t, testCreds, time.Date(2019, 1, 1, 1, 0, 0, 0, time.UTC)) },
			kind:    KindRequestExpired,
			message: "Signature not yet current: 20190101T010000Z is still later than 20190101T004500Z (20190101T003000Z + 15 min.)"},
		{name: "region not served", req: func() *Request {
			r := &Request{Method: "POST", Path: "/", Host: "sts.amazonaws.com", Body: stsBody, Header: http.Header{}}
			s := &Signer{Credentials: testCreds}
			if err := s.Sign(r, SignOptions{Region: "eu-west-1", Service: "sts", Time: testTime}); err != nil {
				t.Fatal(err)
			}
			return r
		}, kind: KindInvalidScope, message: "Credential should be scoped to a valid region. "},
		{name: "wrong service", req: func() *Request {
			r := &Request{Method: "POST", Path: "/", Host: "sts.amazonaws.com", Body: stsBody, Header: http.Header{}}
			s := &Signer{Credentials: testCreds}
			if err := s.Sign(r, SignOptions{Region: "us-east-1", Service: "iam", Time: testTime}); err != nil {
				t.Fatal(err)
			}
			return r
		}, kind: KindInvalidScope, message: "Credential should be scoped to correct service: 'sts'. "},
		{name: "presign expired", req: func() *Request { return presignedRequest(t, testCreds, testTime, time.Hour) },
			now: testTime.Add(time.Hour + time.Second), kind: KindAccessDenied, message: msgPresignExpired},
		{name: "presign not yet valid", req: func() *Request { return presignedRequest(t, testCreds, testTime, time.Hour) },
			now: testTime.Add(-16 * time.Minute), kind: KindAccessDenied, message: msgPresignNotYetValid},
		{name: "presign X-Amz-Expires raised after signing", req: func() *Request {
			r := presignedRequest(t, testCreds, testTime, time.Hour)
			r.RawQuery = strings.Replace(r.RawQuery, "X-Amz-Expires=3600", "X-Amz-Expires=7200", 1)
			return r
		}, now: testTime.Add(90 * time.Minute), kind: KindSignatureDoesNotMatch},
		{name: "presign X-Amz-Expires over 7 days", req: func() *Request {
			r := presignedRequest(t, testCreds, testTime, time.Hour)
			r.RawQuery = strings.Replace(r.RawQuery, "X-Amz-Expires=3600", "X-Amz-Expires=604801", 1)
			return r
		}, kind: KindIncompleteSignature, message: "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{name: "presign X-Amz-Expires not a number", req: func() *Request {
			r := presignedRequest(t, testCreds, testTime, time.Hour)
			r.RawQuery = strings.Replace(r.RawQuery, "X-Amz-Expires=3600", "X-Amz-Expires=1h", 1)
			return r
		}, kind: KindIncompleteSignature, message: "X-Amz-Expires should be a number"},
		{name: "presign X-Amz-Expires negative", req: func() *Request {
			r := presignedRequest(t, testCreds, testTime, time.Hour)
			r.RawQuery = strings.Replace(r.RawQuery, "X-Amz-Expires=3600", "X-Amz-Expires=-1", 1)
			return r
		}, kind: KindIncompleteSignature, message: "X-Amz-Expires must be non-negative"},
		{name: "presign tampered token", req: func() *Request {
			r := presignedRequest(t, testCreds, testTime, time.Hour)
			r.RawQuery = strings.Replace(r.RawQuery, "X-Amz-Security-Token=FQoG", "X-Amz-Security-Token=FQoH", 1)
			return r
		}, kind: KindSignatureDoesNotMatch},
		{name: "presign tampered query parameter", req: func() *Request {
			r := presignedRequest(t, testCreds, testTime, time.Hour)
			r.RawQuery = strings.Replace(r.RawQuery, "Action=GetCallerIdentity", "Action=GetSessionToken", 1)
			return r
		}, kind: KindSignatureDoesNotMatch},
		{name: "presign missing signature", req: func() *Request {
			r := presignedRequest(t, testCreds, testTime, time.Hour)
			r.RawQuery = r.RawQuery[:strings.Index(r.RawQuery, "&X-Amz-Signature=")]
			return r
		}, kind: KindIncompleteSignature,
			message: "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."},
		{name: "presign duplicated signature", req: func() *Request {
			r := presignedRequest(t, testCreds, testTime, time.Hour)
			r.RawQuery += "&X-Amz-Signature=00"
			return r
		}, kind: KindIncompleteSignature},
		{name: "presign plus Authorization header", req: func() *Request {
			r := presignedRequest(t, testCreds, testTime, time.Hour)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
			return r
		}, kind: KindIncompleteSignature, message: msgTwoMechanisms},
		{name: "host not signed", req: func() *Request {
			r := stsRequest(t, testCreds, testTime)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
			return r
		}, kind: KindIncompleteSignature, message: msgHostNotSigned},
		{name: "not signed at all", req: func() *Request {
			return &Request{Method: "POST", Path: "/", Host: "sts.amazonaws.com", Body: stsBody, Header: http.Header{}}
		}, kind: KindMissingAuthenticationToken, message: msgMissingAuthenticationToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, now := tt.secret, tt.now
			if s == "" {
				s = secret
			}
			if now.IsZero() {
				now = testTime
			}
			err := parseVerify(v, tt.req(), s, now)
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("got %v, want *Error of kind %v", err, tt.kind)
			}
			if e.Kind != tt.kind {
				t.Errorf("got kind %v (%s), want %v", e.Kind, e.Message, tt.kind)
			}
			if tt.message != "" && e.Message != tt.message {
				t.Errorf("got message %q, want %q", e.Message, tt.message)
			}
			if strings.Contains(e.Message, secret) || strings.Contains(e.Message, "\n") {
				t.Errorf("message reveals too much: %q", e.Message)
			}
		})
	}
}

// authzRequest is a header-signed request with the given Authorization
// header, for Parse's error cases.
func authzRequest(authz string, hdr ...string) *Request {
	h := http.Header{"X-Amz-Date": {"20190101T003000Z"}}
	if authz != "-" {
		h["Authorization"] = []string{authz}
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			delete(h, hdr[i])
		} else {
			h.Add(hdr[i], hdr[i+1])
		}
	}
	return &Request{Method: "GET", Path: "/", Host: "sts.amazonaws.com", Header: h}
}

func TestParseMalformedAuthorization(t *testing.T) {
	const (
		cred = "Credential=AKIDEXAMPLE/20190101/us-east-1/sts/aws4_request"
		sh   = "SignedHeaders=host;x-amz-date"
		sig  = "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	)
	tests := []struct {
		name    string
		authz   string
		hdr     []string
		kind    Kind
		message string
	}{
		{name: "well formed", authz: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig},
		{name: "well formed, no spaces", authz: "AWS4-HMAC-SHA256 " + cred + "," + sh + "," + sig},
		{name: "unknown parameter ignored", authz: "AWS4-HMAC-SHA256 " + cred + ", Foo=bar, " + sh + ", " + sig},
		{name: "algorithm only", authz: "AWS4-HMAC-SHA256", kind: KindIncompleteSignature,
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"},
		{name: "no date either", authz: "AWS4-HMAC-SHA256 " + cred + ", " + sh, hdr: []string{"X-Amz-Date", ""}, kind: KindIncompleteSignature,
			message: "Authorization header requires 'Signature' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
				"Authorization=AWS4-HMAC-SHA256 " + cred + ", " + sh},
		{name: "missing credential", authz: "AWS4-HMAC-SHA256 " + sh + ", " + sig, kind: KindIncompleteSignature,
			message: "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 " + sh + ", " + sig},
		{name: "missing signed headers", authz: "AWS4-HMAC-SHA256 " + cred + ", " + sig, kind: KindIncompleteSignature},
		{name: "duplicated credential", authz: "AWS4-HMAC-SHA256 " + cred + ", " + cred + ", " + sh + ", " + sig, kind: KindIncompleteSignature},
		{name: "duplicated signature", authz: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig + ", " + sig, kind: KindIncompleteSignature},
		{name: "bad algorithm", authz: "AWS4-HMAC-SHA512 " + cred + ", " + sh + ", " + sig, kind: KindIncompleteSignature,
			message: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'"},
		{name: "bearer token", authz: "Bearer abc", kind: KindIncompleteSignature, message: "Unsupported AWS 'algorithm': 'Bearer'"},
		{name: "empty header", authz: "", kind: KindIncompleteSignature},
		{name: "missing equal sign", authz: "AWS4-HMAC-SHA256 Credential, " + sh + ", " + sig, kind: KindIncompleteSignature,
			message: "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential, " + sh + ", " + sig + "'."},
		{name: "credential with 4 elements", authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20190101/us-east-1/aws4_request, " + sh + ", " + sig,
			kind:    KindIncompleteSignature,
			message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20190101/us-east-1/aws4_request'"},
		{name: "credential with 6 elements", authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20190101/us-east-1/sts/x/aws4_request, " + sh + ", " + sig,
			kind: KindIncompleteSignature},
		{name: "credential with empty key id", authz: "AWS4-HMAC-SHA256 Credential=/20190101/us-east-1/sts/aws4_request, " + sh + ", " + sig,
			kind: KindIncompleteSignature},
		{name: "bad X-Amz-Date", authz: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig, hdr: []string{"X-Amz-Date", "", "X-Amz-Date", "2019-01-01T00:30:00Z"},
			kind: KindIncompleteSignature, message: "Date must be in ISO-8601 'basic format'. Got '2019-01-01T00:30:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "impossible X-Amz-Date", authz: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig, hdr: []string{"X-Amz-Date", "", "X-Amz-Date", "20190231T003000Z"},
			kind: KindIncompleteSignature},
		{name: "Date header instead", authz: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig,
			hdr: []string{"X-Amz-Date", "", "Date", "Tue, 01 Jan 2019 00:30:00 GMT"}},
		{name: "non-hex signature", authz: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=zz672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
			kind: KindSignatureDoesNotMatch, message: msgSignatureDoesNotMatch},
		{name: "short signature", authz: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=5d67", kind: KindSignatureDoesNotMatch},
		{name: "empty signature", authz: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=", kind: KindSignatureDoesNotMatch},
		{name: "empty signed header name", authz: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig, kind: KindIncompleteSignature},
		{name: "empty signed headers", authz: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=, " + sig, kind: KindIncompleteSignature},
		{name: "host not signed", authz: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, " + sig, kind: KindIncompleteSignature, message: msgHostNotSigned},
		{name: "two Authorization headers", authz: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig, hdr: []string{"Authorization", "AWS4-HMAC-SHA256 x=y"},
			kind: KindIncompleteSignature},
		{name: "two session tokens", authz: "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig, hdr: []string{"X-Amz-Security-Token", "a", "X-Amz-Security-Token", "b"},
			kind: KindIncompleteSignature},
		{name: "sigv4a credential shape", authz: "AWS4-ECDSA-P256-SHA256 " + cred + ", " + sh + ", Signature=3045", kind: KindIncompleteSignature,
			message: "Credential must have exactly 4 slash-delimited elements, e.g. keyid/date/service/term, got 'AKIDEXAMPLE/20190101/us-east-1/sts/aws4_request'"},
		{name: "no Authorization", authz: "-", kind: KindMissingAuthenticationToken, message: msgMissingAuthenticationToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse(authzRequest(tt.authz, tt.hdr...))
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				if a.AccessKeyID != "AKIDEXAMPLE" || a.Region != "us-east-1" || a.Service != "sts" || a.Date != "20190101" {
					t.Errorf("got %+v", a)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("got %v, want *Error of kind %v", err, tt.kind)
			}
			if e.Kind != tt.kind {
				t.Errorf("got kind %v (%s), want %v", e.Kind, e.Message, tt.kind)
			}
			if tt.message != "" {
				if diff := cmp.Diff(tt.message, e.Message); diff != "" {
					t.Errorf("message (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	req := presignedRequest(t, testCreds, testTime, time.Hour)
	got, err := Parse(req)
	if err != nil {
		t.Fatal(err)
	}
	want := &Auth{
		Algorithm: AlgorithmHMAC, Presigned: true, AccessKeyID: testCreds.AccessKeyID,
		Scope: "20190101/us-east-1/sts/aws4_request", Date: "20190101", Region: "us-east-1", Service: "sts",
		SignedHeaders: "host", Signature: got.Signature, AmzDate: "20190101T003000Z", Time: testTime,
		Expires: time.Hour, SecurityToken: testCreds.SessionToken, sig: got.sig, terminator: "aws4_request",
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Auth{})); diff != "" {
		t.Errorf("Auth (-want +got):\n%s", diff)
	}
}

// TestTokenAddedAfterPresigning covers a session token appended to a
// presigned URL after signing, which verifies (the caller still checks
// the token), and one altered after signing, which does not.
func TestTokenAddedAfterPresigning(t *testing.T) {
	v := testVerifier(t)
	req := &Request{Method: "GET", Path: "/", RawQuery: "Action=GetCallerIdentity&Version=2011-06-15", Host: "sts.amazonaws.com", Header: http.Header{}}
	s := &Signer{Credentials: testCreds}
	if err := s.Presign(req, SignOptions{Region: "us-east-1", Service: "sts", Time: testTime, Expires: time.Hour, TokenAfterSigning: true}); err != nil {
		t.Fatal(err)
	}
	a, err := Parse(req)
	if err != nil {
		t.Fatal(err)
	}
	if a.SecurityToken != testCreds.SessionToken {
		t.Errorf("got token %q, want %q", a.SecurityToken, testCreds.SessionToken)
	}
	if err := v.Verify(req, a, testCreds.SecretAccessKey, testTime); err != nil {
		t.Errorf("got %v, want nil", err)
	}
}

func TestNewVerifierNeedsScope(t *testing.T) {
	if _, err := NewVerifier(Config{Services: []string{"sts"}}); err == nil {
		t.Error("got nil error for a Config without regions")
	}
}

func TestSigV4aRegionSet(t *testing.T) {
	tests := []struct {
		set     string
		regions []string
		want    bool
	}{
		{"us-east-1", []string{"us-east-1"}, true},
		{"*", []string{"eu-west-1"}, true},
		{"us-*", []string{"us-west-2"}, true},
		{"us-*", []string{"eu-west-1"}, false},
		{"eu-west-1,us-east-1", []string{"us-east-1"}, true},
		{"us-east-2", []string{"us-east-1"}, false},
	}
	for _, tt := range tests {
		v, err := NewVerifier(Config{Regions: tt.regions, Services: []string{"sts"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := v.regionSetMatches(tt.set); got != tt.want {
			t.Errorf("regionSetMatches(%q) with %v: got %v, want %v", tt.set, tt.regions, got, tt.want)
		}
	}
	// A SigV4a request verifies end to end, and not with another secret.
	v, _ := NewVerifier(Config{Regions: []string{"us-east-1"}, Services: []string{"sts"}})
	req := &Request{Method: "POST", Path: "/", Host: "sts.amazonaws.com", Body: stsBody, Header: http.Header{}}
	s := &Signer{Credentials: testCreds}
	if err := s.Sign(req, SignOptions{Algorithm: AlgorithmECDSA, Region: "us-*", Service: "sts", Time: testTime}); err != nil {
		t.Fatal(err)
	}
	if err := parseVerify(v, req, testCreds.SecretAccessKey, testTime); err != nil {
		t.Errorf("got %v, want nil", err)
	}
	if err := parseVerify(v, req, "other", testTime); !isKind(err, KindSignatureDoesNotMatch) {
		t.Errorf("other secret: got %v, want SignatureDoesNotMatch", err)
	}
	req.Header.Set("X-Amz-Region-Set", "eu-*")
	if err := parseVerify(v, req, testCreds.SecretAccessKey, testTime); !isKind(err, KindInvalidScope) {
		t.Errorf("region set eu-*: got %v, want InvalidScope", err)
	}
}

// TestVerifyScope checks the credential scope; like AWS, every wrong
// element is named in one message.
func TestVerifyScope(t *testing.T) {
	v, err := NewVerifier(Config{Regions: []string{"us-east-1", "us-east-2"}, Services: []string{"sts"}})
	if err != nil {
		t.Fatal(err)
	}
	const (
		sh  = ", SignedHeaders=host;x-amz-date"
		sig = ", Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	)
	tests := []struct {
		name, cred, message string
	}{
		{"second configured region", "AKID/20190101/us-east-2/sts/aws4_request", ""},
		{"region", "AKID/20190101/eu-west-1/sts/aws4_request", "Credential should be scoped to a valid region. "},
		{"service", "AKID/20190101/us-east-1/iam/aws4_request", "Credential should be scoped to correct service: 'sts'. "},
		{"terminator", "AKID/20190101/us-east-1/sts/aws5_request",
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "},
		{"date", "AKID/20190102/us-east-1/sts/aws4_request",
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20190102' != '20190101', from '20190101T003000Z'."},
		{"everything", "AKID/foobar/eu-west-1/iam/aws5_request",
			"Credential should be scoped to a valid region. Credential should be scoped to correct service: 'sts'. " +
				"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. " +
				"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'foobar' != '20190101', from '20190101T003000Z'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := authzRequest("AWS4-HMAC-SHA256 Credential=" + tt.cred + sh + sig)
			a, err := Parse(req)
			if err != nil {
				t.Fatal(err)
			}
			err = v.Verify(req, a, "secret", testTime)
			if tt.message == "" {
				// The scope is fine; the made-up signature is not.
				if !isKind(err, KindSignatureDoesNotMatch) {
					t.Errorf("got %v, want SignatureDoesNotMatch", err)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Kind != KindInvalidScope {
				t.Fatalf("got %v, want InvalidScope", err)
			}
			if diff := cmp.Diff(tt.message, e.Message); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMaxPresignAge checks the STS-like rule that ignores a long
// X-Amz-Expires.
func TestMaxPresignAge(t *testing.T) {
	v, err := NewVerifier(Config{Regions: []string{"us-east-1"}, Services: []string{"sts"}, MaxPresignAge: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	req := presignedRequest(t, testCreds, testTime, time.Hour)
	if err := parseVerify(v, req, testCreds.SecretAccessKey, testTime.Add(15*time.Minute)); err != nil {
		t.Errorf("at 15 min: got %v, want nil", err)
	}
	err = parseVerify(v, req, testCreds.SecretAccessKey, testTime.Add(16*time.Minute))
	want := "Signature expired: 20190101T003000Z is now earlier than 20190101T003100Z (20190101T004600Z - 15 min.)"
	if e, ok := err.(*Error); !ok || e.Kind != KindRequestExpired || e.Message != want {
		t.Errorf("at 16 min: got %v, want RequestExpired %q", err, want)
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: KindSignatureDoesNotMatch, Message: "m"}, "SignatureDoesNotMatch: m"},
		{&Error{Kind: KindBadDigest, Message: "m"}, "BadDigest: m"},
		{&Error{Kind: Kind(99), Message: "m"}, "Kind(99): m"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
