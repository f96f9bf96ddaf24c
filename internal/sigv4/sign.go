package sigv4

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Credentials are what a Signer signs with.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// SignOptions say how to sign one request.
type SignOptions struct {
	// Algorithm is AlgorithmHMAC (the default) or AlgorithmECDSA.
	Algorithm string
	// Region is the scope's region (SigV4) or the region set (SigV4a).
	Region string
	// Service is the scope's service, e.g. "sts".
	Service string
	// Time is the signing time.
	Time time.Time
	// Expires is X-Amz-Expires, for Presign.
	Expires time.Duration
	// S3PathRules: canonical URI without dot-segment removal or double
	// encoding, as for S3.
	S3PathRules bool
	// PayloadHash is the canonical payload hash: "" for hex SHA-256 of
	// the body, or UNSIGNED-PAYLOAD, or a STREAMING-* value.
	PayloadHash string
	// ContentSHA256Header adds the payload hash as x-amz-content-sha256
	// (S3 requires it).
	ContentSHA256Header bool
	// TokenAfterSigning adds X-Amz-Security-Token after signing, so that
	// it is not signed, as some SDKs do for some services.
	TokenAfterSigning bool
}

// Signer signs requests, for tests and for calls to upstream AWS.
type Signer struct {
	Credentials Credentials
}

// unsignedHeaders are never signed: proxies and clients change them.
var unsignedHeaders = []string{"authorization", "user-agent", "x-amzn-trace-id", "expect", "transfer-encoding"}

// signature is what signing produced, steps included (for tests).
type signature struct {
	canonicalRequest string
	stringToSign     string
	signature        string
}

// Sign signs req in the Authorization header. It sets X-Amz-Date,
// X-Amz-Security-Token (when there is a session token), X-Amz-Region-Set
// (SigV4a), x-amz-content-sha256 (when asked) and Authorization in
// req.Header, and signs the host and every other header present.
func (s *Signer) Sign(req *Request, opts SignOptions) error {
	_, err := s.sign(req, opts)
	return err
}

