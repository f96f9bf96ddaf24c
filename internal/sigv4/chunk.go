package sigv4

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"strconv"
	"strings"
)

// The string-to-sign algorithms of aws-chunked bodies.
const (
	algChunk   = "AWS4-HMAC-SHA256-PAYLOAD"
	algTrailer = "AWS4-HMAC-SHA256-TRAILER"
)

// emptySHA256 is hex(SHA-256("")), a fixed line of every chunk's string
// to sign.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// maxChunkLine bounds a chunk header or trailer line.
const maxChunkLine = 4096

// chunkReader decodes an aws-chunked body and checks it as it goes:
//
//	<hex size>;chunk-signature=<sig>\r\n<data>\r\n ... 0;chunk-signature=<sig>\r\n
//	then "\r\n", or trailer lines and (signed) x-amz-trailer-signature:<sig>\r\n and "\r\n".
//
// Each chunk is read whole into a buffer and its signature (which chains
// from the previous one, starting at the request's seed signature) is
// checked before any of its bytes are returned, so a caller never sees
// unverified data. Memory is one chunk, never the body.
type chunkReader struct {
	r        *bufio.Reader
	signed   bool   // chunk-signature on every chunk
	trailer  string // the expected trailing checksum header, "" for none
	trailers bool   // the body ends with trailer lines
	key      [32]byte
	amzDate  string
	scope    string
	prev     [64]byte // hex of the previous signature
	maxChunk int

	sum      hash.Hash // the trailing checksum's hash, or nil
	sumName  string    // e.g. "CRC32C", for the error message
	decoded  int64
	declared int64 // x-amz-decoded-content-length, or -1

	data []byte // the current chunk, verified
	off  int
	buf  []byte // string-to-sign scratch
	err  error  // sticky: io.EOF or *Error
}

// newChunkReader returns the reader for an aws-chunked body in the given
// mode (x-amz-content-sha256), chaining chunk signatures from the
// request's (already verified) signature with its signing key.
func (v *Verifier) newChunkReader(req *Request, a *Auth, mode string, key [32]byte, body io.Reader) (io.Reader, error) {
	c := &chunkReader{
		r:        bufio.NewReaderSize(body, 2*maxChunkLine),
		signed:   mode != StreamingUnsignedPayloadTrailer,
		trailers: mode != StreamingPayload,
		key:      key,
		amzDate:  a.AmzDate,
		scope:    a.Scope,
		maxChunk: v.cfg.MaxChunkSize,
		declared: -1,
	}
	copy(c.prev[:], strings.ToLower(a.Signature))
	if s := header(req.Header, "X-Amz-Decoded-Content-Length"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return nil, errorf(KindIncompleteBody, "x-amz-decoded-content-length is not a length: '%s'", s)
		}
		c.declared = n
	}
	if c.trailers {
		if err := c.setTrailer(header(req.Header, "X-Amz-Trailer")); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// crc64NVME is CRC-64/NVME (the reflected polynomial 0x9a6c9329ac4bc9b5,
// all bits set in and out, as package crc64 computes every CRC-64), the
// checksum current AWS SDKs compute for full-object checksums.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// TrailerChecksum returns a new hash for the trailing checksum header
// name (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1 or -sha256, lower
// case) and S3's name for its algorithm ("CRC32C"); nil and "" for any
// other name.
func TrailerChecksum(name string) (hash.Hash, string) {
	switch name {
	case "x-amz-checksum-crc32":
		return crc32.NewIEEE(), "CRC32"
	case "x-amz-checksum-crc32c":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli)), "CRC32C"
	case "x-amz-checksum-crc64nvme":
		return crc64.New(crc64NVME), "CRC64NVME"
	case "x-amz-checksum-sha1":
		return sha1.New(), "SHA1"
	case "x-amz-checksum-sha256":
		return sha256.New(), "SHA256"
	}
	return nil, ""
}

// setTrailer picks the checksum the x-amz-trailer header announces.
func (c *chunkReader) setTrailer(name string) error {
	name = strings.ToLower(strings.TrimSpace(name))
	c.trailer = name
	if name == "" {
		return nil
	}
	if c.sum, c.sumName = TrailerChecksum(name); c.sum == nil {
		return errorf(KindIncompleteBody, "x-amz-trailer names an unsupported checksum: '%s'", name)
	}
	return nil
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for c.off == len(c.data) {
		if c.err != nil {
			return 0, c.err
		}
		if err := c.next(); err != nil {
			// Whatever next read of a chunk that failed is not returned.
			c.err, c.data, c.off = err, c.data[:0], 0
		}
	}
	n := copy(p, c.data[c.off:])
	c.off += n
	return n, nil
}

func malformed(what string) *Error {
	return errorf(KindIncompleteBody, "The aws-chunked request body is malformed: %s", what)
}

// line reads one CRLF-terminated line, without the CRLF.
func (c *chunkReader) line() ([]byte, error) {
	l, err := c.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(l) > maxChunkLine {
		return nil, malformed("line too long")
	}
	if err != nil {
		return nil, malformed("body ends early")
	}
	if len(l) < 2 || l[len(l)-2] != '\r' {
		return nil, malformed("line does not end with CRLF")
	}
	return l[:len(l)-2], nil
}

