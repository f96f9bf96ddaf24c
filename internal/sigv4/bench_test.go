package sigv4

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
)

// BenchmarkVerifySTS is the hot path: Parse and Verify of a botocore-style
// GetCallerIdentity POST, with the signing key already cached.
func BenchmarkVerifySTS(b *testing.B) {
	v := testVerifier(b)
	creds := testCreds
	creds.SessionToken = ""
	req := stsRequest(b, creds, testTime)
	if err := parseVerify(v, req, creds.SecretAccessKey, testTime); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		a, err := Parse(req)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Verify(req, a, creds.SecretAccessKey, testTime); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifySTSParallel is the same under concurrency, through the
// shared key cache.
func BenchmarkVerifySTSParallel(b *testing.B) {
	v := testVerifier(b)
	req := stsRequest(b, testCreds, testTime)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := parseVerify(v, req, testCreds.SecretAccessKey, testTime); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkVerifyPresigned(b *testing.B) {
	v := testVerifier(b)
	req := presignedRequest(b, testCreds, testTime, time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if err := parseVerify(v, req, testCreds.SecretAccessKey, testTime); err != nil {
			b.Fatal(err)
		}
	}
}

// streamingFixture is a signed S3 PUT with a 4 MiB aws-chunked body in
// 64 KiB chunks (and a CRC32C trailer, when trailer is set).
func streamingFixture(tb testing.TB, size int, trailer bool) (*Verifier, *Request, *Auth, []byte) {
	tb.Helper()
	v, err := NewVerifier(Config{Regions: []string{"us-east-1"}, Services: []string{"s3"}, S3PathRules: true, UnsignedPayload: true})
	if err != nil {
		tb.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	mode := StreamingPayload
	h := http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {itoa(len(data))}}
	var tr [][2]string
	if trailer {
		mode = StreamingPayloadTrailer
		h.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
		tr = [][2]string{{"x-amz-checksum-crc32c", crc32cBase64(data)}}
	}
	req := &Request{Method: "PUT", Path: "/bucket/key", Host: "s3.amazonaws.com", Header: h}
	s := &Signer{Credentials: testCreds}
	if err := s.Sign(req, SignOptions{Region: "us-east-1", Service: "s3", Time: testTime, S3PathRules: true,
		PayloadHash: mode, ContentSHA256Header: true}); err != nil {
		tb.Fatal(err)
	}
	a, err := Parse(req)
	if err != nil {
		tb.Fatal(err)
	}
	enc := &chunkEncoder{key: deriveSigningKey(testCreds.SecretAccessKey, "20190101", "us-east-1", "s3"),
		amzDate: a.AmzDate, scope: a.Scope, prev: a.Signature}
	return v, req, a, enc.encode(data, 64<<10, tr)
}

func BenchmarkChunkReader(b *testing.B) {
	for _, trailer := range []bool{false, true} {
		name := "signed"
		if trailer {
			name = "signed+crc32c-trailer"
		}
		b.Run(name, func(b *testing.B) {
			const size = 4 << 20
			v, req, a, body := streamingFixture(b, size, trailer)
			buf := make([]byte, 32<<10)
			br := bytes.NewReader(body)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				br.Reset(body)
				r, err := v.VerifyStream(req, a, testCreds.SecretAccessKey, testTime, br)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
				if err != nil || n != size {
					b.Fatalf("copied %d, %v", n, err)
				}
			}
		})
	}
}

// BenchmarkVerifySigV4a is a SigV4a (ECDSA P-256) GetCallerIdentity POST
// with the derived key cached: the cost is the ECDSA verification.
func BenchmarkVerifySigV4a(b *testing.B) {
	v := testVerifier(b)
	req := &Request{Method: "POST", Path: "/", Host: "sts.amazonaws.com", Body: stsBody,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
	s := &Signer{Credentials: testCreds}
	if err := s.Sign(req, SignOptions{Algorithm: AlgorithmECDSA, Region: "us-east-1", Service: "sts", Time: testTime}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := parseVerify(v, req, testCreds.SecretAccessKey, testTime); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyX509 is CreateSession's signature check: Parse and
// VerifyX509 of a SigV4-X509 request, with RSA-2048 and ECDSA P-256
// certificates (chain verification is not part of it).
func BenchmarkVerifyX509(b *testing.B) {
	v := x509Verifier(b)
	f := newX509Fixture(b)
	for _, bc := range []struct {
		name string
		leaf *x509test.Leaf
	}{{"RSA-2048", f.rsa}, {"ECDSA-P256", f.ecdsa}} {
		b.Run(bc.name, func(b *testing.B) {
			req := sessionRequest(b, bc.leaf, testTime)
			b.ReportAllocs()
			for b.Loop() {
				if err := parseVerifyX509(v, req, bc.leaf, testTime); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
