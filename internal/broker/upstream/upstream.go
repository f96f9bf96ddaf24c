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

import (
	"context"
	"errors"
	"time"
)

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
}

// Defaults of Endpoint.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 4
	DefaultRate        = 20
	DefaultBurst       = 40
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
	Err                      error
}

func (e *Error) Error() string {
	s := "upstream " + e.Account + " " + e.Op
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil && e.Code == "" {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

var errTODO = errors.New("upstream: not implemented")

// Client calls one upstream account. It is safe for concurrent use.
type Client struct {
	ep Endpoint
}

// New builds the SDK clients for e.
func New(e Endpoint) (*Client, error) { return &Client{ep: e}, nil }

// AssumeRole calls AssumeRole signed with k.
func (c *Client) AssumeRole(ctx context.Context, k Key, in AssumeRoleInput) (*Session, error) {
	return nil, errTODO
}

// AssumeRoleWithWebIdentity calls AssumeRoleWithWebIdentity (unsigned)
// with token.
func (c *Client) AssumeRoleWithWebIdentity(ctx context.Context, token string, in AssumeRoleInput) (*Session, error) {
	return nil, errTODO
}

// GetSessionToken calls GetSessionToken signed with k.
func (c *Client) GetSessionToken(ctx context.Context, k Key, d time.Duration) (*Session, error) {
	return nil, errTODO
}

// GetFederationToken calls GetFederationToken signed with k.
func (c *Client) GetFederationToken(ctx context.Context, k Key, in FederationInput) (*Session, error) {
	return nil, errTODO
}

// CallerIdentity calls GetCallerIdentity signed with k and returns the
// caller's ARN.
func (c *Client) CallerIdentity(ctx context.Context, k Key) (string, error) {
	return "", errTODO
}

// CreateAccessKey creates a key for user ("" = the key's own user),
// signed with k.
func (c *Client) CreateAccessKey(ctx context.Context, k Key, user string) (Key, error) {
	return Key{}, errTODO
}

// DeleteAccessKey deletes user's key keyID, signed with k.
func (c *Client) DeleteAccessKey(ctx context.Context, k Key, user, keyID string) error {
	return errTODO
}
