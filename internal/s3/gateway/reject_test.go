package gateway_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// chunkSigner writes aws-chunked bodies for a request signed with creds,
// chaining chunk signatures from the request's seed signature.
type chunkSigner struct {
	key            []byte
	amzDate, scope string
	prev           string
}

func newChunkSigner(req *http.Request, secret string) *chunkSigner {
	amzDate := req.Header.Get("X-Amz-Date")
	authz := req.Header.Get("Authorization")
	sig := authz[strings.Index(authz, "Signature=")+len("Signature="):]
	date := amzDate[:8]
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, "s3")
	k = hmacSHA256(k, "aws4_request")
	return &chunkSigner{key: k, amzDate: amzDate, scope: date + "/" + region + "/s3/aws4_request", prev: sig}
}

func (c *chunkSigner) sign(alg, line4 string, h []byte) string {
	sts := alg + "\n" + c.amzDate + "\n" + c.scope + "\n" + c.prev + "\n"
	if line4 != "" {
		sts += line4 + "\n"
	}
	sts += hex.EncodeToString(h)
	c.prev = hex.EncodeToString(hmacSHA256(c.key, sts))
	return c.prev
}

const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// signedChunks encodes data in chunks of n bytes; tamper changes the
// signature of chunk number tamper (-1 for none).
func (c *chunkSigner) signedChunks(data []byte, n, tamper int) []byte {
	var w bytes.Buffer
	for i := 0; ; i++ {
		part := data[:min(n, len(data))]
		data = data[len(part):]
		h := sha256.Sum256(part)
		sig := c.sign("AWS4-HMAC-SHA256-PAYLOAD", emptyHash, h[:])
		if i == tamper {
			sig = strings.Repeat("0", 64)
		}
		w.WriteString(strconv.FormatInt(int64(len(part)), 16) + ";chunk-signature=" + sig + "\r\n")
		w.Write(part)
		w.WriteString("\r\n")
		if len(part) == 0 {
			return w.Bytes()
		}
	}
}

// unsignedTrailer encodes data in chunks of n bytes with a CRC32 trailer.
func unsignedTrailer(data []byte, n int, crc string) []byte {
	var w bytes.Buffer
	for len(data) > 0 {
		part := data[:min(n, len(data))]
		data = data[len(part):]
		w.WriteString(strconv.FormatInt(int64(len(part)), 16) + "\r\n")
		w.Write(part)
		w.WriteString("\r\n")
	}
	w.WriteString("0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n")
	return w.Bytes()
}

