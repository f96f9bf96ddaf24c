package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/brevet-dev/brevet/internal/s3wire"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// emptySHA256 is hex(SHA-256("")).
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// outgoing is one request to a backend.
type outgoing struct {
	method      string
	bucket, key string
	rawQuery    string
	header      http.Header
	body        io.Reader // nil for none
	length      int64     // -1 when unknown
	payloadHash string    // hex SHA-256 or UNSIGNED-PAYLOAD
}

// send signs o with b's credentials and sends it.
func (g *Gateway) send(ctx context.Context, b *backend, o *outgoing) (*http.Response, error) {
	u := *b.Endpoint
	p := "/"
	if b.VirtualHosted && o.bucket != "" {
		u.Host = o.bucket + "." + u.Host
		p += o.key
	} else if o.bucket != "" {
		p += o.bucket
		if o.key != "" {
			p += "/" + o.key
		}
	}
	u.Path, u.RawPath, u.RawQuery = p, escapePath(p), o.rawQuery
	if o.header == nil {
		o.header = http.Header{}
	}
	req := &http.Request{
		Method: o.method, URL: &u, Host: u.Host, Header: o.header,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, ContentLength: o.length,
	}
	switch {
	case o.body == nil || o.length == 0:
		req.Body, req.ContentLength = http.NoBody, 0
	default:
		req.Body = io.NopCloser(o.body)
	}
	req = req.WithContext(ctx)
	hash := o.payloadHash
	if hash == "" {
		hash = sigv4.UnsignedPayload
	}
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := b.signer.SignHTTP(ctx, b.Credentials, req, hash, "s3", b.Region, g.cfg.Now()); err != nil {
		return nil, err
	}
	return g.rt.RoundTrip(req)
}

// escapePath escapes a decoded path as S3 expects: every byte but the
// unreserved characters and "/".
func escapePath(p string) string {
	n := 0
	for i := 0; i < len(p); i++ {
		if !pathSafe(p[i]) {
			n++
		}
	}
	if n == 0 {
		return p
	}
	const hexUpper = "0123456789ABCDEF"
	b := make([]byte, 0, len(p)+2*n)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if pathSafe(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return string(b)
}

func pathSafe(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~' || c == '/'
}

// dropped are the request headers never forwarded: the client's
// authentication (the backend gets the gateway's), the aws-chunked
// framing (the backend gets the decoded body), and hop-by-hop headers.
var dropped = map[string]bool{
	"Authorization": true, "X-Amz-Date": true, "X-Amz-Security-Token": true,
	"X-Amz-Content-Sha256": true, "X-Amz-Decoded-Content-Length": true, "X-Amz-Trailer": true,
	"Expect": true, "Host": true, "Content-Length": true,
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// forwardHeader returns the headers of r to send to the backend.
// chunked says the body was aws-chunked: its trailing checksum, checked by
// the gateway, is not forwarded, nor the header announcing it. MinIO's own
// x-minio-* headers are not forwarded either: the backend would honour
// them under its own key (x-minio-force-delete deletes a bucket with its
// objects, the replication headers set versions and times), and no IAM
// action Brevet authorizes covers them.
func forwardHeader(in http.Header, chunked bool) http.Header {
	out := make(http.Header, len(in))
	conn := in["Connection"]
	for k, v := range in {
		if dropped[k] || listed(conn, k) || strings.HasPrefix(k, "X-Minio-") {
			continue
		}
		if chunked && k == "X-Amz-Sdk-Checksum-Algorithm" {
			continue
		}
		if k == "Content-Encoding" {
			v = withoutAWSChunked(v)
			if len(v) == 0 {
				continue
			}
		}
		out[k] = v
	}
	return out
}

// listed reports whether a Connection header names k.
func listed(conn []string, k string) bool {
	for _, c := range conn {
		for f := range strings.SplitSeq(c, ",") {
			if textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(f)) == k {
				return true
			}
		}
	}
	return false
}

// withoutAWSChunked removes the aws-chunked member of Content-Encoding.
func withoutAWSChunked(v []string) []string {
	var out []string
	for _, s := range v {
		var keep []string
		for f := range strings.SplitSeq(s, ",") {
			if f = strings.TrimSpace(f); f != "" && !strings.EqualFold(f, "aws-chunked") {
				keep = append(keep, f)
			}
		}
		if len(keep) > 0 {
			out = append(out, strings.Join(keep, ","))
		}
	}
	return out
}

// signingParams are the query parameters of a presigned URL that
// authenticate it: the backend gets the gateway's signature instead.
var signingParams = map[string]bool{
	"X-Amz-Algorithm": true, "X-Amz-Credential": true, "X-Amz-Date": true, "X-Amz-Expires": true,
	"X-Amz-SignedHeaders": true, "X-Amz-Signature": true, "X-Amz-Security-Token": true,
	"X-Amz-Region-Set": true,
}

// splitQuery returns the raw query to forward: without the presigning
// parameters, the rest exactly as received. For a presigned request the
// other x-amz-* parameters (headers the client's SDK hoisted into the
// URL) are returned as headers instead, as S3 reads them, so that the
// condition keys see them and the backend gets them as headers.
func splitQuery(raw string, presigned bool) (string, http.Header) {
	if raw == "" || !strings.Contains(raw, "X-Amz-") && !strings.Contains(raw, "x-amz-") && !strings.Contains(raw, "X-AMZ-") {
		return raw, nil
	}
	var b strings.Builder
	var hoisted http.Header
	for part := range strings.SplitSeq(raw, "&") {
		name, value, _ := strings.Cut(part, "=")
		n, err := url.QueryUnescape(name)
		if err == nil && signingParams[n] {
			continue
		}
		if err == nil && presigned && len(n) > 6 && strings.EqualFold(n[:6], "x-amz-") {
			if v, err := url.QueryUnescape(value); err == nil {
				if hoisted == nil {
					hoisted = http.Header{}
				}
				hoisted.Add(n, v)
				continue
			}
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(part)
	}
	return b.String(), hoisted
}

// isHexSHA256 reports whether s is 64 hex digits.
func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// bodyLength is the length of the body to forward: the decoded length of
// an aws-chunked body, otherwise the request's Content-Length (-1 when
// unknown).
func bodyLength(r *http.Request, chunked bool) (int64, error) {
	if !chunked {
		return r.ContentLength, nil
	}
	s := r.Header.Get("X-Amz-Decoded-Content-Length")
	if s == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, s3wire.CodeInvalidArgument.New("x-amz-decoded-content-length is not a length.")
	}
	return n, nil
}

// isChunked reports whether r's body is aws-chunked.
func isChunked(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-")
}

// bufPool holds the buffers responses are copied through.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// copyBody streams src to w through a pooled buffer; the error is the
// first of reading and writing, for the log.
func copyBody(w io.Writer, src io.Reader) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	return io.CopyBuffer(struct{ io.Writer }{w}, src, *bp)
}

// errBackendUnavailable answers a request whose backend could not be
// reached.
func errBackendUnavailable(cause error) error {
	e := s3wire.CodeServiceUnavailable.New("")
	e.Cause = cause
	return e
}

// isCanceled reports whether err is the client going away.
func isCanceled(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, context.Canceled)
}
