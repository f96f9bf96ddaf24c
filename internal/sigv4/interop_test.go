package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestInteropAWSSDKGoV2 verifies what aws-sdk-go-v2's own signer
// produces: header auth for a GetCallerIdentity POST (with and without a
// session token) and a presigned GET, taken apart as a server sees them.
func TestInteropAWSSDKGoV2(t *testing.T) {
	v := testVerifier(t)
	signer := v4.NewSigner()
	ctx := context.Background()
	hash := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	for _, token := range []string{"", testCreds.SessionToken} {
		creds := aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: testCreds.SecretAccessKey, SessionToken: token}

		hr, _ := http.NewRequest("POST", "https://sts.amazonaws.com/", bytes.NewReader(stsBody))
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		hr.Header.Set("User-Agent", "aws-sdk-go-v2/1.47.7")
		if err := signer.SignHTTP(ctx, creds, hr, hash(stsBody), "sts", "us-east-1", testTime); err != nil {
			t.Fatal(err)
		}
		req := serverSide(hr, stsBody)
		if err := parseVerify(v, req, testCreds.SecretAccessKey, testTime); err != nil {
			t.Errorf("header auth (token %t): %v", token != "", err)
		}
		req.Body = []byte("Action=GetSessionToken&Version=2011-06-15")
		if err := parseVerify(v, req, testCreds.SecretAccessKey, testTime); !isKind(err, KindSignatureDoesNotMatch) {
			t.Errorf("header auth, other body: got %v, want SignatureDoesNotMatch", err)
		}

		hr, _ = http.NewRequest("GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=900", nil)
		u, _, err := signer.PresignHTTP(ctx, creds, hr, hash(nil), "sts", "us-east-1", testTime)
		if err != nil {
			t.Fatal(err)
		}
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		req = &Request{Method: "GET", Path: pu.EscapedPath(), RawQuery: pu.RawQuery, Host: pu.Host, Header: http.Header{}}
		if err := parseVerify(v, req, testCreds.SecretAccessKey, testTime.Add(14*time.Minute)); err != nil {
			t.Errorf("presigned (token %t): %v", token != "", err)
		}
		if err := parseVerify(v, req, testCreds.SecretAccessKey, testTime.Add(16*time.Minute)); !isKind(err, KindAccessDenied) {
			t.Errorf("presigned after expiry: got %v, want AccessDenied", err)
		}
	}
}

// serverSide is the Request a server would build from a client request.
func serverSide(hr *http.Request, body []byte) *Request {
	h := hr.Header.Clone()
	if hr.ContentLength > 0 {
		h.Set("Content-Length", itoa(int(hr.ContentLength)))
	}
	return &Request{Method: hr.Method, Path: hr.URL.EscapedPath(), RawQuery: hr.URL.RawQuery, Host: hr.URL.Host, Header: h, Body: body}
}

// botocoreScript signs three requests with the installed botocore and
// prints them as JSON: header auth of a GetCallerIdentity POST, the same
// presigned as botocore presigns it (POST, parameters in the query, empty
// body), and a GET whose path needs double encoding.
const botocoreScript = `import json, sys
import botocore.auth, botocore.awsrequest, botocore.credentials
ak, sk, tok = sys.argv[1], sys.argv[2], sys.argv[3]
creds = botocore.credentials.Credentials(ak, sk, tok or None)
out = []
def emit(name, req):
    p = req.prepare()
    body = p.body or b''
    if isinstance(body, str): body = body.encode()
    out.append({"name": name, "method": p.method, "url": p.url, "headers": [[k, v] for k, v in p.headers.items()], "body": body.decode(), "timestamp": req.context.get('timestamp')})
body = 'Action=GetCallerIdentity&Version=2011-06-15'
r = botocore.awsrequest.AWSRequest(method='POST', url='https://sts.amazonaws.com/', data=body, headers={'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
botocore.auth.SigV4Auth(creds, 'sts', 'us-east-1').add_auth(r)
emit('header', r)
r = botocore.awsrequest.AWSRequest(method='POST', url='https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15', data=b'')
botocore.auth.SigV4QueryAuth(creds, 'sts', 'us-east-1', expires=900).add_auth(r)
emit('presign-post', r)
r = botocore.awsrequest.AWSRequest(method='GET', url='https://sts.amazonaws.com/%7Efoo/a%2Fb/?Action=GetCallerIdentity&Version=2011-06-15&x=a%20b')
botocore.auth.SigV4Auth(creds, 'sts', 'us-east-1').add_auth(r)
emit('header-odd-path', r)
print(json.dumps(out))
`

// TestInteropBotocore verifies what botocore signs, when python3 and
// botocore are installed (skipped otherwise).
func TestInteropBotocore(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "-c", botocoreScript,
		testCreds.AccessKeyID, testCreds.SecretAccessKey, testCreds.SessionToken).Output()
	if err != nil {
		t.Skipf("botocore not usable: %v", err)
	}
	var reqs []struct {
		Name, Method, URL, Body, Timestamp string
		Headers                            [][2]string
	}
	if err := json.Unmarshal(out, &reqs); err != nil {
		t.Fatal(err)
	}
	v := testVerifier(t)
	for _, r := range reqs {
		t.Run(r.Name, func(t *testing.T) {
			u, err := url.Parse(r.URL)
			if err != nil {
				t.Fatal(err)
			}
			now, ok := parseAmzDate(r.Timestamp)
			if !ok {
				t.Fatalf("bad timestamp %q", r.Timestamp)
			}
			req := &Request{Method: r.Method, Path: u.EscapedPath(), RawQuery: u.RawQuery, Host: u.Host, Header: http.Header{}, Body: []byte(r.Body)}
			for _, h := range r.Headers {
				req.Header.Add(h[0], h[1])
			}
			if err := parseVerify(v, req, testCreds.SecretAccessKey, now); err != nil {
				t.Errorf("verify: %v", err)
			}
			if err := parseVerify(v, req, testCreds.SecretAccessKey+"x", now); !isKind(err, KindSignatureDoesNotMatch) {
				t.Errorf("wrong secret: got %v, want SignatureDoesNotMatch", err)
			}
		})
	}
}

// TestSignerMatchesAWSSDKGoV2 signs the same request with our Signer and
// with aws-sdk-go-v2's: the Authorization headers must be identical.
func TestSignerMatchesAWSSDKGoV2(t *testing.T) {
	for _, token := range []string{"", testCreds.SessionToken} {
		newReq := func() *http.Request {
			hr, _ := http.NewRequest("POST", "https://sts.amazonaws.com/?a=1&b=%2F", bytes.NewReader(stsBody))
			hr.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			hr.Header.Set("X-Amz-Meta-Test", "  two   spaces ")
			return hr
		}
		theirs := newReq()
		creds := aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: testCreds.SecretAccessKey, SessionToken: token}
		sum := sha256.Sum256(stsBody)
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, theirs, hex.EncodeToString(sum[:]), "sts", "us-east-1", testTime); err != nil {
			t.Fatal(err)
		}
		ours := newReq()
		s := &Signer{Credentials: Credentials{testCreds.AccessKeyID, testCreds.SecretAccessKey, token}}
		if err := s.SignHTTP(ours, stsBody, SignOptions{Region: "us-east-1", Service: "sts", Time: testTime}); err != nil {
			t.Fatal(err)
		}
		got, want := ours.Header.Get("Authorization"), theirs.Header.Get("Authorization")
		if got != want {
			t.Errorf("token %t:\n got %s\nwant %s", token != "", got, want)
		}
	}
}
