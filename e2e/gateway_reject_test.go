package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// s3Req is one hand-made request to the gateway, signed (or not) with
// creds in the header, then optionally altered.
type s3Req struct {
	method, path, query string
	header              http.Header
	body                []byte
	creds               sigv4.Credentials // zero: unsigned
	region, service     string            // "": us-east-1, s3
	payload             string            // x-amz-content-sha256; "": the body's hash
	at                  time.Time         // zero: now
	after               func(r *http.Request)
}

// s3Resp is what came back.
type s3Resp struct {
	s3Error
	Body   []byte
	Header http.Header
}

// sign signs r as S3 clients do (S3's path rules, x-amz-content-sha256)
// and returns the headers to send.
func (r *s3Req) sign(t *testing.T, host string) http.Header {
	t.Helper()
	h := http.Header{}
	for k, v := range r.header {
		h[k] = append([]string(nil), v...)
	}
	if r.creds.AccessKeyID == "" {
		return h
	}
	req := sigv4.Request{Method: r.method, Path: r.path, RawQuery: r.query, Host: host, Header: h, Body: r.body}
	opts := sigv4.SignOptions{Region: r.region, Service: r.service, Time: r.at, S3PathRules: true, PayloadHash: r.payload, ContentSHA256Header: true}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Service == "" {
		opts.Service = "s3"
	}
	if opts.Time.IsZero() {
		opts.Time = time.Now()
	}
	if err := (&sigv4.Signer{Credentials: r.creds}).Sign(&req, opts); err != nil {
		t.Fatal(err)
	}
	return req.Header
}

