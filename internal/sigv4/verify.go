package sigv4

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Payload hash values with a meaning of their own (x-amz-content-sha256).
const (
	UnsignedPayload                 = "UNSIGNED-PAYLOAD"
	StreamingPayload                = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingPayloadTrailer         = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingECDSAPayload           = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
	streamingECDSAPayloadTrailer    = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
)

// DefaultMaxSkew is how far a request's time may be from the server's:
// AWS allows 15 minutes either way.
const DefaultMaxSkew = 15 * time.Minute

// Config says what a Verifier accepts.
type Config struct {
	// Regions the server answers for. A SigV4 scope's region must be one
	// of them; a SigV4a region set must match one. The global STS
	// endpoint is signed as us-east-1.
	Regions []string
	// Services the server answers for, e.g. "sts", "iam". The first is
	// named in the wrong-service message.
	Services []string
	// MaxSkew is the allowed clock skew; DefaultMaxSkew when zero.
	MaxSkew time.Duration
	// S3PathRules builds the canonical URI as S3 does: no dot-segment
	// removal and no double encoding. Other services want it false.
	S3PathRules bool
	// UnsignedPayload accepts x-amz-content-sha256 values that leave the
	// body unsigned or sign it chunk by chunk (UNSIGNED-PAYLOAD,
	// STREAMING-*), and signs presigned URLs that carry none as
	// UNSIGNED-PAYLOAD, as S3 does. Leave it false for services whose
	// body carries the action (STS, IAM): there, such a request's
	// signature would not cover what it asks for.
	UnsignedPayload bool
	// MaxPresignAge, when set, also refuses a presigned request whose
	// X-Amz-Date is older than this, whatever its X-Amz-Expires says (with
	// the "Signature expired" message). STS and IAM behave as if it were
	// 15 minutes; zero honours X-Amz-Expires alone, as S3 does.
	MaxPresignAge time.Duration
	// CacheSize bounds the signing-key cache (entries); 1024 when zero.
	CacheSize int
	// MaxChunkSize bounds one aws-chunked chunk; 16 MiB when zero.
	MaxChunkSize int
}

// Verifier checks SigV4 and SigV4a signatures. It is safe for concurrent
// use; it caches derived signing keys.
type Verifier struct {
	cfg  Config
	keys *keyCache
}

