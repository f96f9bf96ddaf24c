// Package request is the pipeline's protocol-free contract: who is calling
// (Principal), what they call (Operation and its Effect), what to authorize
// (AuthzRequest, Target, Decision), what an action issued (Issuance), and
// what is audited (Record). It also owns the pipeline itself (Pipeline):
// authenticate, authorize, act, commit, audit, the same steps for every
// protocol.
//
// It imports no wire codec. A codec (awsquery for the Query protocol,
// audit/lookup for CloudTrail's JSON 1.1) reads the request into a typed
// input, drives the Pipeline through a Call, and writes the response or
// the protocol's error; authn, authz and audit implement the steps'
// interfaces and know nothing of wire formats. Denials are one typed
// error, AccessDeniedError, whose sentence is built here and nowhere else.
package request

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"io"
	"net/http"
	"time"

	"github.com/brevet-dev/brevet/internal/policy"
)

// Principal is the authenticated caller, as the Authenticator established
// it. The pipeline only needs its ARN (for AccessDenied messages and audit
// records); handlers and the Authorizer type-assert to the concrete type
// they share with the Authenticator (identity.Principal).
type Principal interface {
	ARN() string
}

// Effect is what an action does to Brevet's state, declared by its
// handler. Decisions that depend on it (whether the store must be up,
// whether caches are synced after it, CloudTrail's readOnly, the
// credential metrics) are taken from it, never from the action's name.
type Effect uint8

// The effects. The zero value is no effect at all: registration refuses a
// handler that does not declare one.
const (
	// ReadOnly actions change nothing.
	ReadOnly Effect = iota + 1
	// Writes actions change the store (IAM changes, revocations).
	Writes
	// IssuesCredentials actions mint credentials and say so with an
	// Issuance; they write too (the issuance is indexed).
	IssuesCredentials
)

// Valid reports whether e is one of the declared effects.
func (e Effect) Valid() bool { return e >= ReadOnly && e <= IssuesCredentials }

// Writes reports whether an action of this effect changes state.
func (e Effect) Writes() bool { return e == Writes || e == IssuesCredentials }

func (e Effect) String() string {
	switch e {
	case ReadOnly:
		return "ReadOnly"
	case Writes:
		return "Writes"
	case IssuesCredentials:
		return "IssuesCredentials"
	}
	return "NoEffect"
}

// Operation names one action, whatever its protocol: made once when the
// action is registered, shared by all its requests.
type Operation struct {
	// Service is the service's signing and event-source name ("sts",
	// "iam", "cloudtrail", "brevet").
	Service string
	// Version is the API version the action belongs to ("2011-06-15").
	Version string
	// Name is the action ("AssumeRole").
	Name string
	// Action is the IAM action name ("sts:AssumeRole").
	Action string
	// Unsigned actions may be called without a signature; the
	// Authenticator still sees them and decides.
	Unsigned bool
	// Effect is what the action does.
	Effect Effect
}

// AuthnRequest is what an Authenticator sees: the HTTP request (headers,
// URL), the body already read, and the action being called.
type AuthnRequest struct {
	HTTP *http.Request
	Body []byte
	// Stream, when set, is a body not yet read (an S3 upload): Body is
	// then empty, and an Authenticator that accepts streamed bodies
	// replaces Stream with a reader that verifies the body as it is read
	// (aws-chunked chunk signatures, trailers, the declared payload hash)
	// and fails at the first byte that does not match.
	Stream io.Reader
	// Operation is nil when the request names no known action.
	Operation *Operation
	Now       time.Time
}

// Authenticator establishes who is calling. It returns a typed error when
// the request is not authentic. For Unsigned operations an unsigned
// request is normal: the Authenticator returns an anonymous principal and
// the action verifies its own assertion.
type Authenticator interface {
	Authenticate(ctx context.Context, req *AuthnRequest) (Principal, error)
}

// AuthzRequest asks whether Principal may perform Action on Resource.
type AuthzRequest struct {
	Principal Principal
	// Action is the IAM action name, "sts:AssumeRole".
	Action string
	// Resource and Context come from the action's Target.
	Resource string
	Context  map[string][]string
	// ResourceAccount is the account that owns Resource when its ARN does
	// not say (S3 ARNs carry no account); "" takes it from the ARN.
	ResourceAccount string
	// ResourcePolicy is the resource's own policy (a bucket policy),
	// evaluated with the caller's policies as AWS does; nil for none.
	ResourcePolicy *policy.Compiled
	// Request facts for global condition keys.
	Now             time.Time
	SourceIP        string
	UserAgent       string
	SecureTransport bool
}