// s3Send sends a hand-made request on its own connection; a transport
// error is returned, not fatal (a server may close on hostile input).
func (b *brevet) s3Send(t *testing.T, r s3Req) (s3Resp, error) {
	t.Helper()
	u, err := url.Parse(b.S3URL)
	if err != nil {
		t.Fatal(err)
	}
	target := b.S3URL + r.path
	if r.query != "" {
		target += "?" + r.query
	}
	req, err := http.NewRequest(r.method, target, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header = r.sign(t, u.Host)
	if r.after != nil {
		r.after(req)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		return s3Resp{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	out := s3Resp{s3Error: parseS3Error(resp.StatusCode, data), Body: data, Header: resp.Header}
	return out, nil
}

// mustSend is s3Send failing the test on a transport error.
func (b *brevet) mustSend(t *testing.T, r s3Req) s3Resp {
	t.Helper()
	resp, err := b.s3Send(t, r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	return resp
}

// oneOf reports whether the response is one of the wanted status/code
// pairs, with a request id.
func (r s3Resp) oneOf(want ...s3Error) bool {
	for _, w := range want {
		if r.Status == w.Status && r.Code == w.Code && r.RequestID != "" {
			return true
		}
	}
	return false
}

func (r s3Resp) String() string {
	return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(r.Body))
}

// Requests an S3 gateway must refuse, each with S3's error and never a
// 5xx, and the server keeps serving.
func TestGatewayMustReject(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := sharedGateway(t)
	bucket := createBucket(t, b, "reject")
	id, secret := b.adminKey(t)
	admin := sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	if _, err := b.s3Via(b.goAdmin(t)).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"), Body: strings.NewReader("object")}); err != nil {
		t.Fatal(err)
	}
	objPath := "/" + bucket + "/obj"
	// The hand-made signing is right: the same request, untouched, works.
	if got := b.mustSend(t, s3Req{method: "GET", path: objPath, creds: admin}); got.Status != 200 || string(got.Body) != "object" {
		t.Fatalf("signed GET by hand: %s; want 200 and the object", got)
	}
	sigDoesNotMatch := s3Error{Status: 403, Code: "SignatureDoesNotMatch"}
	headerMalformed := s3Error{Status: 400, Code: "AuthorizationHeaderMalformed"}

	for _, tc := range []struct {
		name string
		req  s3Req
		want []s3Error
		msg  string // in the message, when set
	}{
		{"SigV2 header", s3Req{method: "GET", path: objPath, header: http.Header{
			"Authorization": {"AWS " + id + ":bm90IGEgcmVhbCBzaWduYXR1cmU="}, "Date": {time.Now().UTC().Format(http.TimeFormat)}}},
			[]s3Error{{Status: 400, Code: "InvalidRequest"}, {Status: 400, Code: "InvalidArgument"}, {Status: 403, Code: "AccessDenied"}}, "AWS4-HMAC-SHA256"},
		{"SigV2 presigned", s3Req{method: "GET", path: objPath,
			query: "AWSAccessKeyId=" + id + "&Expires=" + strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) + "&Signature=bm90IGEgcmVhbCBzaWduYXR1cmU%3D"},
			[]s3Error{{Status: 400, Code: "InvalidRequest"}, {Status: 400, Code: "InvalidArgument"}, {Status: 403, Code: "AccessDenied"}}, "AWS4-HMAC-SHA256"},
		{"signed for another region", s3Req{method: "GET", path: objPath, creds: admin, region: "eu-west-1"},
			[]s3Error{headerMalformed, sigDoesNotMatch}, ""},
		{"signed for another service", s3Req{method: "GET", path: objPath, creds: admin, service: "sts"},
			[]s3Error{headerMalformed, sigDoesNotMatch}, ""},
		{"tampered signature", s3Req{method: "GET", path: objPath, creds: admin, after: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1]+map[bool]string{true: "1", false: "0"}[a[len(a)-1] == '0'])
		}}, []s3Error{sigDoesNotMatch}, ""},
		{"unknown access key", s3Req{method: "GET", path: objPath, creds: sigv4.Credentials{AccessKeyID: "AKIAE2EUNKNOWN000000", SecretAccessKey: "x"}},
			[]s3Error{{Status: 403, Code: "InvalidAccessKeyId"}}, ""},
		{"request time 20 minutes off", s3Req{method: "GET", path: objPath, creds: admin, at: time.Now().Add(-20 * time.Minute)},
			[]s3Error{{Status: 403, Code: "RequestTimeTooSkewed"}}, ""},
		{"payload hash not the body's", s3Req{method: "PUT", path: "/" + bucket + "/badhash", creds: admin, body: []byte("body"),
			payload: strings.Repeat("0", 64)}, []s3Error{{Status: 400, Code: "XAmzContentSHA256Mismatch"}}, ""},
		{"path with ..", s3Req{method: "GET", path: "/" + bucket + "/a/../obj", creds: admin},
			[]s3Error{{Status: 400, Code: "InvalidURI"}}, ""},
		{"path with encoded ..", s3Req{method: "GET", path: "/" + bucket + "/a/%2E%2E/obj", creds: admin},
			[]s3Error{{Status: 400, Code: "InvalidURI"}}, ""},
		{"encoded slash in the bucket", s3Req{method: "GET", path: "/" + bucket + "%2Fother/obj", creds: admin},
			[]s3Error{{Status: 400, Code: "InvalidBucketName"}}, ""},
		{"key of 1,025 bytes", s3Req{method: "PUT", path: "/" + bucket + "/" + strings.Repeat("k", 1025), creds: admin, body: []byte("x")},
			[]s3Error{{Status: 400, Code: "KeyTooLongError"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := b.mustSend(t, tc.req)
			if !got.oneOf(tc.want...) || !strings.Contains(got.Message, tc.msg) {
				t.Errorf("got %s\nwant one of %+v with a request id and %q in the message", got, tc.want, tc.msg)
			}
			t.Logf("%d %s: %s", got.Status, got.Code, got.Message)
		})
	}
	if ok, _, _ := inBackend(t, bucket, "badhash"); ok {
		t.Error("the PUT whose payload hash did not match reached the store")
	}
	t.Run("presigned for more than 7 days", func(t *testing.T) {
		// aws-sdk-go-v2's signer signs whatever X-Amz-Expires it is given.
		req, err := http.NewRequest("GET", b.S3URL+objPath+"?X-Amz-Expires=604801", nil)
		if err != nil {
			t.Fatal(err)
		}
		signed, _, err := v4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
			req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(signed)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if e := parseS3Error(resp.StatusCode, body); e.Status != 400 || e.Code != "AuthorizationQueryParametersError" {
			t.Errorf("got %d %s; want 400 AuthorizationQueryParametersError", resp.StatusCode, body)
		}
	})
	t.Run("key of 1,024 bytes", func(t *testing.T) {
		key := strings.Repeat("k", 1024)
		if got := b.mustSend(t, s3Req{method: "PUT", path: "/" + bucket + "/" + key, creds: admin, body: []byte("x")}); got.Status != 200 {
			t.Errorf("PUT of a 1,024-byte key: %s; want 200", got)
		}
	})

	t.Run("10,000 headers", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			header  func(h http.Header)
			refused bool // must be refused; else anything but a 5xx
		}{
			// Over the 64 KiB of headers the server reads.
			{"distinct", func(h http.Header) {
				for i := range 10000 {
					h.Set("X-E2e-"+strconv.Itoa(i), "v")
				}
			}, true},
			// Under 64 KiB: one short header 10,000 times, signed.
			{"repeated", func(h http.Header) { h["A"] = slicesRepeat("1", 10000) }, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := http.Header{}
				tc.header(h)
				got, err := b.s3Send(t, s3Req{method: "GET", path: objPath, creds: admin, header: h})
				switch {
				case err != nil:
					t.Logf("transport error (the server closed the connection): %v", err)
				case got.Status >= 500:
					t.Errorf("got %s; want 431 or 400, never a 5xx", got)
				case tc.refused && got.Status != 431 && got.Status != 400:
					t.Errorf("got %s; want 431 or 400", got)
				default:
					t.Logf("%d %s", got.Status, got.Code)
				}
				if after := b.mustSend(t, s3Req{method: "GET", path: objPath, creds: admin}); after.Status != 200 {
					t.Errorf("the next request: %s; the server must keep serving", after)
				}
			})
		}
	})

	t.Run("revoked session", func(t *testing.T) {
		roleARN := gatewayRole(t, b, "reject_"+bucket, bucket) // one per run: -count reuses the node
		ar, err := sts.NewFromConfig(b.goAdmin(t)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN),
			RoleSessionName: aws.String("to-revoke"), DurationSeconds: aws.Int32(900)})
		if err != nil {
			t.Fatal(err)
		}
		sess := sigv4.Credentials{AccessKeyID: aws.ToString(ar.Credentials.AccessKeyId),
			SecretAccessKey: aws.ToString(ar.Credentials.SecretAccessKey), SessionToken: aws.ToString(ar.Credentials.SessionToken)}
		if got := b.mustSend(t, s3Req{method: "GET", path: objPath, creds: sess}); got.Status != 200 {
			t.Fatalf("GET with the session: %s; want 200", got)
		}
		sessionsCLI(t, b, b, "revoke", "--access-key-id", sess.AccessKeyID)
		var got s3Resp
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if got = b.mustSend(t, s3Req{method: "GET", path: objPath, creds: sess}); got.Status != 200 {
				break
			}
		}
		if !got.oneOf(s3Error{Status: 403, Code: "InvalidAccessKeyId"}, s3Error{Status: 403, Code: "AccessDenied"},
			s3Error{Status: 400, Code: "ExpiredToken"}, s3Error{Status: 400, Code: "InvalidToken"}) {
			t.Errorf("GET with the revoked session: %s; want InvalidAccessKeyId, AccessDenied, ExpiredToken or InvalidToken", got)
		}
		t.Logf("revoked session: %d %s: %s", got.Status, got.Code, got.Message)
		// A token altered in transit is no session at all.
		bad := sess
		bad.SessionToken = sess.SessionToken[:len(sess.SessionToken)-8] + "AAAAAAAA"
		if got := b.mustSend(t, s3Req{method: "GET", path: objPath, creds: bad}); got.Status < 400 || got.Status >= 500 || got.Code == "" {
			t.Errorf("GET with an altered session token: %s; want S3's 4xx error", got)
		}
	})

	t.Run("aws-chunked", func(t *testing.T) {
		const signed, unsigned, chunk = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", 64 << 10
		data := randomBytes(t, 150<<10) // chunks of 64, 64 and 22 KiB, and the final empty one
		for _, tc := range []struct {
			name, mode string
			trailer    bool
			decoded    int
			encode     func(*chunkSigner) []byte
			want       s3Error // Status 200: stored
		}{
			{"signed chunks", signed, false, len(data), func(c *chunkSigner) []byte { return c.signedChunks(data, chunk, -1) }, s3Error{Status: 200}},
			{"unsigned chunks with a CRC32 trailer", unsigned, true, len(data),
				func(*chunkSigner) []byte { return unsignedTrailer(data, chunk, crc32Base64(data)) }, s3Error{Status: 200}},
			{"first chunk's signature tampered", signed, false, len(data), func(c *chunkSigner) []byte { return c.signedChunks(data, chunk, 0) }, sigDoesNotMatch},
			{"middle chunk's signature tampered", signed, false, len(data), func(c *chunkSigner) []byte { return c.signedChunks(data, chunk, 1) }, sigDoesNotMatch},
			{"final chunk's signature tampered", signed, false, len(data), func(c *chunkSigner) []byte { return c.signedChunks(data, chunk, 3) }, sigDoesNotMatch},
			{"chunk of wrong length", signed, false, len(data), func(c *chunkSigner) []byte {
				body := c.signedChunks(data, chunk, -1)
				i := bytes.Index(body, []byte("10000;"))
				return append(append(body[:i:i], "10001;"...), body[i+6:]...)
			}, sigDoesNotMatch},
			{"truncated stream", signed, false, len(data), func(c *chunkSigner) []byte {
				body := c.signedChunks(data, chunk, -1)
				return body[:bytes.LastIndex(body, []byte("0;chunk-signature="))]
			}, s3Error{Status: 400, Code: "IncompleteBody"}},
			{"decoded length too long", signed, false, len(data) + 1, func(c *chunkSigner) []byte { return c.signedChunks(data, chunk, -1) },
				s3Error{Status: 400, Code: "IncompleteBody"}},
			{"trailer checksum mismatch", unsigned, true, len(data),
				func(*chunkSigner) []byte { return unsignedTrailer(data, chunk, crc32Base64([]byte("other"))) }, s3Error{Status: 400, Code: "BadDigest"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				key := "chunked/" + strings.ReplaceAll(tc.name, " ", "-")
				got := streamedPut(t, b, admin, "/"+bucket+"/"+key, tc.mode, tc.decoded, tc.trailer, tc.encode)
				stored, _, _ := inBackend(t, bucket, key)
				if tc.want.Status == 200 {
					if got.Status != 200 || !stored || !bytes.Equal(backendObject(t, bucket, key), data) {
						t.Errorf("got %s, stored %v; want 200 and the %d bytes stored", got, stored, len(data))
					}
					return
				}
				if !got.oneOf(tc.want) {
					t.Errorf("got %s; want %d %s with a request id", got, tc.want.Status, tc.want.Code)
				}
				if stored {
					t.Errorf("the refused upload reached the store")
				}
			})
		}
	})

	// After all that, the server still serves.
	if got := b.mustSend(t, s3Req{method: "GET", path: objPath, creds: admin}); got.Status != 200 {
		t.Errorf("GET after the hostile requests: %s", got)
	}
}