// next reads, checks and buffers the next chunk; it returns io.EOF after
// the last one and its trailer have checked out.
func (c *chunkReader) next() error {
	l, err := c.line()
	if err != nil {
		return err
	}
	sizeHex, ext, hasExt := cutBytes(l, ';')
	size, ok := parseHexSize(sizeHex, c.maxChunk)
	if !ok {
		return malformed("bad chunk size")
	}
	var sig [32]byte
	if c.signed {
		v, ok := cutPrefix(ext, "chunk-signature=")
		if !hasExt || !ok || len(v) != 64 || !decodeHex32(&sig, v) {
			return malformed("missing or bad chunk-signature")
		}
	}
	if cap(c.data) < size {
		c.data = make([]byte, size)
	}
	c.data, c.off = c.data[:size], 0
	if _, err := io.ReadFull(c.r, c.data); err != nil {
		return malformed("body ends early")
	}
	if c.signed {
		sum := sha256.Sum256(c.data)
		if err := c.checkSignature(algChunk, &sig, emptySHA256, &sum); err != nil {
			return err
		}
	}
	if c.sum != nil {
		c.sum.Write(c.data)
	}
	c.decoded += int64(size)
	if size > 0 || !c.trailers {
		if crlf, err := c.line(); err != nil || len(crlf) != 0 {
			return malformed("chunk data does not end with CRLF")
		}
	}
	if size > 0 {
		return nil
	}
	c.data = c.data[:0]
	if c.trailers {
		if err := c.readTrailer(); err != nil {
			return err
		}
	}
	if c.declared >= 0 && c.decoded != c.declared {
		return errorf(KindIncompleteBody,
			"The decoded body is %d bytes, x-amz-decoded-content-length says %d", c.decoded, c.declared)
	}
	return io.EOF
}

// checkSignature checks one chunk or trailer signature and moves the chain
// on. Only the signature as sent is compared; nothing computed leaks.
func (c *chunkReader) checkSignature(alg string, sig *[32]byte, line4 string, h *[32]byte) error {
	b := append(c.buf[:0], make([]byte, 64)...)
	b = append(b, alg...)
	b = append(b, '\n')
	b = append(b, c.amzDate...)
	b = append(b, '\n')
	b = append(b, c.scope...)
	b = append(b, '\n')
	b = append(b, c.prev[:]...)
	b = append(b, '\n')
	if line4 != "" {
		b = append(b, line4...)
		b = append(b, '\n')
	}
	b = hex.AppendEncode(b, h[:])
	c.buf = b
	got := hmacPadded(&c.key, b)
	if !hmac.Equal(got[:], sig[:]) {
		return errSignatureDoesNotMatch()
	}
	hex.Encode(c.prev[:], sig[:])
	return nil
}

// readTrailer reads the trailer lines up to the empty line, checks the
// trailer signature (signed modes) and the checksum.
func (c *chunkReader) readTrailer() error {
	var canon []byte
	var value string
	var sig [32]byte
	haveSig, haveSum := false, false
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		if len(l) == 0 {
			break
		}
		name, val, ok := cutBytes(l, ':')
		if !ok {
			return malformed("bad trailer line")
		}
		n := strings.ToLower(strings.TrimSpace(string(name)))
		v := strings.TrimSpace(string(val))
		switch {
		case n == "x-amz-trailer-signature":
			if haveSig || len(v) != 64 || !decodeHex32(&sig, []byte(v)) {
				return malformed("bad x-amz-trailer-signature")
			}
			haveSig = true
		case n == c.trailer && !haveSum:
			haveSum, value = true, v
			canon = append(append(append(append(canon, n...), ':'), v...), '\n')
		default:
			return malformed("unexpected trailer '" + n + "'")
		}
	}
	if c.signed {
		if !haveSig {
			return malformed("missing x-amz-trailer-signature")
		}
		h := sha256.Sum256(canon)
		if err := c.checkSignature(algTrailer, &sig, "", &h); err != nil {
			return err
		}
	}
	if c.sum == nil {
		return nil
	}
	if !haveSum {
		return malformed("missing trailer " + c.trailer)
	}
	got := base64.StdEncoding.EncodeToString(c.sum.Sum(nil))
	if got != value {
		return errorf(KindBadDigest, "The %s you specified did not match the calculated checksum.", c.sumName)
	}
	return nil
}

func cutBytes(b []byte, sep byte) (before, after []byte, found bool) {
	for i, c := range b {
		if c == sep {
			return b[:i], b[i+1:], true
		}
	}
	return b, nil, false
}

func cutPrefix(b []byte, prefix string) ([]byte, bool) {
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return nil, false
	}
	return b[len(prefix):], true
}

func parseHexSize(b []byte, max int) (int, bool) {
	if len(b) == 0 || len(b) > 8 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		d, ok := unhex(c)
		if !ok {
			return 0, false
		}
		n = n<<4 | int(d)
	}
	return n, n <= max
}

func decodeHex32(dst *[32]byte, b []byte) bool {
	for i := range dst {
		hi, ok1 := unhex(b[2*i])
		lo, ok2 := unhex(b[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}