func crc32Base64(b []byte) string {
	var s [4]byte
	v := crc32.ChecksumIEEE(b)
	s[0], s[1], s[2], s[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return base64.StdEncoding.EncodeToString(s[:])
}

// streamed sends a PUT of an aws-chunked body built by encode, signed
// with mode; decoded is the declared decoded length.
func (e *env) streamed(t *testing.T, path, mode string, decoded int, trailer bool, encode func(*chunkSigner) []byte) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("PUT", e.srv.URL+path, nil)
	must(t, err)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(decoded))
	if trailer {
		req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	}
	// Sign with a placeholder length, then set the real one: the body
	// depends on the seed signature, and a signed Content-Length is not
	// required.
	creds := e.keys["alice"]
	s := &sigv4.Signer{Credentials: creds}
	must(t, s.SignHTTP(req, nil, sigv4.SignOptions{Region: region, Service: "s3", Time: time.Now(), S3PathRules: true,
		PayloadHash: mode, ContentSHA256Header: true}))
	body := encode(newChunkSigner(req, creds.SecretAccessKey))
	req.Body = nopCloser{bytes.NewReader(body)}
	req.ContentLength = int64(len(body))
	return e.send(t, req)
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// TestRejectedUploadsAreNotStored sends uploads that fail their checks
// only after most of the body reached the backend: the answer is S3's
// error, and the backend stores nothing.
func TestRejectedUploadsAreNotStored(t *testing.T) {
	e, n1, _ := newNullEnv(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 3*64<<10/16)
	const chunk = 64 << 10
	const signed = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	const unsigned = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	tests := []struct {
		name, mode string
		trailer    bool
		decoded    int
		encode     func(*chunkSigner) []byte
		wantStatus int
		wantCode   string
	}{
		{"tampered last chunk signature", signed, false, len(data),
			func(c *chunkSigner) []byte { return c.signedChunks(data, chunk, 2) }, 403, "SignatureDoesNotMatch"},
		{"tampered final empty chunk", signed, false, len(data),
			func(c *chunkSigner) []byte { return c.signedChunks(data, chunk, 3) }, 403, "SignatureDoesNotMatch"},
		{"chunk of wrong length", signed, false, len(data), func(c *chunkSigner) []byte {
			b := c.signedChunks(data, chunk, -1)
			i := bytes.LastIndex(b, []byte("10000;"))
			return append(append(b[:i:i], "10001;"...), b[i+6:]...)
		}, 403, "SignatureDoesNotMatch"},
		{"truncated stream", signed, false, len(data), func(c *chunkSigner) []byte {
			b := c.signedChunks(data, chunk, -1)
			return b[:bytes.LastIndex(b, []byte("0;chunk-signature="))]
		}, 400, "IncompleteBody"},
		{"decoded length too long", signed, false, len(data) + 1,
			func(c *chunkSigner) []byte { return c.signedChunks(data, chunk, -1) }, 400, "IncompleteBody"},
		{"decoded length too short", signed, false, len(data) - 1,
			func(c *chunkSigner) []byte { return c.signedChunks(data, chunk, -1) }, 400, "IncompleteBody"},
		{"trailer checksum mismatch", unsigned, true, len(data),
			func(*chunkSigner) []byte { return unsignedTrailer(data, chunk, crc32Base64([]byte("other"))) }, 400, "BadDigest"},
		{"trailer missing", unsigned, true, len(data), func(*chunkSigner) []byte {
			b := unsignedTrailer(data, chunk, crc32Base64(data))
			return append(b[:bytes.LastIndex(b, []byte("x-amz-checksum"))], "\r\n"...)
		}, 400, "IncompleteBody"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "reject-" + strconv.Itoa(i)
			resp, body := e.streamed(t, "/alpha/"+key, tt.mode, tt.decoded, tt.trailer, tt.encode)
			if resp.StatusCode != tt.wantStatus || errorCode(body) != tt.wantCode {
				t.Errorf("answer = %d %s, want %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantCode)
			}
			if _, ok := n1.object("alpha/" + key); ok {
				t.Errorf("the backend stored the object")
			}
			if rec := e.audit.last(); rec.ErrorCode != tt.wantCode {
				t.Errorf("audited code = %q, want %q", rec.ErrorCode, tt.wantCode)
			}
		})
	}
	// The same uploads, correct, are stored.
	resp, body := e.streamed(t, "/alpha/good-signed", signed, len(data), false, func(c *chunkSigner) []byte { return c.signedChunks(data, chunk, -1) })
	if got, _ := n1.object("alpha/good-signed"); resp.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Errorf("good signed upload = %d %s, stored %d bytes", resp.StatusCode, body, len(got))
	}
	resp, body = e.streamed(t, "/alpha/good-trailer", unsigned, len(data), true, func(*chunkSigner) []byte { return unsignedTrailer(data, chunk, crc32Base64(data)) })
	if got, _ := n1.object("alpha/good-trailer"); resp.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Errorf("good trailer upload = %d %s, stored %d bytes", resp.StatusCode, body, len(got))
	}
}

func TestDeclaredHashMismatchIsNotStored(t *testing.T) {
	e, n1, _ := newNullEnv(t)
	data := bytes.Repeat([]byte("x"), 200<<10)
	h := http.Header{"X-Amz-Content-Sha256": {strings.Repeat("a", 64)}}
	resp, body := e.do(t, "PUT", "/alpha/hash", h, data, e.keys["alice"], sigv4.SignOptions{PayloadHash: strings.Repeat("a", 64)})
	if resp.StatusCode != 400 || errorCode(body) != "XAmzContentSHA256Mismatch" {
		t.Errorf("answer = %d %s", resp.StatusCode, body)
	}
	if _, ok := n1.object("alpha/hash"); ok {
		t.Errorf("the backend stored the object")
	}
}

