package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzParseAuthorization feeds Parse arbitrary Authorization headers,
// X-Amz-Date values and queries: it must never panic, must fail with an
// *Error, and what it accepts must be self-consistent.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "+
		"Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", "20150830T123600Z", "")
	f.Add("", "20150830T123600Z", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request"+
		"&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
	f.Fuzz(func(t *testing.T, authz, date, query string) {
		h := http.Header{}
		if authz != "" {
			h.Set("Authorization", authz)
		}
		if date != "" {
			h.Set("X-Amz-Date", date)
		}
		h.Set("X-Amz-X509", "MIIB") // what a SigV4-X509 header needs; unused by the others
		a, err := Parse(&Request{Method: "GET", Path: "/", RawQuery: query, Host: "h", Header: h})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Message == "" {
				t.Fatalf("got %#v, want *Error with a message", err)
			}
			return
		}
		if isX509(a.Algorithm) != (a.Serial != "") || isX509(a.Algorithm) == (a.AccessKeyID != "") ||
			a.Service == "" || len(a.AmzDate) != 16 || a.Date == "" {
			t.Fatalf("inconsistent Auth %+v", a)
		}
		if !listHas(a.SignedHeaders, ';', "host") {
			t.Fatalf("accepted SignedHeaders without host: %q", a.SignedHeaders)
		}
		if isX509(a.Algorithm) && (a.Presigned || a.Region == "" || a.X509 == "") {
			t.Fatalf("inconsistent SigV4-X509 Auth %+v", a)
		}
		if a.Presigned && a.Expires > MaxPresignExpiry {
			t.Fatalf("accepted X-Amz-Expires %v", a.Expires)
		}
	})
}

// FuzzCanonicalRequest builds canonical requests from arbitrary paths,
// queries and headers: no panic, and a normalized path has no empty,
// "." or ".." segments left.
func FuzzCanonicalRequest(f *testing.F) {
	f.Add("GET", "/example1/example2/../..", "Param-3=Value3&Param=Value2&%E1%88%B4=Value1", "my-header1", "value1\r\n  value2")
	f.Fuzz(func(t *testing.T, method, path, query, name, value string) {
		req := &Request{Method: method, Path: path, RawQuery: query, Host: "example.amazonaws.com",
			Header: http.Header{http.CanonicalHeaderKey(name): {value}}}
		for _, normalize := range []bool{true, false} {
			for _, presigned := range []bool{true, false} {
				in := canonicalInput{signedHeaders: "host;" + name, presigned: presigned, normalize: normalize, payloadHash: []byte(emptySHA256)}
				out := appendCanonicalRequest(nil, req, &in, &querySorter{})
				if !bytes.HasSuffix(out, []byte(emptySHA256)) {
					t.Fatalf("canonical request does not end with the payload hash: %q", out)
				}
			}
		}
		cp := string(appendCanonicalPath(nil, path, true))
		if strings.Contains(cp, "//") || strings.Contains(cp, "/./") || strings.Contains(cp, "/../") ||
			strings.HasSuffix(cp, "/.") || strings.HasSuffix(cp, "/..") {
			t.Fatalf("normalized %q to %q", path, cp)
		}
		for i := 0; i < len(cp); i++ {
			if c := cp[i]; c != '/' && c != '%' && !unreserved[c] {
				t.Fatalf("unencoded byte %q in %q", c, cp)
			}
		}
	})
}