// NewVerifier returns a Verifier for cfg.
func NewVerifier(cfg Config) (*Verifier, error) {
	if len(cfg.Regions) == 0 || len(cfg.Services) == 0 {
		return nil, errors.New("sigv4: Config needs at least one region and one service")
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.MaxChunkSize <= 0 {
		cfg.MaxChunkSize = 16 << 20
	}
	cfg.Regions = append([]string(nil), cfg.Regions...)
	cfg.Services = append([]string(nil), cfg.Services...)
	return &Verifier{cfg: cfg, keys: newKeyCache(cfg.CacheSize)}, nil
}

// scratch is the per-verification working memory, pooled so that a
// verification allocates nothing once warm.
type scratch struct {
	buf []byte
	q   querySorter
}

var scratchPool = sync.Pool{New: func() any { return &scratch{buf: make([]byte, 0, 1024)} }}

// Verify checks that req is signed as a says, with secret, at time now:
// scope, clock (or presign expiry), payload hash against req.Body, and
// the signature itself, compared in constant time. Streaming payloads
// (aws-chunked) must go through VerifyStream.
func (v *Verifier) Verify(req *Request, a *Auth, secret string, now time.Time) error {
	if err := v.check(a, now); err != nil {
		return err
	}
	var hexBuf [64]byte
	payload, kind, err := v.payloadHash(req, a, &hexBuf)
	if err != nil {
		return err
	}
	switch kind {
	case payloadNeedsBody:
		sum := sha256.Sum256(req.Body)
		hex.Encode(hexBuf[:], sum[:])
		payload = hexBuf[:]
	case payloadDeclaredHash:
		if !hashMatches(payload, req.Body) {
			return &Error{Kind: KindContentSHA256Mismatch, Message: msgContentSHA256Mismatch}
		}
	case payloadStreaming:
		return errorf(KindIncompleteBody, "An aws-chunked body must be read through the streaming verifier")
	}
	_, err = v.verifySignature(req, a, secret, payload)
	return err
}

// VerifyStream is Verify for a body not yet read. It checks everything
// it can before the body and returns a reader for the (decoded) body that
// checks the rest as it goes and fails with an *Error at the first
// chunk, trailer or hash that does not match: an aws-chunked body has
// each chunk's signature checked before its bytes are returned; a body
// declared by x-amz-content-sha256 fails at EOF if its hash differs. A
// body whose hash is not declared is read whole and checked up front, so
// the caller bounds body (as the server's body limit does).
func (v *Verifier) VerifyStream(req *Request, a *Auth, secret string, now time.Time, body io.Reader) (io.Reader, error) {
	if err := v.check(a, now); err != nil {
		return nil, err
	}
	var hexBuf [64]byte
	payload, kind, err := v.payloadHash(req, a, &hexBuf)
	if err != nil {
		return nil, err
	}
	if kind == payloadNeedsBody {
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		r := *req
		r.Body = b
		if err := v.Verify(&r, a, secret, now); err != nil {
			return nil, err
		}
		return bytes.NewReader(b), nil
	}
	key, err := v.verifySignature(req, a, secret, payload)
	if err != nil {
		return nil, err
	}
	switch kind {
	case payloadDeclaredHash:
		var want [32]byte
		hex.Decode(want[:], payload) // checked by payloadHash
		return &hashingReader{r: body, h: sha256.New(), want: want}, nil
	case payloadStreaming:
		return v.newChunkReader(req, a, string(payload), key, body)
	}
	return body, nil // UNSIGNED-PAYLOAD
}

// check runs the checks that need no secret: scope and time.
func (v *Verifier) check(a *Auth, now time.Time) error {
	if isX509(a.Algorithm) { // signed with a certificate's key: VerifyX509's
		return errorf(KindIncompleteSignature, "Unsupported AWS 'algorithm': '%s'", a.Algorithm)
	}
	if err := v.checkScope(a, v.cfg.Services); err != nil {
		return err
	}
	return v.checkTime(a, now)
}

// checkScope checks the credential scope against the request and the
// server (its regions, and services). Like AWS, it names every element
// that is wrong in one message: region, service, terminator, date.
func (v *Verifier) checkScope(a *Auth, services []string) error {
	var regionOK bool
	if a.Algorithm == AlgorithmECDSA {
		if a.RegionSet == "" {
			return errorf(KindIncompleteSignature, "%s requires the X-Amz-Region-Set header or query parameter", AlgorithmECDSA)
		}
		if !a.Presigned && !listHas(a.SignedHeaders, ';', "x-amz-region-set") {
			return errorf(KindIncompleteSignature, "'x-amz-region-set' must be a 'SignedHeader' in the AWS Authorization.")
		}
		regionOK = v.regionSetMatches(a.RegionSet)
	} else {
		regionOK = contains(v.cfg.Regions, a.Region)
	}
	serviceOK := contains(services, a.Service)
	termOK := a.terminator == terminator
	dateOK := len(a.AmzDate) >= 8 && a.Date == a.AmzDate[:8]
	if regionOK && serviceOK && termOK && dateOK {
		return nil
	}
	var b strings.Builder
	if !regionOK {
		b.WriteString("Credential should be scoped to a valid region. ")
	}
	if !serviceOK {
		b.WriteString("Credential should be scoped to correct service: '" + services[0] + "'. ")
	}
	if !termOK {
		b.WriteString("Credential should be scoped with a valid terminator: 'aws4_request', not '" + a.terminator + "'. ")
	}
	if !dateOK {
		b.WriteString("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
			a.Date + "' != '" + a.AmzDate[:min(8, len(a.AmzDate))] + "', from '" + a.AmzDate + "'.")
	}
	return &Error{Kind: KindInvalidScope, Message: b.String()}
}

func (v *Verifier) checkTime(a *Auth, now time.Time) error {
	skew := v.cfg.MaxSkew
	if a.Presigned {
		if a.Time.After(now.Add(skew)) {
			return &Error{Kind: KindAccessDenied, Message: msgPresignNotYetValid}
		}
		if now.After(a.Time.Add(a.Expires)) {
			return &Error{Kind: KindAccessDenied, Message: msgPresignExpired}
		}
		if age := v.cfg.MaxPresignAge; age > 0 && a.Time.Before(now.Add(-age)) {
			return signatureExpired(a, now, age)
		}
		return nil
	}
	if a.Time.Before(now.Add(-skew)) {
		return signatureExpired(a, now, skew)
	}
	if a.Time.After(now.Add(skew)) {
		return errorf(KindRequestExpired, "Signature not yet current: %s is still later than %s (%s + %s min.)",
			a.AmzDate, now.Add(skew).UTC().Format(amzDateLayout), now.UTC().Format(amzDateLayout), minutes(skew))
	}
	return nil
}

func signatureExpired(a *Auth, now time.Time, window time.Duration) *Error {
	return errorf(KindRequestExpired, "Signature expired: %s is now earlier than %s (%s - %s min.)",
		a.AmzDate, now.Add(-window).UTC().Format(amzDateLayout), now.UTC().Format(amzDateLayout), minutes(window))
}

func minutes(d time.Duration) string { return strconv.FormatInt(int64(d/time.Minute), 10) }

// regionSetMatches reports whether a SigV4a region set (comma-separated,
// '*' wildcards) names one of the server's regions.
func (v *Verifier) regionSetMatches(set string) bool {
	for rest := set; ; {
		pat := rest
		i := strings.IndexByte(rest, ',')
		if i >= 0 {
			pat, rest = rest[:i], rest[i+1:]
		}
		pat = strings.TrimSpace(pat)
		for _, r := range v.cfg.Regions {
			if globMatch(pat, r) {
				return true
			}
		}
		if i < 0 {
			return false
		}
	}
}

// globMatch matches s against a pattern where '*' stands for any run.
func globMatch(pat, s string) bool {
	star := strings.IndexByte(pat, '*')
	if star < 0 {
		return pat == s
	}
	if !strings.HasPrefix(s, pat[:star]) {
		return false
	}
	s = s[star:]
	pat = pat[star+1:]
	for i := 0; i <= len(s); i++ {
		if globMatch(pat, s[i:]) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func listHas(list string, sep byte, name string) bool {
	for rest := list; ; {
		item := rest
		i := strings.IndexByte(rest, sep)
		if i >= 0 {
			item, rest = rest[:i], rest[i+1:]
		}
		if strings.EqualFold(item, name) {
			return true
		}
		if i < 0 {
			return false
		}
	}
}

type payloadKind int

const (
	payloadNeedsBody    payloadKind = iota // hash the body ourselves
	payloadDeclaredHash                    // x-amz-content-sha256 is a hex hash to check
	payloadUnsigned                        // UNSIGNED-PAYLOAD
	payloadStreaming                       // STREAMING-*: aws-chunked
)

// payloadHash returns what goes in the canonical request's last line and
// how the body is then to be checked.
func (v *Verifier) payloadHash(req *Request, a *Auth, buf *[64]byte) ([]byte, payloadKind, error) {
	declared := header(req.Header, "X-Amz-Content-Sha256")
	if declared == "" && a.Presigned {
		declared = queryValue(req.RawQuery, "X-Amz-Content-Sha256")
	}
	switch declared {
	case "":
		if a.Presigned && v.cfg.UnsignedPayload {
			return []byte(UnsignedPayload), payloadUnsigned, nil
		}
		return nil, payloadNeedsBody, nil
	case UnsignedPayload:
		if !v.cfg.UnsignedPayload {
			return nil, 0, errSignatureDoesNotMatch()
		}
		return []byte(UnsignedPayload), payloadUnsigned, nil
	case StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer:
		if !v.cfg.UnsignedPayload {
			return nil, 0, errSignatureDoesNotMatch()
		}
		if a.Algorithm == AlgorithmECDSA && declared != StreamingUnsignedPayloadTrailer {
			return nil, 0, errorf(KindIncompleteSignature, "x-amz-content-sha256 %s needs %s", declared, AlgorithmHMAC)
		}
		return []byte(declared), payloadStreaming, nil
	case streamingECDSAPayload, streamingECDSAPayloadTrailer:
		return nil, 0, errorf(KindIncompleteSignature, "x-amz-content-sha256 %s is not supported", declared)
	}
	if len(declared) != 64 {
		return nil, 0, errorf(KindContentSHA256Mismatch,
			"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.")
	}
	for i := 0; i < 64; i++ {
		if _, ok := unhex(declared[i]); !ok {
			return nil, 0, errorf(KindContentSHA256Mismatch,
				"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.")
		}
	}
	copy(buf[:], declared)
	return buf[:], payloadDeclaredHash, nil
}

// hashMatches reports whether the hex digest h is SHA-256(body).
func hashMatches(h []byte, body []byte) bool {
	sum := sha256.Sum256(body)
	var want [32]byte
	if _, err := hex.Decode(want[:], h); err != nil {
		return false
	}
	return hmac.Equal(sum[:], want[:])
}

// queryValue returns the decoded value of the first query parameter
// named name, or "".
func queryValue(raw, name string) string {
	for rest := raw; rest != ""; {
		pair := rest
		if i := strings.IndexByte(rest, '&'); i >= 0 {
			pair, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		k, val, _ := strings.Cut(pair, "=")
		if isParam(k, name) {
			return unescape(val)
		}
	}
	return ""
}

// verifySignature rebuilds the canonical request and checks the
// signature. For SigV4 it returns the signing key, which chunk signatures
// chain from.
func (v *Verifier) verifySignature(req *Request, a *Auth, secret string, payload []byte) ([32]byte, error) {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	in := canonicalInput{
		signedHeaders: a.SignedHeaders,
		presigned:     a.Presigned,
		normalize:     !v.cfg.S3PathRules,
		payloadHash:   payload,
	}
	key, err := v.verifyCanonical(req, a, secret, &in, s)
	if err != nil && a.Presigned && a.SecurityToken != "" && queryValue(req.RawQuery, "X-Amz-Security-Token") != "" {
		// The token may have been added to the URL after signing (the
		// way old STS clients did); it is then not part of the signed
		// query. The token still has to be valid for this access key,
		// which the caller checks.
		in.skipToken = true
		key, err = v.verifyCanonical(req, a, secret, &in, s)
	}
	return key, err
}

func (v *Verifier) verifyCanonical(req *Request, a *Auth, secret string, in *canonicalInput, s *scratch) ([32]byte, error) {
	s.buf = appendCanonicalRequest(s.buf[:0], req, in, &s.q)
	crHash := sha256.Sum256(s.buf)
	if a.Algorithm == AlgorithmECDSA {
		return [32]byte{}, v.verifyECDSA(a, secret, &crHash, s)
	}
	key := v.keys.signingKey(secret, a.Date, a.Region, a.Service)
	s.buf = append(s.buf[:0], make([]byte, 64)...)
	s.buf = appendStringToSign(s.buf, AlgorithmHMAC, a.AmzDate, a.Scope, &crHash)
	sig := hmacPadded(&key, s.buf)
	if !hmac.Equal(sig[:], a.sig[:]) {
		return [32]byte{}, errSignatureDoesNotMatch()
	}
	return key, nil
}

func (v *Verifier) verifyECDSA(a *Auth, secret string, crHash *[32]byte, s *scratch) error {
	priv, err := v.keys.ecdsaKey(a.AccessKeyID, secret)
	if err != nil {
		return errSignatureDoesNotMatch()
	}
	s.buf = appendStringToSign(s.buf[:0], AlgorithmECDSA, a.AmzDate, a.Scope, crHash)
	digest := sha256.Sum256(s.buf)
	der, err := hex.DecodeString(a.Signature)
	if err != nil || !ecdsa.VerifyASN1(&priv.PublicKey, digest[:], der) {
		return errSignatureDoesNotMatch()
	}
	return nil
}

// hashingReader passes a body through and fails at EOF when its SHA-256
// is not the declared one.
type hashingReader struct {
	r    io.Reader
	h    hash.Hash
	want [32]byte
	err  error
}

func (h *hashingReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err == io.EOF {
		var got [32]byte
		if !hmac.Equal(h.h.Sum(got[:0]), h.want[:]) {
			h.err = &Error{Kind: KindContentSHA256Mismatch, Message: msgContentSHA256Mismatch}
			return 0, h.err
		}
		h.err = io.EOF
	}
	return n, err
}