func slicesRepeat(s string, n int) []string {
	l := make([]string, n)
	for i := range l {
		l[i] = s
	}
	return l
}

// gatewayRole creates a role the account may assume that can read and
// write bucket.
func gatewayRole(t *testing.T, b *brevet, name, bucket string) string {
	t.Helper()
	ctx := context.Background()
	ic := iam.NewFromConfig(b.goAdmin(t))
	out, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name),
		AssumeRolePolicyDocument: aws.String(trustPolicy(`{"AWS":"arn:aws:iam::`+b.Account+`:root"}`, ""))})
	if err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"]}]}`
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("bucket"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Role.Arn)
}

// chunkSigner signs aws-chunked chunks as S3 specifies, each chained to
// the previous signature (the seed: the request's).
type chunkSigner struct {
	key            []byte
	amzDate, scope string
	prev           string
}

func (c *chunkSigner) sign(chunk []byte) string {
	empty, h := sha256.Sum256(nil), sha256.Sum256(chunk)
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.amzDate + "\n" + c.scope + "\n" + c.prev + "\n" +
		hex.EncodeToString(empty[:]) + "\n" + hex.EncodeToString(h[:])
	c.prev = hex.EncodeToString(hmacSHA256(c.key, sts))
	return c.prev
}

// signedChunks encodes data in signed chunks of size bytes and the final
// empty chunk; the signature of chunk number tamper (-1: none) has its
// first hex digit changed.
func (c *chunkSigner) signedChunks(data []byte, size, tamper int) []byte {
	var body bytes.Buffer
	for i := 0; ; i++ {
		n := min(size, len(data))
		sig := c.sign(data[:n])
		if i == tamper {
			sig = map[bool]string{true: "1", false: "0"}[sig[0] == '0'] + sig[1:]
		}
		fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", n, sig)
		body.Write(data[:n])
		body.WriteString("\r\n")
		if n == 0 {
			return body.Bytes()
		}
		data = data[n:]
	}
}

