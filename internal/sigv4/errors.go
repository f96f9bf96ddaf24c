package sigv4

import "fmt"

// Kind classifies why a request failed authentication. Each Kind maps to one
// AWS error code in package awsquery.
type Kind int

// The kinds of authentication failure.
const (
	// KindIncompleteSignature: the Authorization header or presign query is
	// malformed or misses a component (AWS: IncompleteSignature).
	KindIncompleteSignature Kind = iota + 1
	// KindSignatureDoesNotMatch: the signature is well-formed but wrong
	// (AWS: SignatureDoesNotMatch).
	KindSignatureDoesNotMatch
	// KindInvalidClientTokenID: the access key id is unknown, or a session
	// token is invalid (AWS: InvalidClientTokenId).
	KindInvalidClientTokenID
	// KindExpiredToken: the session token has expired (AWS: ExpiredToken).
	KindExpiredToken
	// KindMissingAuthenticationToken: the request is not signed at all
	// (AWS: MissingAuthenticationToken).
	KindMissingAuthenticationToken
	// KindAccessDenied: a presigned URL has expired, or the request is
	// otherwise refused (AWS: AccessDenied).
	KindAccessDenied
	// KindRequestExpired: the request time is outside the allowed clock
	// skew (AWS: SignatureDoesNotMatch with the "Signature expired" text
	// for the Query protocol; RequestTimeTooSkewed for S3).
	KindRequestExpired
	// KindInvalidScope: the credential scope's date, region or service
	// does not agree with the request or the server (AWS:
	// SignatureDoesNotMatch / IncompleteSignature with the scope text).
	KindInvalidScope
	// KindContentSHA256Mismatch: the x-amz-content-sha256 header does not
	// match the body (AWS S3: XAmzContentSHA256Mismatch).
	KindContentSHA256Mismatch
	// KindIncompleteBody: an aws-chunked body is malformed or shorter or
	// longer than declared (AWS S3: IncompleteBody).
	KindIncompleteBody
	// KindBadDigest: a trailing checksum (x-amz-checksum-*) does not match
	// the decoded body (AWS S3: BadDigest).
	KindBadDigest
)

func (k Kind) String() string {
	switch k {
	case KindIncompleteSignature:
		return "IncompleteSignature"
	case KindSignatureDoesNotMatch:
		return "SignatureDoesNotMatch"
	case KindInvalidClientTokenID:
		return "InvalidClientTokenId"
	case KindExpiredToken:
		return "ExpiredToken"
	case KindMissingAuthenticationToken:
		return "MissingAuthenticationToken"
	case KindAccessDenied:
		return "AccessDenied"
	case KindRequestExpired:
		return "RequestExpired"
	case KindInvalidScope:
		return "InvalidScope"
	case KindContentSHA256Mismatch:
		return "ContentSHA256Mismatch"
	case KindIncompleteBody:
		return "IncompleteBody"
	case KindBadDigest:
		return "BadDigest"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is an authentication failure. Message is safe to send to the client:
// it is written in AWS's words and never contains a secret, a signing key or
// the signature the server expected.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Kind.String() + ": " + e.Message }

func errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// AWS's own texts for the failures that have a fixed message.
const (
	msgSignatureDoesNotMatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgMissingAuthenticationToken = "Request is missing Authentication Token"
	msgPresignExpired             = "Request has expired"
	msgPresignNotYetValid         = "Request is not valid yet"
	msgHostNotSigned              = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgContentSHA256Mismatch      = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgTwoMechanisms              = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, " +
		"Signature query string parameter or the Authorization header should be specified"
)

func errSignatureDoesNotMatch() *Error {
	return &Error{Kind: KindSignatureDoesNotMatch, Message: msgSignatureDoesNotMatch}
}
