package sigv4

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// ServiceRolesAnywhere is the signing name of IAM Roles Anywhere, whose
// CreateSession is signed with SigV4-X509.
const ServiceRolesAnywhere = "rolesanywhere"

// ServiceBrevet is the signing name of Brevet's own host actions
// (GetHostCredentials, WaitHostChange), signed with SigV4-X509 by an
// enrolled host's key.
const ServiceBrevet = "brevet"

// maxX509Signature bounds a SigV4-X509 signature, in bytes: an RSA-8192
// signature is 1024.
const maxX509Signature = 1024

// x509Services are the scope services SigV4-X509 may be signed for.
var x509Services = []string{ServiceRolesAnywhere, ServiceBrevet}

// x509Scope is the scope service a Verifier accepts for SigV4-X509: the
// one of x509Services among its configured Services ("rolesanywhere" for
// a Verifier configured with neither).
func (v *Verifier) x509Scope() []string {
	for _, s := range v.cfg.Services {
		if contains(x509Services, s) {
			return []string{s}
		}
	}
	return x509Services[:1]
}

// VerifyX509 checks a SigV4-X509 request (AWS4-X509-RSA-SHA256 or
// AWS4-X509-ECDSA-SHA256, as AWS's rolesanywhere-credential-helper
// signs IAM Roles Anywhere's CreateSession): the scope (service
// "rolesanywhere", or "brevet" for a Verifier configured with
// ServiceBrevet, and a region the Verifier serves), the clock with Verify's
// skew rules, that the certificate headers are signed, that leaf is the
// certificate of X-Amz-X509 and carries the credential's serial number,
// the payload hash, and the signature with leaf's public key, whose type
// must be the algorithm's.
//
// The caller decodes X-Amz-X509 (a.X509) into leaf and verifies leaf's
// chain of trust; VerifyX509 proves only that the request was signed
// with leaf's key. Failures are *Error; a key or algorithm that does not
// fit is KindSignatureDoesNotMatch.
func (v *Verifier) VerifyX509(req *Request, a *Auth, leaf *x509.Certificate, now time.Time) error {
	if !isX509(a.Algorithm) {
		return errorf(KindIncompleteSignature, "Unsupported AWS 'algorithm': '%s'", a.Algorithm)
	}
	if err := v.checkScope(a, v.x509Scope()); err != nil {
		return err
	}
	if err := v.checkTime(a, now); err != nil {
		return err
	}
	if !listHas(a.SignedHeaders, ';', "x-amz-x509") {
		return errorf(KindIncompleteSignature, "'x-amz-x509' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if a.X509Chain != "" && !listHas(a.SignedHeaders, ';', "x-amz-x509-chain") {
		return errorf(KindIncompleteSignature, "'x-amz-x509-chain' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if leaf == nil || leaf.SerialNumber == nil {
		return errSignatureDoesNotMatch()
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
	default: // an unsigned or streamed body is not what a session is asked with
		return errSignatureDoesNotMatch()
	}

	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	s.buf = base64.StdEncoding.AppendEncode(s.buf[:0], leaf.Raw)
	if string(s.buf) != a.X509 {
		return errorf(KindSignatureDoesNotMatch, "The certificate does not match the X-Amz-X509 header.")
	}
	if a.Serial != leaf.SerialNumber.String() {
		return errorf(KindSignatureDoesNotMatch, "The serial number in the Credential does not match the certificate in X-Amz-X509.")
	}
	in := canonicalInput{signedHeaders: a.SignedHeaders, normalize: !v.cfg.S3PathRules, payloadHash: payload}
	s.buf = appendCanonicalRequest(s.buf[:0], req, &in, &s.q)
	crHash := sha256.Sum256(s.buf)
	s.buf = appendStringToSign(s.buf[:0], a.Algorithm, a.AmzDate, a.Scope, &crHash)
	digest := sha256.Sum256(s.buf)
	sig, err := hex.DecodeString(a.Signature)
	if err != nil {
		return errSignatureDoesNotMatch()
	}
	return verifyX509Signature(a.Algorithm, leaf.PublicKey, digest[:], sig)
}

// verifyX509Signature checks sig over digest with pub, whose type must
// be the one alg names.
func verifyX509Signature(alg string, pub crypto.PublicKey, digest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if alg != AlgorithmX509RSA {
			break
		}
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig) != nil {
			return errSignatureDoesNotMatch()
		}
		return nil
	case *ecdsa.PublicKey:
		if alg != AlgorithmX509ECDSA {
			break
		}
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return errSignatureDoesNotMatch()
		}
		return nil
	}
	return errorf(KindSignatureDoesNotMatch, "The signing algorithm %s does not fit the certificate's key.", alg)
}