// unsignedTrailer encodes data in unsigned chunks followed by an
// x-amz-checksum-crc32 trailer with the value given.
func unsignedTrailer(data []byte, size int, crc string) []byte {
	var body bytes.Buffer
	for len(data) > 0 {
		n := min(size, len(data))
		fmt.Fprintf(&body, "%x\r\n", n)
		body.Write(data[:n])
		body.WriteString("\r\n")
		data = data[n:]
	}
	body.WriteString("0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n")
	return body.Bytes()
}

func crc32Base64(data []byte) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], crc32.ChecksumIEEE(data))
	return base64.StdEncoding.EncodeToString(b[:])
}

// streamedPut sends an aws-chunked upload in mode (a STREAMING-* payload
// hash) declaring decoded bytes, with an x-amz-checksum-crc32 trailer if
// trailer, and the body encode makes with the request's chunk signer.
func streamedPut(t *testing.T, b *brevet, creds sigv4.Credentials, path, mode string, decoded int, trailer bool, encode func(*chunkSigner) []byte) s3Resp {
	t.Helper()
	now := time.Now().UTC()
	h := http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {strconv.Itoa(decoded)}}
	if trailer {
		h.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	}
	r := s3Req{method: "PUT", path: path, creds: creds, payload: mode, at: now, header: h}
	u, _ := url.Parse(b.S3URL)
	signed := r.sign(t, u.Host) // Content-Length unsigned: it depends on the body, which depends on the seed signature
	auth := signed.Get("Authorization")
	date := now.Format("20060102")
	cs := &chunkSigner{amzDate: now.Format("20060102T150405Z"), scope: date + "/us-east-1/s3/aws4_request",
		prev: auth[strings.LastIndex(auth, "Signature=")+len("Signature="):], key: hmacSHA256([]byte("AWS4"+creds.SecretAccessKey), date)}
	for _, part := range []string{"us-east-1", "s3", "aws4_request"} {
		cs.key = hmacSHA256(cs.key, part)
	}
	r.body, r.header, r.creds = encode(cs), signed, sigv4.Credentials{}
	resp, err := b.s3Send(t, r)
	if err != nil {
		t.Fatalf("aws-chunked PUT %s: %v", path, err)
	}
	return resp
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