// FuzzChunkReader decodes arbitrary aws-chunked bodies in each streaming
// mode: no panic, every failure an *Error, and any body that is accepted
// decodes to exactly x-amz-decoded-content-length bytes.
func FuzzChunkReader(f *testing.F) {
	for mode := byte(0); mode < 3; mode++ {
		_, _, _, body := chunkFuzzFixture(f, mode, []byte(chunkBody))
		f.Add(mode, body)
	}
	var fixtures [3]struct {
		v   *Verifier
		req *Request
		a   *Auth
	}
	for m := range fixtures {
		fixtures[m].v, fixtures[m].req, fixtures[m].a, _ = chunkFuzzFixture(f, byte(m), nil)
	}
	f.Fuzz(func(t *testing.T, mode byte, body []byte) {
		fx := fixtures[mode%3]
		v, req, a := fx.v, fx.req, fx.a
		r, err := v.VerifyStream(req, a, testCreds.SecretAccessKey, testTime, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if mode%3 != 2 && !strings.HasPrefix(chunkBody, string(got)) {
			t.Fatalf("returned bytes no chunk signature covers: %q", got)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %#v, want *Error", err)
			}
			return
		}
		if len(got) != len(chunkBody) {
			t.Fatalf("accepted a body that decodes to %q", got)
		}
	})
}

// chunkBody is the decoded body of the chunk fixtures; the fixtures' header
// and trailer checksums are for it.
const chunkBody = "hello, chunked world"

// chunkFuzzFixture is a signed streaming request (mode 0: signed chunks,
// 1: signed chunks and a CRC32 trailer, 2: unsigned chunks and a SHA256
// trailer) for a 20-byte body, and, when data is given, its wire body in
// 7-byte chunks.
func chunkFuzzFixture(tb testing.TB, mode byte, data []byte) (*Verifier, *Request, *Auth, []byte) {
	tb.Helper()
	v, err := NewVerifier(Config{Regions: []string{"us-east-1"}, Services: []string{"s3"}, S3PathRules: true, UnsignedPayload: true})
	if err != nil {
		tb.Fatal(err)
	}
	h := http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {"20"}}
	payload := StreamingPayload
	var tr [][2]string
	switch mode {
	case 1:
		payload = StreamingPayloadTrailer
		h.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		tr = [][2]string{{"x-amz-checksum-crc32", "XT19kg=="}}
	case 2:
		payload = StreamingUnsignedPayloadTrailer
		h.Set("X-Amz-Trailer", "x-amz-checksum-sha256")
		tr = [][2]string{{"x-amz-checksum-sha256", "DQrk9JUIQiBnz8DtMDpyeJVOwD3Foht3YlvpaG58Vm8="}}
	}
	req := &Request{Method: "PUT", Path: "/b/k", Host: "s3.amazonaws.com", Header: h}
	s := &Signer{Credentials: testCreds}
	if err := s.Sign(req, SignOptions{Region: "us-east-1", Service: "s3", Time: testTime, S3PathRules: true,
		PayloadHash: payload, ContentSHA256Header: true}); err != nil {
		tb.Fatal(err)
	}
	a, err := Parse(req)
	if err != nil {
		tb.Fatal(err)
	}
	if data == nil {
		return v, req, a, nil
	}
	if mode == 2 {
		var w bytes.Buffer
		for rest := data; ; {
			c := rest[:min(7, len(rest))]
			rest = rest[len(c):]
			w.WriteString(hexSize(len(c)) + "\r\n")
			w.Write(c)
			if len(c) == 0 {
				break
			}
			w.WriteString("\r\n")
		}
		w.WriteString(tr[0][0] + ":" + tr[0][1] + "\r\n\r\n")
		return v, req, a, w.Bytes()
	}
	enc := &chunkEncoder{key: deriveSigningKey(testCreds.SecretAccessKey, "20190101", "us-east-1", "s3"),
		amzDate: a.AmzDate, scope: a.Scope, prev: a.Signature}
	return v, req, a, enc.encode(data, 7, tr)
}

// TestChunkFixturesDecode checks that the fuzz seeds are valid bodies,
// so the fuzzer starts from inputs that reach the end of the decoder.
func TestChunkFixturesDecode(t *testing.T) {
	for mode := byte(0); mode < 3; mode++ {
		v, req, a, body := chunkFuzzFixture(t, mode, []byte(chunkBody))
		got, err := readStream(v, req, a, testCreds.SecretAccessKey, testTime, body)
		if err != nil || string(got) != chunkBody {
			t.Errorf("mode %d: got %q, %v", mode, got, err)
		}
	}
}
