package gateway

import (
	"encoding/base64"
	"hash"
	"io"
	"strconv"
	"strings"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// The trailing checksum of an aws-chunked upload is checked by the
// verifying reader, then forwarded: the backend gets the body framed
// again as STREAMING-UNSIGNED-PAYLOAD-TRAILER with the checksum, computed
// here as the bytes pass, in its trailer, so that it stores the checksum
// as S3 would (a multipart upload created with a checksum algorithm needs
// every part's). The trailer goes out only after the verifying reader
// returned EOF.

// trailerChunk is the size of the chunks sent to the backend.
const trailerChunk = 64 << 10

// checksumFor returns the hash of a trailer header name (sigv4's, which
// checked the client's trailer) and the length of its base64 value, or nil
// when the gateway does not forward it.
func checksumFor(name string) (hash.Hash, int) {
	h, _ := sigv4.TrailerChecksum(name)
	if h == nil {
		return nil, 0
	}
	return h, base64.StdEncoding.EncodedLen(h.Size())
}

// trailerName is the checksum an aws-chunked request's x-amz-trailer
// announces, lower case; "" when none or not forwarded.
func trailerName(v string) string {
	name := strings.ToLower(strings.TrimSpace(v))
	if h, _ := checksumFor(name); h == nil {
		return ""
	}
	return name
}

// trailerLength is the length of the framed body for n decoded bytes.
func trailerLength(n int64, name string) int64 {
	_, valueLen := checksumFor(name)
	full, rem := n/trailerChunk, n%trailerChunk
	size := full * int64(len(strconv.FormatInt(trailerChunk, 16))+2+trailerChunk+2)
	if rem > 0 {
		size += int64(len(strconv.FormatInt(rem, 16))) + 2 + rem + 2
	}
	return size + 3 + int64(len(name)+1+valueLen+2) + 2
}

// trailerEncoder frames a verified body as aws-chunked with an unsigned
// checksum trailer.
type trailerEncoder struct {
	src   io.Reader
	name  string
	sum   hash.Hash
	buf   []byte // one chunk of data
	frame []byte // one framed chunk, reused
	out   []byte // the framed bytes of frame not yet read
	done  bool
	err   error
}

func newTrailerEncoder(src io.Reader, name string) *trailerEncoder {
	h, _ := checksumFor(name)
	return &trailerEncoder{src: src, name: name, sum: h, buf: make([]byte, trailerChunk)}
}

func (t *trailerEncoder) Read(p []byte) (int, error) {
	for len(t.out) == 0 {
		if t.err != nil {
			return 0, t.err
		}
		if t.done {
			return 0, io.EOF
		}
		t.fill()
	}
	n := copy(p, t.out)
	t.out = t.out[n:]
	return n, nil
}

// fill frames the next chunk, or the last one and the trailer.
func (t *trailerEncoder) fill() {
	n, err := io.ReadFull(t.src, t.buf)
	out := t.frame[:0]
	if n > 0 {
		t.sum.Write(t.buf[:n])
		out = strconv.AppendInt(out, int64(n), 16)
		out = append(out, "\r\n"...)
		out = append(out, t.buf[:n]...)
		out = append(out, "\r\n"...)
	}
	switch {
	case err == nil:
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		// io.ReadFull reports the source's clean end as one of these
		// (never passed through as errors by verifiedBody): the
		// verifying reader returned io.EOF, every check passed.
		out = append(out, "0\r\n"...)
		out = append(out, t.name...)
		out = append(out, ':')
		out = base64.StdEncoding.AppendEncode(out, t.sum.Sum(nil))
		out = append(out, "\r\n\r\n"...)
		t.done = true
	default:
		t.err, out = err, nil
	}
	t.frame, t.out = out, out
}