// Decision is the Authorizer's answer. Reason, when set, completes AWS's
// AccessDenied message after "because", e.g. "no identity-based policy
// allows the sts:AssumeRole action", or, when ExplicitDeny is set, after
// "with", e.g. "an explicit deny in an identity-based policy".
// EncodedMessage, when set, is the sealed explanation of a denial that
// only sts:DecodeAuthorizationMessage can read.
type Decision struct {
	Allowed        bool
	Reason         string
	ExplicitDeny   bool
	EncodedMessage string
}

// Authorizer evaluates policies. An error means the decision could not be
// made (it fails the request); a denial is Decision{Allowed: false}.
type Authorizer interface {
	Authorize(ctx context.Context, req *AuthzRequest) (Decision, error)
}

// PrincipalChecker confirms, for every request, that the principal behind
// its credentials still exists: a temporary credential outlives nothing it
// was made from (its user or role, the sessions it was chained from). The
// Pipeline calls it right after authentication, whatever the action, also
// for actions that authorize themselves or need no authorization
// (GetCallerIdentity). An error fails the request; a credential whose
// principal is gone is an authentication failure, worded by the checker's
// typed error (authz.Authorizer is one).
type PrincipalChecker interface {
	CheckPrincipal(ctx context.Context, p Principal, now time.Time) error
}

// Target is what an action touches, for authorization: the resource ARN
// ("*" for actions without a resource) and action-specific condition keys
// (for example sts:ExternalId, aws:RequestTag/...).
type Target struct {
	// Action, when set, is the IAM action to authorize instead of the
	// operation's own (an S3 CopyObject needs s3:GetObject on its source
	// and s3:PutObject on its target).
	Action   string
	Resource string
	Context  map[string][]string
	// ResourceAccount and ResourcePolicy are AuthzRequest's.
	ResourceAccount string
	ResourcePolicy  *policy.Compiled
	// Unnamed leaves the resource out of the AccessDenied sentence, as
	// services without resource-level permissions word it (CloudTrail's
	// LookupEvents).
	Unnamed bool
}

// Issuance is what an action that issues credentials minted, as a typed
// fact: the commit step indexes it and the metrics count it, without
// reading it back out of the response.
type Issuance struct {
	// Kind is the action that issued it ("AssumeRole"), or "AccessKey"
	// for a long-term key.
	Kind string
	// AccessKeyID is the new credentials' key id.
	AccessKeyID string
	// Expires is when temporary credentials expire; zero for long-term keys.
	Expires time.Time
	// Issued is when they were minted.
	Issued time.Time
	// Account is the account the credentials act in.
	Account string
	// PrincipalARN is the principal the session belongs to (the role, or
	// the user); SessionARN the session's own ARN; SessionName its name.
	PrincipalARN, SessionARN, SessionName string
	// ParentAccessKeyID is the key that signed the issuing request;
	// RootAccessKeyID the long-term key at the root of the chain.
	ParentAccessKeyID, RootAccessKeyID string
	// SourceIP is the issuing request's source address.
	SourceIP string
	// Upstream is set when the credentials are an upstream cloud's, which
	// the broker obtained (issue 18): they are audited, with the upstream
	// facts, but they are not Brevet's, so the issuance index does not
	// hold them (Brevet can neither verify nor revoke them).
	Upstream *UpstreamSession
}

// UpstreamSession is what the broker obtained from an upstream account's
// STS, for the audit trail (additionalEventData.upstream). Never a
// secret: the access key id is public, as in responseElements.
type UpstreamSession struct {
	// Account is the upstream account id; Action the upstream STS action
	// called (AssumeRole, AssumeRoleWithWebIdentity, GetSessionToken,
	// GetFederationToken); RequestID the upstream's request id (the one
	// its CloudTrail event carries).
	Account, Action, RequestID string
	// RoleARN is the upstream role (empty for GetSessionToken and
	// GetFederationToken); SessionARN the upstream assumed-role or
	// federated-user ARN.
	RoleARN, SessionARN string
	// SourceIdentity is the source identity set upstream, which AWS's own
	// CloudTrail records on every use of the session.
	SourceIdentity string
	// AccessKeyID is the upstream credentials' key id; Expires when they
	// expire.
	AccessKeyID string
	Expires     time.Time
	// Cached is true when the credentials came from the broker's cache
	// (RequestID is then the original call's).
	Cached bool
}

// Temporary reports whether the issuance is a session (it expires).
func (i *Issuance) Temporary() bool { return !i.Expires.IsZero() }