func (s *Signer) sign(req *Request, opts SignOptions) (*signature, error) {
	if err := s.check(&opts); err != nil {
		return nil, err
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	h := req.Header
	h.Del("Authorization")
	amzDate := opts.Time.UTC().Format(amzDateLayout)
	h.Set("X-Amz-Date", amzDate)
	tok := s.Credentials.SessionToken
	if tok != "" && !opts.TokenAfterSigning {
		h.Set("X-Amz-Security-Token", tok)
	}
	if opts.Algorithm == AlgorithmECDSA {
		h.Set("X-Amz-Region-Set", opts.Region)
	}
	payload := payloadFor(req, &opts)
	if opts.ContentSHA256Header {
		h.Set("X-Amz-Content-Sha256", payload)
	}
	signed := signedHeaderList(req, opts.TokenAfterSigning)
	scope := scopeFor(&opts, amzDate)
	sg, err := s.compute(req, &opts, signed, false, payload, amzDate, scope)
	if err != nil {
		return nil, err
	}
	if tok != "" && opts.TokenAfterSigning {
		h.Set("X-Amz-Security-Token", tok)
	}
	h.Set("Authorization", opts.Algorithm+" Credential="+s.Credentials.AccessKeyID+"/"+scope+
		", SignedHeaders="+signed+", Signature="+sg.signature)
	return sg, nil
}

// Presign signs req in its query string (a presigned URL): it appends the
// X-Amz-* parameters, X-Amz-Signature last, to req.RawQuery.
func (s *Signer) Presign(req *Request, opts SignOptions) error {
	_, err := s.presign(req, opts)
	return err
}

func (s *Signer) presign(req *Request, opts SignOptions) (*signature, error) {
	if err := s.check(&opts); err != nil {
		return nil, err
	}
	if opts.Expires <= 0 || opts.Expires > MaxPresignExpiry {
		return nil, errors.New("sigv4: presign Expires must be in (0, 7 days]")
	}
	amzDate := opts.Time.UTC().Format(amzDateLayout)
	scope := scopeFor(&opts, amzDate)
	tok := s.Credentials.SessionToken
	signed := signedHeaderList(req, false)
	q := []byte(req.RawQuery)
	add := func(k, v string) {
		if len(q) > 0 {
			q = append(q, '&')
		}
		q = append(append(append(q, k...), '='), appendEscaped(nil, v, false)...)
	}
	add("X-Amz-Algorithm", opts.Algorithm)
	add("X-Amz-Credential", s.Credentials.AccessKeyID+"/"+scope)
	add("X-Amz-Date", amzDate)
	add("X-Amz-SignedHeaders", signed)
	add("X-Amz-Expires", strconv.FormatInt(int64(opts.Expires/time.Second), 10))
	if tok != "" && !opts.TokenAfterSigning {
		add("X-Amz-Security-Token", tok)
	}
	if opts.Algorithm == AlgorithmECDSA {
		add("X-Amz-Region-Set", opts.Region)
	}
	req.RawQuery = string(q)
	payload := payloadFor(req, &opts)
	sg, err := s.compute(req, &opts, signed, true, payload, amzDate, scope)
	if err != nil {
		return nil, err
	}
	if tok != "" && opts.TokenAfterSigning {
		add("X-Amz-Security-Token", tok)
	}
	add("X-Amz-Signature", sg.signature)
	req.RawQuery = string(q)
	return sg, nil
}

func (s *Signer) check(opts *SignOptions) error {
	if opts.Algorithm == "" {
		opts.Algorithm = AlgorithmHMAC
	}
	if opts.Algorithm != AlgorithmHMAC && opts.Algorithm != AlgorithmECDSA {
		return errors.New("sigv4: unknown algorithm " + opts.Algorithm)
	}
	if s.Credentials.AccessKeyID == "" || s.Credentials.SecretAccessKey == "" || opts.Region == "" || opts.Service == "" {
		return errors.New("sigv4: signing needs an access key pair, a region and a service")
	}
	return nil
}

func scopeFor(opts *SignOptions, amzDate string) string {
	if opts.Algorithm == AlgorithmECDSA {
		return amzDate[:8] + "/" + opts.Service + "/" + terminator
	}
	return amzDate[:8] + "/" + opts.Region + "/" + opts.Service + "/" + terminator
}

func payloadFor(req *Request, opts *SignOptions) string {
	if opts.PayloadHash != "" {
		return opts.PayloadHash
	}
	sum := sha256.Sum256(req.Body)
	return hex.EncodeToString(sum[:])
}

// signedHeaderList is "host" and every header present but the unsigned
// ones, lower-cased, sorted, ';'-separated.
func signedHeaderList(req *Request, skipToken bool) string {
	names := []string{"host"}
	for k := range req.Header {
		n := strings.ToLower(k)
		if n == "host" || slices.Contains(unsignedHeaders, n) || (skipToken && n == "x-amz-security-token") {
			continue
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ";")
}

func (s *Signer) compute(req *Request, opts *SignOptions, signed string, presigned bool, payload, amzDate, scope string) (*signature, error) {
	in := canonicalInput{signedHeaders: signed, presigned: presigned, normalize: !opts.S3PathRules, payloadHash: []byte(payload)}
	var q querySorter
	cr := appendCanonicalRequest(nil, req, &in, &q)
	crHash := sha256.Sum256(cr)
	sts := appendStringToSign(nil, opts.Algorithm, amzDate, scope, &crHash)
	out := &signature{canonicalRequest: string(cr), stringToSign: string(sts)}
	if opts.Algorithm == AlgorithmECDSA {
		priv, err := deriveECDSAKey(s.Credentials.AccessKeyID, s.Credentials.SecretAccessKey)
		if err != nil {
			return nil, err
		}
		digest := sha256.Sum256(sts)
		der, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
		if err != nil {
			return nil, err
		}
		out.signature = hex.EncodeToString(der)
		return out, nil
	}
	key := deriveSigningKey(s.Credentials.SecretAccessKey, amzDate[:8], opts.Region, opts.Service)
	buf := append(make([]byte, 64, 64+len(sts)), sts...)
	sig := hmacPadded(&key, buf)
	out.signature = hex.EncodeToString(sig[:])
	return out, nil
}

// SignHTTP signs a client-side *http.Request (an upstream call) in its
// headers; body is what the request will send. Like aws-sdk-go-v2 it
// signs the Content-Length the transport will send (net/http writes it
// from r.ContentLength and ignores the header map's copy).
func (s *Signer) SignHTTP(r *http.Request, body []byte, opts SignOptions) error {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	if r.ContentLength > 0 && r.Header.Get("Content-Length") == "" {
		r.Header.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	}
	req := FromHTTP(r, body)
	return s.Sign(&req, opts)
}

// SignX509 signs req with SigV4-X509 as AWS's rolesanywhere-credential-helper
// does, for tests and benchmarks: it sets X-Amz-Date, X-Amz-X509 (leaf),
// X-Amz-X509-Chain (when chain is not empty) and Authorization, and signs
// the host and every other header present with key, leaf's private key
// (RSA: AWS4-X509-RSA-SHA256; ECDSA: AWS4-X509-ECDSA-SHA256), for the
// service "rolesanywhere" in region at time now.
func SignX509(req *Request, key crypto.Signer, leaf *x509.Certificate, chain []*x509.Certificate, region string, now time.Time) error {
	return SignX509Service(req, key, leaf, chain, region, ServiceRolesAnywhere, now)
}

// SignX509Service is SignX509 for the scope service service
// (ServiceRolesAnywhere or ServiceBrevet): `brevet agent` signs Brevet's
// host actions with it.
func SignX509Service(req *Request, key crypto.Signer, leaf *x509.Certificate, chain []*x509.Certificate, region, service string, now time.Time) error {
	var alg string
	switch key.Public().(type) {
	case *rsa.PublicKey:
		alg = AlgorithmX509RSA
	case *ecdsa.PublicKey:
		alg = AlgorithmX509ECDSA
	default:
		return errors.New("sigv4: SigV4-X509 signs with an RSA or ECDSA key")
	}
	if leaf == nil || region == "" || service == "" {
		return errors.New("sigv4: SigV4-X509 signing needs a certificate, a region and a service")
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	h := req.Header
	h.Del("Authorization")
	amzDate := now.UTC().Format(amzDateLayout)
	h.Set("X-Amz-Date", amzDate)
	h.Set("X-Amz-X509", base64.StdEncoding.EncodeToString(leaf.Raw))
	h.Del("X-Amz-X509-Chain")
	if len(chain) > 0 {
		parts := make([]string, len(chain))
		for i, c := range chain {
			parts[i] = base64.StdEncoding.EncodeToString(c.Raw)
		}
		h.Set("X-Amz-X509-Chain", strings.Join(parts, ","))
	}
	signed := signedHeaderList(req, false)
	scope := amzDate[:8] + "/" + region + "/" + service + "/" + terminator
	sum := sha256.Sum256(req.Body)
	in := canonicalInput{signedHeaders: signed, normalize: true, payloadHash: hex.AppendEncode(nil, sum[:])}
	var q querySorter
	crHash := sha256.Sum256(appendCanonicalRequest(nil, req, &in, &q))
	digest := sha256.Sum256(appendStringToSign(nil, alg, amzDate, scope, &crHash))
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return err
	}
	h.Set("Authorization", alg+" Credential="+leaf.SerialNumber.String()+"/"+scope+
		", SignedHeaders="+signed+", Signature="+hex.EncodeToString(sig))
	return nil
}
