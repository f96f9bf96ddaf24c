package sigv4

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func checksumBase64(name string, data []byte) string {
	var sum []byte
	switch name {
	case "x-amz-checksum-crc32":
		s := crc32.ChecksumIEEE(data)
		sum = []byte{byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)}
	case "x-amz-checksum-crc32c":
		return crc32cBase64(data)
	case "x-amz-checksum-crc64nvme":
		s := crc64.Checksum(data, crc64NVME)
		sum = []byte{byte(s >> 56), byte(s >> 48), byte(s >> 40), byte(s >> 32), byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)}
	case "x-amz-checksum-sha1":
		s := sha1.Sum(data)
		sum = s[:]
	case "x-amz-checksum-sha256":
		s := sha256.Sum256(data)
		sum = s[:]
	}
	return base64.StdEncoding.EncodeToString(sum)
}

// signedStream returns a request signed for a streaming payload and an
// encoder to write its body.
func signedStream(t testing.TB, mode, trailer string, decodedLen int) (*Verifier, *Request, *Auth, *chunkEncoder) {
	t.Helper()
	v := s3Verifier(t, "us-east-1", "s3")
	h := http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {strconv.Itoa(decodedLen)}}
	if trailer != "" {
		h.Set("X-Amz-Trailer", trailer)
	}
	req := &Request{Method: "PUT", Path: "/bucket/key", Host: "s3.amazonaws.com", Header: h}
	s := &Signer{Credentials: testCreds}
	if err := s.Sign(req, SignOptions{Region: "us-east-1", Service: "s3", Time: testTime, S3PathRules: true,
		PayloadHash: mode, ContentSHA256Header: true}); err != nil {
		t.Fatal(err)
	}
	a, err := Parse(req)
	if err != nil {
		t.Fatal(err)
	}
	enc := &chunkEncoder{key: deriveSigningKey(testCreds.SecretAccessKey, "20190101", "us-east-1", "s3"),
		amzDate: a.AmzDate, scope: a.Scope, prev: a.Signature}
	return v, req, a, enc
}

func TestChunkReaderChecksums(t *testing.T) {
	data := bytes.Repeat([]byte("The quick brown fox. "), 1000)
	for _, name := range []string{"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256"} {
		t.Run(name, func(t *testing.T) {
			v, req, a, enc := signedStream(t, StreamingPayloadTrailer, name, len(data))
			body := enc.encode(data, 8192, [][2]string{{name, checksumBase64(name, data)}})
			got, err := readStream(v, req, a, testCreds.SecretAccessKey, testTime, body)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("got %d bytes, %v; want %d bytes", len(got), err, len(data))
			}
			// A wrong checksum, correctly signed, is BadDigest.
			v, req, a, enc = signedStream(t, StreamingPayloadTrailer, name, len(data))
			body = enc.encode(data, 8192, [][2]string{{name, checksumBase64(name, data[1:])}})
			if _, err := readStream(v, req, a, testCreds.SecretAccessKey, testTime, body); !isKind(err, KindBadDigest) {
				t.Errorf("wrong checksum: got %v, want BadDigest", err)
			}
		})
	}
}

func TestChunkReaderUnsignedTrailer(t *testing.T) {
	data := []byte("unsigned chunks, checked by their trailer")
	v, req, a, _ := signedStream(t, StreamingUnsignedPayloadTrailer, "x-amz-checksum-crc32", len(data))
	body := []byte(strconv.FormatInt(int64(len(data)), 16) + "\r\n" + string(data) + "\r\n0\r\n" +
		"x-amz-checksum-crc32:" + checksumBase64("x-amz-checksum-crc32", data) + "\r\n\r\n")
	got, err := readStream(v, req, a, testCreds.SecretAccessKey, testTime, body)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("got %q, %v", got, err)
	}
	bad := bytes.Replace(body, []byte("unsigned"), []byte("Unsigned"), 1)
	if _, err := readStream(v, req, a, testCreds.SecretAccessKey, testTime, bad); !isKind(err, KindBadDigest) {
		t.Errorf("altered data: got %v, want BadDigest", err)
	}
}

func TestChunkReaderRejects(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 100)
	tests := []struct {
		name string
		body func(enc *chunkEncoder) []byte
		kind Kind
	}{
		{"decoded length differs", func(enc *chunkEncoder) []byte { return enc.encode(data[:99], 40, nil) }, KindIncompleteBody},
		{"chunk signed with another key", func(enc *chunkEncoder) []byte {
			enc.key[0] ^= 1
			return enc.encode(data, 40, nil)
		}, KindSignatureDoesNotMatch},
		{"chunks reordered", func(enc *chunkEncoder) []byte {
			// Signed over 'q…z…' ('q' and 'z' occur nowhere in the framing).
			return enc.encode(append(bytes.Repeat([]byte("q"), 40), bytes.Repeat([]byte("z"), 60)...), 40, nil)
		}, KindSignatureDoesNotMatch},
		{"body ends early", func(enc *chunkEncoder) []byte { b := enc.encode(data, 40, nil); return b[:len(b)-2] }, KindIncompleteBody},
		{"no final chunk", func(enc *chunkEncoder) []byte {
			b := enc.encode(data, 100, nil)
			return b[:bytes.LastIndex(b, []byte("0;chunk-signature"))]
		}, KindIncompleteBody},
		{"trailer where none announced", func(enc *chunkEncoder) []byte {
			return enc.encode(data, 40, [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}})
		}, KindIncompleteBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, req, a, enc := signedStream(t, StreamingPayload, "", len(data))
			body := tt.body(enc)
			if tt.name == "chunks reordered" {
				// The same framing and signatures around other data.
				body = bytes.ReplaceAll(body, []byte("q"), []byte("z"))
			}
			_, err := readStream(v, req, a, testCreds.SecretAccessKey, testTime, body)
			if !isKind(err, tt.kind) {
				t.Errorf("got %v, want %v", err, tt.kind)
			}
		})
	}
}