// Record is one request, whatever its outcome, for the audit trail.
// Secrets never enter it: parameters and response elements of sensitive
// shapes are replaced with HiddenValue, and bearer assertions
// (WebIdentityToken, SAMLAssertion) with their SHA-256.
type Record struct {
	RequestID string
	// Service and Action are empty when the request named no known action.
	Service, Action, Version string
	// Effect is the action's declared effect; zero when the request named
	// no known action.
	Effect Effect
	// Principal is nil when authentication failed or did not happen.
	Principal Principal
	SourceIP  string
	UserAgent string
	// Host is the request's Host header and TLS its connection state (nil
	// for plain HTTP), for the event's tlsDetails.
	Host     string
	TLS      *tls.ConnectionState
	Start    time.Time
	Duration time.Duration
	// RequestParameters is the decoded input, keyed by lowerCamelCase
	// member names as CloudTrail does; nil when decoding failed.
	RequestParameters map[string]any
	// ResponseElements is the output on success, same form.
	ResponseElements map[string]any
	// Issued is what the request issued, if it succeeded and issued
	// credentials.
	Issued *Issuance
	// Status is the HTTP status sent; ErrorCode and ErrorMessage are the
	// wire error, if any.
	Status       int
	ErrorCode    string
	ErrorMessage string
	// Err is the original error, for logs; it may carry internal detail
	// and must not be shown to clients.
	Err error
	// Category is the event's category: "" for a management event (a
	// call to Brevet's own APIs), CategoryData for a data event (a request
	// to another service that Brevet authorized: the S3 gateway, the
	// authorization API).
	Category string
	// Resources are what a data event touched (bucket and object ARNs),
	// in CloudTrail's resources form; management events derive theirs
	// from their parameters.
	Resources []Resource
	// BytesIn and BytesOut are the body bytes a data event carried in and
	// out (CloudTrail's bytesTransferredIn and bytesTransferredOut).
	BytesIn, BytesOut int64
	// Refused counts the parts of a request that succeeded as a whole but
	// were refused one by one (the keys of an S3 DeleteObjects Brevet did
	// not allow). Such a request is audited like a refusal: whatever the
	// data-event selectors say.
	Refused int
	// Details are protocol facts for the event's additionalEventData
	// (S3: SignatureVersion, AuthenticationMethod, CipherSuite); never a
	// secret.
	Details map[string]string
	// PresentedKeyID is the access key id the request presented (its
	// SigV4 credential), whether or not it authenticated; "" when it
	// presented none or no Limiter looked.
	PresentedKeyID string
}

// CategoryData is Record.Category for data events.
const CategoryData = "Data"

// Resource is one resource a data event touched: its CloudTrail type
// ("AWS::S3::Object", "AWS::S3::Bucket") and ARN.
type Resource struct {
	Type, ARN string
}

// HiddenValue replaces sensitive values in audit records (CloudTrail's
// wording).
const HiddenValue = "HIDDEN_DUE_TO_SECURITY_REASONS"

// Auditor makes a record durable. The pipeline calls it exactly once per
// request, including requests that fail authentication or validation,
// before the response is written. If it returns an error the request fails
// with ServiceUnavailable: auditing fails closed.
type Auditor interface {
	Audit(ctx context.Context, rec *Record) error
}

// Committer is a step after a successful action and before its audit
// event: indexing what it issued, syncing caches after it wrote. An error
// fails the request closed (the response becomes the error, and the audit
// event says so); a step that must not fail a request logs instead.
type Committer interface {
	Commit(ctx context.Context, x *Exchange) error
}

// CommitFunc is a Committer made of a function.
type CommitFunc func(ctx context.Context, x *Exchange) error

// Commit calls f.
func (f CommitFunc) Commit(ctx context.Context, x *Exchange) error { return f(ctx, x) }

// Observer sees every finished request's record after it was audited:
// metrics and access-log labels. It cannot fail a request.
type Observer interface {
	Observe(ctx context.Context, rec *Record)
}

// ObserveFunc is an Observer made of a function.
type ObserveFunc func(ctx context.Context, rec *Record)

// Observe calls f.
func (f ObserveFunc) Observe(ctx context.Context, rec *Record) { f(ctx, rec) }

type (
	requestIDKey struct{}
	principalKey struct{}
)

// WithRequestID returns a context carrying the request id, so a server
// middleware that assigns ids first can hand its id to the codecs.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// IDFromContext returns the request id, or "".
func IDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// PrincipalFromContext returns the authenticated principal of the request
// being served (in handlers and the Authorizer), or nil.
func PrincipalFromContext(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

// NewID returns a random request id in AWS's format, a version 4 UUID in
// lower case.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
