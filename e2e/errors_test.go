package e2e

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// wireError is an <ErrorResponse> as the client sees it.
type wireError struct {
	Status  int
	Code    string
	Message string
}

// rawRequest is one hand-made request: a form body signed (or not) with
// creds at a time, in a region and for a service, then optionally altered.
type rawRequest struct {
	body    string
	creds   sigv4.Credentials // zero: unsigned
	at      time.Time         // zero: now
	region  string            // "": us-east-1
	service string            // "": sts
	after   func(r *http.Request)
}

func (b *brevet) send(t *testing.T, rr rawRequest) wireError {
	t.Helper()
	u, err := url.Parse(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	req := sigv4.Request{Method: "POST", Path: "/", Host: u.Host, Body: []byte(rr.body),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
	if rr.creds.AccessKeyID != "" {
		opts := sigv4.SignOptions{Region: rr.region, Service: rr.service, Time: rr.at}
		if opts.Region == "" {
			opts.Region = "us-east-1"
		}
		if opts.Service == "" {
			opts.Service = "sts"
		}
		if opts.Time.IsZero() {
			opts.Time = time.Now()
		}
		if err := (&sigv4.Signer{Credentials: rr.creds}).Sign(&req, opts); err != nil {
			t.Fatal(err)
		}
	}
	hr, err := http.NewRequest("POST", b.URL+"/", bytes.NewReader(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	if rr.after != nil {
		rr.after(hr)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var env struct {
		Error struct{ Code, Message string }
	}
	if resp.StatusCode != 200 {
		if err := xml.Unmarshal(data, &env); err != nil {
			t.Fatalf("status %d, body is no <ErrorResponse>: %v\n%s", resp.StatusCode, err, data)
		}
	}
	return wireError{resp.StatusCode, env.Error.Code, env.Error.Message}
}

// Scenario 4: what clients get wrong gets AWS's error code and message,
// never a 500.
func TestErrors(t *testing.T) {
	t.Parallel()
	b := startBrevet(t)
	id, secret := b.adminKey(t)
	admin := sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	roleARN := sdkRole(t, b)
	session := b.send(t, rawRequest{body: "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900", creds: admin})
	if session.Status != 200 {
		t.Fatalf("GetSessionToken: %+v", session)
	}
	tmp := sessionCredentials(t, b, admin)
	tampered := []byte(tmp.SessionToken)
	tampered[len(tampered)/2] ^= 1
	const gci = "Action=GetCallerIdentity&Version=2011-06-15"
	assume := "Action=AssumeRole&Version=2011-06-15&RoleArn=" + url.QueryEscape(roleARN)
	// A session policy is not echoed back in errors (as AWS leaves
	// sensitive values out).
	long := strings.Repeat("x", 2100)
	const sigMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	const invalidToken = "The security token included in the request is invalid."

	for _, tc := range []struct {
		name string
		rr   rawRequest
		want wireError
		// prefix: Message need only start with want.Message.
		prefix bool
	}{
		{"unknown action", rawRequest{body: "Action=Frobnicate&Version=2011-06-15", creds: admin},
			wireError{400, "InvalidAction", "Could not find operation Frobnicate for version 2011-06-15"}, false},
		{"wrong version", rawRequest{body: "Action=GetCallerIdentity&Version=2010-01-01", creds: admin},
			wireError{400, "InvalidAction", "Could not find operation GetCallerIdentity for version 2010-01-01"}, false},
		{"unsigned", rawRequest{body: gci},
			wireError{403, "MissingAuthenticationToken", "Request is missing Authentication Token"}, false},
		{"wrong secret", rawRequest{body: gci, creds: sigv4.Credentials{AccessKeyID: id, SecretAccessKey: "wrong"}},
			wireError{403, "SignatureDoesNotMatch", sigMismatch}, false},
		{"body changed after signing", rawRequest{body: gci, creds: admin, after: func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("Action=GetSessionToken&Version=2011-06-15"))
			r.ContentLength = int64(len("Action=GetSessionToken&Version=2011-06-15"))
		}}, wireError{403, "SignatureDoesNotMatch", sigMismatch}, false},
		{"unknown access key", rawRequest{body: gci, creds: sigv4.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "x"}},
			wireError{403, "InvalidClientTokenId", invalidToken}, false},
		{"signed 20 minutes ago", rawRequest{body: gci, creds: admin, at: time.Now().Add(-20 * time.Minute)},
			wireError{403, "SignatureDoesNotMatch", "Signature expired: "}, true},
		{"signed 20 minutes ahead", rawRequest{body: gci, creds: admin, at: time.Now().Add(20 * time.Minute)},
			wireError{403, "SignatureDoesNotMatch", "Signature not yet current: "}, true},
		{"scoped to another region", rawRequest{body: gci, creds: admin, region: "eu-central-1"},
			wireError{403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region. "}, false},
		{"scoped to another service", rawRequest{body: gci, creds: admin, service: "iam"},
			wireError{403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'. "}, false},
		{"authorization without signature", rawRequest{body: gci, after: func(r *http.Request) {
			r.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+id+"/"+time.Now().UTC().Format("20060102")+"/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date")
		}}, wireError{400, "IncompleteSignature", "Authorization header requires 'Signature' parameter."}, true},
		{"temporary key without token", rawRequest{body: gci, creds: sigv4.Credentials{AccessKeyID: tmp.AccessKeyId, SecretAccessKey: tmp.SecretAccessKey}},
			wireError{403, "InvalidClientTokenId", invalidToken}, false},
		{"tampered session token", rawRequest{body: gci, creds: sigv4.Credentials{AccessKeyID: tmp.AccessKeyId, SecretAccessKey: tmp.SecretAccessKey, SessionToken: string(tampered)}},
			wireError{403, "InvalidClientTokenId", invalidToken}, false},
		{"IAM with GetSessionToken credentials made without MFA", rawRequest{body: "Action=ListUsers&Version=2010-05-08", service: "iam",
			creds: sigv4.Credentials{AccessKeyID: tmp.AccessKeyId, SecretAccessKey: tmp.SecretAccessKey, SessionToken: tmp.SessionToken}},
			wireError{403, "InvalidClientTokenId", invalidToken}, false},
		{"session duration too short", rawRequest{body: "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=100", creds: admin},
			wireError{400, "ValidationError", "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"}, false},
		{"session duration too long", rawRequest{body: "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=129601", creds: admin},
			wireError{400, "ValidationError", "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600"}, false},
		{"role duration over the role's maximum", rawRequest{body: assume + "&RoleSessionName=s1&DurationSeconds=7200", creds: admin},
			wireError{400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."}, false},
		{"malformed role ARN", rawRequest{body: "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=arn:aws:iam::not-a-role-arn", creds: admin},
			wireError{400, "ValidationError", ""}, true},
		{"short role ARN", rawRequest{body: "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=nope", creds: admin},
			wireError{400, "ValidationError", "1 validation error detected: Value 'nope' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"}, false},
		{"bad session name", rawRequest{body: assume + "&RoleSessionName=" + url.QueryEscape("bad name!"), creds: admin},
			wireError{400, "ValidationError", `1 validation error detected: Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`}, false},
		{"missing session name", rawRequest{body: assume, creds: admin},
			wireError{400, "ValidationError", "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"}, false},
		{"oversized session policy", rawRequest{body: assume + "&RoleSessionName=s1&Policy=" + long, creds: admin},
			wireError{400, "ValidationError", "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"}, false},
		{"malformed session policy", rawRequest{body: assume + "&RoleSessionName=s1&Policy=" + url.QueryEscape(`{"Statement":`), creds: admin},
			wireError{400, "MalformedPolicyDocument", ""}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := b.send(t, tc.rr)
			ok := got.Status == tc.want.Status && got.Code == tc.want.Code
			if tc.prefix {
				ok = ok && strings.HasPrefix(got.Message, tc.want.Message) && got.Message != ""
			} else {
				ok = ok && got.Message == tc.want.Message
			}
			if !ok {
				t.Errorf("got  %d %s %q\nwant %d %s %q (prefix %v)", got.Status, got.Code, got.Message, tc.want.Status, tc.want.Code, tc.want.Message, tc.prefix)
			}
		})
	}
}

// sessionCredentials gets temporary credentials from GetSessionToken.
func sessionCredentials(t *testing.T, b *brevet, creds sigv4.Credentials) stsCredentials {
	t.Helper()
	u, _ := url.Parse(b.URL)
	req := sigv4.Request{Method: "POST", Path: "/", Host: u.Host, Body: []byte("Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900"),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
	if err := (&sigv4.Signer{Credentials: creds}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: "sts", Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	hr, _ := http.NewRequest("POST", b.URL+"/", bytes.NewReader(req.Body))
	hr.Header = req.Header
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Result struct{ Credentials stsCredentials } `xml:"GetSessionTokenResult"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&out); err != nil || out.Result.Credentials.SessionToken == "" {
		t.Fatalf("GetSessionToken: %v %+v", err, out)
	}
	return out.Result.Credentials
}