// TestChunkReaderStopsAtFirstBadChunk checks that the bytes of a chunk
// whose signature fails are never returned, and nothing after it.
func TestChunkReaderStopsAtFirstBadChunk(t *testing.T) {
	// 'q' and 'z' occur nowhere in the chunk framing.
	data := append(bytes.Repeat([]byte("q"), 64), bytes.Repeat([]byte("z"), 64)...)
	v, req, a, enc := signedStream(t, StreamingPayload, "", len(data))
	body := enc.encode(data, 64, nil)
	i := bytes.IndexByte(body, 'z')
	body[i] = 'Z'
	r, err := v.VerifyStream(req, a, testCreds.SecretAccessKey, testTime, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if !isKind(err, KindSignatureDoesNotMatch) {
		t.Fatalf("got %v, want SignatureDoesNotMatch", err)
	}
	if want := strings.Repeat("q", 64); string(got) != want {
		t.Errorf("got %q before the error, want only the first chunk", got)
	}
	if n, err2 := r.Read(make([]byte, 10)); n != 0 || !errors.Is(err2, err) {
		t.Errorf("read after failure: got %d, %v; want 0 and the same error", n, err2)
	}
}

func TestVerifyStreamDeclaredHash(t *testing.T) {
	v := s3Verifier(t, "us-east-1", "s3")
	body := []byte("Welcome to Amazon S3.")
	req := &Request{Method: "PUT", Path: "/b/k", Host: "s3.amazonaws.com", Header: http.Header{}, Body: body}
	s := &Signer{Credentials: testCreds}
	if err := s.Sign(req, SignOptions{Region: "us-east-1", Service: "s3", Time: testTime, S3PathRules: true, ContentSHA256Header: true}); err != nil {
		t.Fatal(err)
	}
	req.Body = nil
	a, err := Parse(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readStream(v, req, a, testCreds.SecretAccessKey, testTime, body)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := readStream(v, req, a, testCreds.SecretAccessKey, testTime, flipByte(body, 3)); !isKind(err, KindContentSHA256Mismatch) {
		t.Errorf("flipped body: got %v, want ContentSHA256Mismatch", err)
	}
	// Verify, with the body in hand, refuses an aws-chunked request.
	_, sreq, sa, _ := signedStream(t, StreamingPayload, "", 1)
	if err := v.Verify(sreq, sa, testCreds.SecretAccessKey, testTime); !isKind(err, KindIncompleteBody) {
		t.Errorf("Verify of a streaming request: got %v, want IncompleteBody", err)
	}
}

// TestFromHTTP signs a request, sends it through net/http's parser as a
// server would receive it, and verifies it from FromHTTP.
func TestFromHTTP(t *testing.T) {
	req := &Request{Method: "POST", Path: "/a%20b/", RawQuery: "x=1&y=%2F", Host: "sts.amazonaws.com", Body: stsBody,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Content-Length": {strconv.Itoa(len(stsBody))}}}
	s := &Signer{Credentials: testCreds}
	if err := s.Sign(req, SignOptions{Region: "us-east-1", Service: "sts", Time: testTime}); err != nil {
		t.Fatal(err)
	}
	var wire bytes.Buffer
	wire.WriteString("POST /a%20b/?x=1&y=%2F HTTP/1.1\r\nHost: sts.amazonaws.com\r\n")
	if err := req.Header.Write(&wire); err != nil {
		t.Fatal(err)
	}
	wire.WriteString("\r\n")
	wire.Write(stsBody)
	hr, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		t.Fatal(err)
	}
	got := FromHTTP(hr, body)
	if got.Path != "/a%20b/" || got.RawQuery != "x=1&y=%2F" || got.Host != "sts.amazonaws.com" {
		t.Errorf("got path %q, query %q, host %q", got.Path, got.RawQuery, got.Host)
	}
	if err := parseVerify(testVerifier(t), &got, testCreds.SecretAccessKey, testTime.Add(time.Minute)); err != nil {
		t.Errorf("verify: %v", err)
	}
}

// TestCRC64NVME: the table computes CRC-64/NVME, whose check value (the
// CRC of "123456789") is 0xae8b14860a799888.
func TestCRC64NVME(t *testing.T) {
	if got := crc64.Checksum([]byte("123456789"), crc64NVME); got != 0xae8b14860a799888 {
		t.Errorf("CRC-64/NVME of 123456789 = %#x, want 0xae8b14860a799888", got)
	}
}
