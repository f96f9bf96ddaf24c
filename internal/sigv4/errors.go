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
