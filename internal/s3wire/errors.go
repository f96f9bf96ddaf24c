package s3wire

import (
	"errors"
	"fmt"
)

// Code is one entry of the catalogue of S3 wire errors: the code S3 puts in
// <Code>, the HTTP status it sends with it, and the message S3 uses when it
// has nothing more specific to say. Codes are compared by pointer; the
// catalogue below is the only place an S3 error code is spelled.
type Code struct {
	// Name is the S3 error code, as in <Code>.
	Name string
	// Status is the HTTP status code S3 documents for it.
	Status int
	// Message is S3's generic message for the code.
	Message string
}

// New returns an error with this code and a message that is safe to send to
// the client. An empty message means the code's own.
func (c *Code) New(message string) *Error {
	if message == "" {
		message = c.Message
	}
	return &Error{Code: c, Message: message}
}

// Errorf is New with a format. Never format internal detail into it.
func (c *Code) Errorf(format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// MsgSigV2 is S3's answer (InvalidRequest, 400) to a request signed with
// Signature Version 2 ("AWS AKID:sig" or a Signature= query parameter) in a
// region that accepts only SigV4, which is what the gateway is.
const MsgSigV2 = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."

// The codes an S3 gateway needs, with the statuses of S3's "Error
// responses" page (Amazon S3 API Reference, List of error codes).
var (
	CodeAccessDenied                      = &Code{"AccessDenied", 403, "Access Denied"}
	CodeAuthorizationHeaderMalformed      = &Code{"AuthorizationHeaderMalformed", 400, "The authorization header that you provided is not valid."}
	CodeAuthorizationQueryParametersError = &Code{"AuthorizationQueryParametersError", 400, "The authorization query parameters that you provided are not valid."}
	CodeBadDigest                         = &Code{"BadDigest", 400, "The Content-MD5 you specified did not match what we received."}
	CodeEntityTooLarge                    = &Code{"EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed object size."}
	CodeExpiredToken                      = &Code{"ExpiredToken", 400, "The provided token has expired."}
	CodeIncompleteBody                    = &Code{"IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header."}
	CodeInternalError                     = &Code{"InternalError", 500, "We encountered an internal error. Please try again."}
	CodeInvalidAccessKeyID                = &Code{"InvalidAccessKeyId", 403, "The AWS access key ID that you provided does not exist in our records."}
	CodeInvalidArgument                   = &Code{"InvalidArgument", 400, "Invalid Argument"}
	CodeInvalidBucketName                 = &Code{"InvalidBucketName", 400, "The specified bucket is not valid."}
	CodeInvalidDigest                     = &Code{"InvalidDigest", 400, "The Content-MD5 you specified is not valid."}
	CodeInvalidRequest                    = &Code{"InvalidRequest", 400, "Invalid Request"}
	CodeInvalidTag                        = &Code{"InvalidTag", 400, "The TagValue you have provided is invalid"}
	CodeInvalidToken                      = &Code{"InvalidToken", 400, "The provided token is malformed or otherwise not valid."}
	CodeInvalidURI                        = &Code{"InvalidURI", 400, "Couldn't parse the specified URI."}
	CodeKeyTooLongError                   = &Code{"KeyTooLongError", 400, "Your key is too long"}
	CodeMalformedPolicy                   = &Code{"MalformedPolicy", 400, "Policies must be valid JSON and the first byte must be '{'"}
	CodeMalformedXML                      = &Code{"MalformedXML", 400, "The XML you provided was not well-formed or did not validate against our published schema."}
	CodeMethodNotAllowed                  = &Code{"MethodNotAllowed", 405, "The specified method is not allowed against this resource."}
	CodeMissingSecurityHeader             = &Code{"MissingSecurityHeader", 400, "Your request is missing a required header."}
	CodeNoSuchBucket                      = &Code{"NoSuchBucket", 404, "The specified bucket does not exist"}
	CodeNoSuchBucketPolicy                = &Code{"NoSuchBucketPolicy", 404, "The bucket policy does not exist"}
	CodeNoSuchKey                         = &Code{"NoSuchKey", 404, "The specified key does not exist."}
	CodeNotImplemented                    = &Code{"NotImplemented", 501, "A header you provided implies functionality that is not implemented."}
	CodeRequestTimeTooSkewed              = &Code{"RequestTimeTooSkewed", 403, "The difference between the request time and the current time is too large."}
	CodeServiceUnavailable                = &Code{"ServiceUnavailable", 503, "Service is unable to handle request."}
	CodeSignatureDoesNotMatch             = &Code{"SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	CodeSlowDown                          = &Code{"SlowDown", 503, "Please reduce your request rate."}
	CodeXAmzContentSHA256Mismatch         = &Code{"XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed."}
)

// Catalogue lists every code above, for tests and documentation.
func Catalogue() []*Code {
	return []*Code{
		CodeAccessDenied, CodeAuthorizationHeaderMalformed, CodeAuthorizationQueryParametersError,
		CodeBadDigest, CodeEntityTooLarge, CodeExpiredToken, CodeIncompleteBody, CodeInternalError,
		CodeInvalidAccessKeyID, CodeInvalidArgument, CodeInvalidBucketName, CodeInvalidDigest,
		CodeInvalidRequest, CodeInvalidTag, CodeInvalidToken, CodeInvalidURI, CodeKeyTooLongError, CodeMalformedPolicy,
		CodeMalformedXML, CodeMethodNotAllowed, CodeMissingSecurityHeader, CodeNoSuchBucket,
		CodeNoSuchBucketPolicy, CodeNoSuchKey, CodeNotImplemented, CodeRequestTimeTooSkewed, CodeServiceUnavailable,
		CodeSignatureDoesNotMatch, CodeSlowDown, CodeXAmzContentSHA256Mismatch,
	}
}

// Error is an S3 wire error: what the client sees in <Error>. Every field
// but Cause is client-safe by construction and written to the wire; Cause
// carries internal detail for logs and is never written.
//
// There is deliberately no field for <StringToSign>, <CanonicalRequest> or
// <SignatureProvided>, which S3 adds to SignatureDoesNotMatch: echoing
// signing material helps an attacker more than a client, so the gateway
// never sends it.
type Error struct {
	Code    *Code
	Message string
	// Resource is the bucket or object the error concerns, as S3 writes it
	// in <Resource> (e.g. "/bucket/key"); omitted when empty.
	Resource string
	// BucketName and Key are the optional fields S3 adds for some codes
	// (NoSuchBucket, InvalidBucketName; NoSuchKey, KeyTooLongError);
	// omitted when empty.
	BucketName string
	Key        string
	Cause      error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code.Name + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code.Name + ": " + e.Message
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Cause }

// ToWire returns the wire error err carries (found with errors.As), or an
// InternalError whose Cause is err: anything not mapped to a code is a bug,
// and its text never reaches the client.
func ToWire(err error) *Error {
	var we *Error
	if errors.As(err, &we) && we.Code != nil {
		return we
	}
	return &Error{Code: CodeInternalError, Message: CodeInternalError.Message, Cause: err}
}
