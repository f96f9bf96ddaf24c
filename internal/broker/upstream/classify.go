package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// codeKinds classifies the upstream's error codes. A code absent here is
// Throttled when the SDK counts it a throttle, Unavailable on a 5xx, and
// Invalid otherwise (the upstream said what was wrong with the request).
var codeKinds = map[string]Kind{
	"AccessDenied":          Refused,
	"AccessDeniedException": Refused,
	"UnauthorizedOperation": Refused,

	"ValidationError":             Invalid,
	"MalformedPolicyDocument":     Invalid,
	"PackedPolicyTooLarge":        Invalid,
	"InvalidParameterValue":       Invalid,
	"InvalidParameterCombination": Invalid,
	"MissingParameter":            Invalid,

	// Brevet's own trust is refused: an administrator must act.
	"InvalidClientTokenId":        Credentials,
	"SignatureDoesNotMatch":       Credentials,
	"IncompleteSignature":         Credentials,
	"MissingAuthenticationToken":  Credentials,
	"InvalidIdentityToken":        Credentials,
	"IDPRejectedClaim":            Credentials,
	"IDPCommunicationError":       Credentials, // the upstream cannot fetch Brevet's keys
	"ExpiredToken":                Credentials,
	"ExpiredTokenException":       Credentials,
	"AuthFailure":                 Credentials,
	"UnrecognizedClientException": Credentials,
	"InvalidAccessKeyId":          Credentials,
	"OptInRequired":               Credentials,
	// STS is not activated in the registered region: the registration
	// (region or endpoint) must change, not the request.
	"RegionDisabledException": Credentials,
}

// throttleCodes are the codes the SDK's retryer treats as throttling.
var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"ProvisionedThroughputExceededException": true, "TransactionInProgressException": true,
	"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "LimitExceededException": true,
	"RequestThrottled": true, "SlowDown": true, "PriorRequestNotComplete": true, "EC2ThrottledException": true,
}

// classify turns the SDK's error of op into an *Error. secrets (the
// signing key's secret, the web identity token) are scrubbed from the
// upstream's message, should it echo them.
func (c *Client) classify(op string, err error, secrets ...string) *Error {
	e := classifyError(err)
	e.Account, e.Op = c.ep.AccountID, op
	e.Message = scrub(e.Message, secrets...)
	return e
}

// classifyError classifies an error of the SDK (Account and Op left empty).
func classifyError(err error) *Error {
	e := &Error{Err: err}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		e.RequestID = re.ServiceRequestID()
		e.Status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() != "" && ae.ErrorCode() != "UnknownError" {
		e.Code, e.Message = ae.ErrorCode(), ae.ErrorMessage()
		switch k, ok := codeKinds[e.Code]; {
		case ok:
			e.Kind = k
		case throttleCodes[e.Code]:
			e.Kind, e.Reason = Throttled, "throttled"
		case e.Status >= 500:
			e.Kind, e.Reason = Unavailable, httpReason(e.Status)
		default:
			e.Kind = Invalid
		}
		return e
	}
	e.Kind, e.Reason = Unavailable, transportReason(err, e.Status)
	return e
}

func httpReason(status int) string {
	if status == 0 {
		return "server error"
	}
	return "HTTP " + strconv.Itoa(status)
}

// transportReason says shortly why no readable answer came.
func transportReason(err error, status int) string {
	var (
		dns  *net.DNSError
		ne   net.Error
		uae  x509.UnknownAuthorityError
		cie  x509.CertificateInvalidError
		hne  x509.HostnameError
		rhe  tls.RecordHeaderError
		ver  *tls.CertificateVerificationError
		dser *smithy.DeserializationError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF): // cut before or within the answer
		return "connection reset"
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host"
		}
		return "DNS failure"
	case errors.As(err, &uae), errors.As(err, &cie), errors.As(err, &hne), errors.As(err, &ver):
		return "TLS certificate not trusted"
	case errors.As(err, &rhe):
		return "TLS handshake failed"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &dser):
		return "unreadable answer"
	case status >= 500:
		return httpReason(status)
	case status != 0:
		return "unreadable answer (HTTP " + strconv.Itoa(status) + ")"
	}
	return "network error"
}

func contextReason(err error) string {
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	return "timeout"
}

// scrub removes every non-empty secret from s.
func scrub(s string, secrets ...string) string {
	for _, x := range secrets {
		if x != "" {
			s = strings.ReplaceAll(s, x, "<redacted>")
		}
	}
	return s
}
