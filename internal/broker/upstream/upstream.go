// Package upstream calls one upstream AWS account's STS and IAM for the
// broker (issue 18, docs/broker.md), through aws-sdk-go-v2: the SDK's
// standard retryer (backoff with jitter on Throttling and transient
// failures), a deadline on every call, a per-account rate limit, and
// every failure classified (*Error) so that the broker answers its
// caller as it should, never with a 500 or a hang.
//
// It holds no state beyond the clients and the limiter, reads no store
// and never logs or returns a secret in an error.
package upstream

import "time"

// Endpoint is one upstream account and how to reach it.
type Endpoint struct {
	// AccountID is the upstream account id (12 digits), for errors.
	AccountID string
	// STSEndpoint and IAMEndpoint are base URLs (https, or http on a
	// loopback address only); Region signs the requests.
	STSEndpoint, IAMEndpoint, Region string
	// CABundle, when set, is the PEM roots the endpoints are verified
	// with instead of the system's.
	CABundle []byte
	// Timeout bounds one call, its retries included; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts is the SDK retryer's attempts per call; zero means
	// DefaultMaxAttempts.
	MaxAttempts int
	// Rate is the calls per second this node makes to the account, with
	// Burst; zero means DefaultRate and DefaultBurst.
	Rate  float64
	Burst int
	// MaxBackoff caps the retryer's jittered backoff between attempts;
	// zero means the SDK's (20 s; the call's Timeout bounds it anyway).
	// Tests shorten it to stay fast.
	MaxBackoff time.Duration
}

// Defaults of Endpoint.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 4
	DefaultRate        = 20
	DefaultBurst       = 40
	// MaxLimiterWait is how long a call waits for the rate limit before
	// it fails as Limited without being made.
	MaxLimiterWait = time.Second
)

// Key is a long-term access key. Its String never shows the secret.
type Key struct {
	AccessKeyID, SecretAccessKey string
}

func (k Key) String() string { return k.AccessKeyID + ":<secret>" }

// Tag is a session tag.
type Tag struct{ Key, Value string }

// AssumeRoleInput is AssumeRole's (and AssumeRoleWithWebIdentity's)
// parameters. ExternalID, Tags, TransitiveTagKeys and SourceIdentity are
// AssumeRole's only (with a web identity they travel in the token).
type AssumeRoleInput struct {
	RoleARN, SessionName string
	Duration             time.Duration
	Policy               string
	PolicyARNs           []string
	ExternalID           string
	Tags                 []Tag
	TransitiveTagKeys    []string
	SourceIdentity       string
}

// FederationInput is GetFederationToken's parameters.
type FederationInput struct {
	Name       string
	Duration   time.Duration
	Policy     string
	PolicyARNs []string
	Tags       []Tag
}

// Session is what the upstream STS answered.
type Session struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
	// AssumedRoleID and ARN are the AssumedRoleUser (or FederatedUser);
	// empty for GetSessionToken.
	AssumedRoleID, ARN string
	SourceIdentity     string
	PackedPolicySize   *int32
	// RequestID is the upstream request id (x-amzn-RequestId).
	RequestID string
}

// Kind classifies a failure.
type Kind int

const (
	// Limited: this node's rate limit for the account refused the call
	// before it was made (the caller may retry: Throttling).
	Limited Kind = iota + 1
	// Refused: the upstream said no to the request (AccessDenied).
	Refused
	// Invalid: the upstream found the request invalid, for a reason the
	// caller can fix (ValidationError, MalformedPolicyDocument,
	// PackedPolicyTooLarge, InvalidParameterValue); Code keeps its code.
	Invalid
	// Credentials: the upstream refused Brevet's own trust (the key is
	// unknown, inactive or deleted; the token or provider is refused:
	// InvalidClientTokenId, SignatureDoesNotMatch, InvalidIdentityToken,
	// IDPRejectedClaim, ...). An operator must act.
	Credentials
	// Throttled: the upstream kept throttling after every retry.
	Throttled
	// Unavailable: no answer in time, connection reset or refused, 5xx,
	// or an answer that could not be read.
	Unavailable
)

// Error is every failure of a call.
type Error struct {
	Account string // upstream account id
	Op      string // "AssumeRole", "CreateAccessKey", ...
	Kind    Kind
	// Code, Message and RequestID are the upstream's, when it answered.
	Code, Message, RequestID string
	// Status is the HTTP status of the upstream's answer, 0 without one.
	Status int
	// Reason says shortly why an Unavailable (or Throttled) call failed:
	// "timeout", "connection reset", "connection refused", "HTTP 503",
	// "unreadable answer", ... It never holds a URL or a secret.
	Reason string
	// Err is the SDK's error, for errors.Is (context.DeadlineExceeded, ...).
	// Error never shows it: its text may hold URLs and the SDK's detail.
	Err error
}

func (e *Error) Error() string {
	s := "upstream " + e.Account + " " + e.Op
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// String is the kind's name in lower case ("limited", "refused", ...), as
// metrics label an outcome.
func (k Kind) String() string {
	switch k {
	case Limited:
		return "limited"
	case Refused:
		return "refused"
	case Invalid:
		return "invalid"
	case Credentials:
		return "credentials"
	case Throttled:
		return "throttled"
	case Unavailable:
		return "unavailable"
	}
	return "unknown"
}