// TestRejectedRequests covers refusals before anything is forwarded.
func TestRejectedRequests(t *testing.T) {
	e, n1, n2 := newNullEnv(t)
	alice := e.keys["alice"]
	now := time.Now()
	expired := e.session(t, now.Add(-2*time.Hour), time.Hour)
	revoked := e.session(t, now.Add(-time.Minute), time.Hour)
	e.revoked.revoke(revoked.AccessKeyID)
	wrongSecret := alice
	wrongSecret.SecretAccessKey = "not-the-secret"
	unknown := sigv4.Credentials{AccessKeyID: "AKIAUNKNOWNEXAMPLE01", SecretAccessKey: "x"}
	presignedOld := e.presign(t, "GET", "/alpha/k", alice, now.Add(-2*time.Hour), time.Hour)
	presignedWeek := strings.Replace(e.presign(t, "GET", "/alpha/k", alice, now, time.Hour), "X-Amz-Expires=3600", "X-Amz-Expires=604801", 1)
	presignedChanged := strings.Replace(e.presign(t, "GET", "/alpha/k?versionId=v1", alice, now, time.Hour), "versionId=v1", "versionId=v2", 1)
	tests := []struct {
		name       string
		req        func() (*http.Response, string)
		wantStatus int
		wantCode   string
	}{
		{"sigv2 header", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/k", http.Header{"Authorization": {"AWS " + alice.AccessKeyID + ":c2lnbmF0dXJl"}, "Date": {now.Format(http.TimeFormat)}}, nil, sigv4.Credentials{}, sigv4.SignOptions{})
		}, 400, "InvalidRequest"},
		{"sigv2 query", func() (*http.Response, string) {
			return e.send(t, mustRequest(t, "GET", e.srv.URL+"/alpha/k?AWSAccessKeyId="+alice.AccessKeyID+"&Expires=1&Signature=abc", nil))
		}, 400, "InvalidRequest"},
		{"sigv2 query with encoded names", func() (*http.Response, string) {
			return e.send(t, mustRequest(t, "GET", e.srv.URL+"/alpha/k?%41WSAccessKeyId="+alice.AccessKeyID+"&Expires=1&%53ignature=abc", nil))
		}, 400, "InvalidRequest"},
		{"dot-dot segment", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/public/../secret", nil, nil, alice, sigv4.SignOptions{})
		}, 400, "InvalidURI"},
		{"encoded dot-dot", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/public/%2E%2E/secret", nil, nil, alice, sigv4.SignOptions{})
		}, 400, "InvalidURI"},
		{"dot-dot segment in the copy source", func() (*http.Response, string) {
			return e.do(t, "PUT", "/alpha/dst", http.Header{"X-Amz-Copy-Source": {"alpha/public/../secret"}}, nil, alice, sigv4.SignOptions{})
		}, 400, "InvalidURI"},
		{"encoded dot-dot in the copy source", func() (*http.Response, string) {
			return e.do(t, "PUT", "/alpha/k?partNumber=1&uploadId=u", http.Header{"X-Amz-Copy-Source": {"alpha/public/%2E%2E/secret"}}, nil, alice, sigv4.SignOptions{})
		}, 400, "InvalidURI"},
		{"x-amz-acl given twice", func() (*http.Response, string) {
			return e.do(t, "PUT", "/alpha/k", http.Header{"X-Amz-Acl": {"public-read", "private"}}, []byte("x"), alice, sigv4.SignOptions{})
		}, 400, "InvalidArgument"},
		{"tag key given twice", func() (*http.Response, string) {
			tagging := []byte(`<Tagging><TagSet><Tag><Key>class</Key><Value>secret</Value></Tag><Tag><Key>class</Key><Value>public</Value></Tag></TagSet></Tagging>`)
			return e.do(t, "PUT", "/alpha/k?tagging", nil, tagging, alice, sigv4.SignOptions{})
		}, 400, "InvalidTag"},
		{"plus in the copy source", func() (*http.Response, string) {
			return e.do(t, "PUT", "/alpha/dst", http.Header{"X-Amz-Copy-Source": {"alpha/secret+file"}}, nil, alice, sigv4.SignOptions{})
		}, 400, "InvalidArgument"},
		{"escape left in the copy source once decoded", func() (*http.Response, string) {
			return e.do(t, "PUT", "/alpha/dst", http.Header{"X-Amz-Copy-Source": {"alpha/%2573ecret"}}, nil, alice, sigv4.SignOptions{})
		}, 400, "InvalidArgument"},
		{"copy source key of 1025 bytes", func() (*http.Response, string) {
			return e.do(t, "PUT", "/alpha/dst", http.Header{"X-Amz-Copy-Source": {"alpha/" + strings.Repeat("k", 1025)}}, nil, alice, sigv4.SignOptions{})
		}, 400, "KeyTooLongError"},
		{"encoded slash in bucket", func() (*http.Response, string) {
			return e.do(t, "GET", "/al%2Fpha/k", nil, nil, alice, sigv4.SignOptions{})
		}, 400, "InvalidBucketName"},
		{"key of 1025 bytes", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/"+strings.Repeat("k", 1025), nil, nil, alice, sigv4.SignOptions{})
		}, 400, "KeyTooLongError"},
		{"other region", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/k", nil, nil, alice, sigv4.SignOptions{Region: "eu-west-1"})
		}, 400, "AuthorizationHeaderMalformed"},
		{"other service", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/k", nil, nil, alice, sigv4.SignOptions{Service: "sts"})
		}, 400, "AuthorizationHeaderMalformed"},
		{"clock skew", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/k", nil, nil, alice, sigv4.SignOptions{Time: now.Add(-time.Hour)})
		}, 403, "RequestTimeTooSkewed"},
		{"wrong secret", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/k", nil, nil, wrongSecret, sigv4.SignOptions{})
		}, 403, "SignatureDoesNotMatch"},
		{"unknown key", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/k", nil, nil, unknown, sigv4.SignOptions{})
		}, 403, "InvalidAccessKeyId"},
		{"expired session", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/k", nil, nil, expired, sigv4.SignOptions{})
		}, 400, "ExpiredToken"},
		{"revoked session", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/k", nil, nil, revoked, sigv4.SignOptions{})
		}, 400, "InvalidToken"},
		{"presigned past expiry", func() (*http.Response, string) {
			return e.send(t, mustRequest(t, "GET", presignedOld, nil))
		}, 403, "AccessDenied"},
		{"presigned for more than 7 days", func() (*http.Response, string) {
			return e.send(t, mustRequest(t, "GET", presignedWeek, nil))
		}, 400, "AuthorizationQueryParametersError"},
		{"presigned with a changed query", func() (*http.Response, string) {
			return e.send(t, mustRequest(t, "GET", presignedChanged, nil))
		}, 403, "SignatureDoesNotMatch"},
		{"anonymous without a bucket policy", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/k", nil, nil, sigv4.Credentials{}, sigv4.SignOptions{})
		}, 403, "AccessDenied"},
		{"bob without a policy", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/k", nil, nil, e.keys["bob"], sigv4.SignOptions{})
		}, 403, "AccessDenied"},
		{"unsigned x-amz header on a presigned URL", func() (*http.Response, string) {
			req := mustRequest(t, "PUT", e.presign(t, "PUT", "/alpha/k", alice, now, time.Hour), []byte("x"))
			req.Header.Set("X-Amz-Copy-Source", "alpha/other") // would make it a CopyObject
			return e.send(t, req)
		}, 403, "AccessDenied"},
		{"semicolon in the query", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/k?x=1;acl", nil, nil, alice, sigv4.SignOptions{})
		}, 400, "InvalidArgument"},
		{"bad escape in the query", func() (*http.Response, string) {
			return e.do(t, "GET", "/alpha/k?versionId=%zz", nil, nil, alice, sigv4.SignOptions{})
		}, 400, "InvalidArgument"},
		{"parameter given twice", func() (*http.Response, string) {
			return e.do(t, "DELETE", "/alpha/k?versionId=a&versionId=b", nil, nil, alice, sigv4.SignOptions{})
		}, 400, "InvalidArgument"},
		{"unsupported sub-resource method", func() (*http.Response, string) {
			return e.do(t, "PATCH", "/alpha/k", nil, nil, alice, sigv4.SignOptions{})
		}, 501, "NotImplemented"},
	}
	before := n1.count() + n2.count()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := tt.req()
			if resp.StatusCode != tt.wantStatus || errorCode(body) != tt.wantCode {
				t.Errorf("answer = %d %s, want %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantCode)
			}
			if !strings.Contains(body, "<RequestId>") || resp.Header.Get("X-Amz-Request-Id") == "" {
				t.Errorf("no request id: %s", body)
			}
			if rec := e.audit.last(); rec.ErrorCode != tt.wantCode || rec.Category != "Data" {
				t.Errorf("audited %q (%q), want %q", rec.ErrorCode, rec.Category, tt.wantCode)
			}
		})
	}
	if after := n1.count() + n2.count(); after != before {
		t.Errorf("the backends saw %d requests, want none", after-before)
	}
}
