package sts

import (
	"context"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// Broker is the credential broker as AssumeRole sees it (package broker,
// issue 18, docs/broker.md): a role ARN whose account is a registered
// upstream account is not a Brevet role but an upstream one, which Brevet
// authorizes with its own policies and then assumes upstream.
type Broker interface {
	// Handles reports whether account is a registered upstream account.
	// It does no I/O: it is asked on every AssumeRole.
	Handles(account string) bool
	// Role returns the brokered role registered for arn (matched exactly,
	// path and case included). A role not registered is an error
	// wrapping store.ErrNotFound.
	Role(ctx context.Context, arn string) (*BrokeredRole, error)
	// SessionPolicy returns the session policy to pass upstream for a
	// caller who passed policy (already size-checked and parsed by STS;
	// "" for none) and policyARNs (passed on as given, never looked up in
	// Brevet), once Brevet has authorized the caller. Without a ceiling
	// (role.SessionPolicy == "") it returns policy. With one: no policy and
	// no policyARNs → the ceiling; policy → the caller's statements plus
	// the ceiling's Deny statements if broker.Narrower proves policy no
	// wider; policyARNs → refused (they cannot be proven narrower). A
	// refusal is an *AccessDeniedError (this package) with the contract's
	// text ("The session policy grants more than the brokered role
	// allows: ..."), returned to the caller as it is.
	SessionPolicy(role *BrokeredRole, policy string, policyARNs []string) (string, error)
	// SourceIdentity is the source identity passed upstream for a caller
	// who neither requested one nor inherited one (broker.SourceIdentity:
	// NAME@ACCOUNT, ROLE.SESSION, federated.NAME, within AWS's pattern
	// and 64 characters).
	SourceIdentity(p *identity.Principal) string
	// AssumeRole assumes the role upstream once Brevet has authorized
	// the caller. Its errors are the broker's own (mapped by its
	// WireError): the upstream refused, timed out, was throttled.
	AssumeRole(ctx context.Context, in *BrokerAssumeInput, now time.Time) (*BrokerSession, error)
}

// BrokeredRole is an upstream role as Brevet authorizes it.
type BrokeredRole struct {
	// Role is the Brevet-side view: the upstream ARN, the Brevet-side
	// trust policy (bound like a role's), MaxSessionDuration. Its Account
	// is the upstream account id.
	Role *authz.Role
	// SessionPolicy is the ceiling the broker passes upstream when the
	// caller passes no session policy; a caller's session policy must be
	// no wider (broker.Narrower). "" for none.
	SessionPolicy string
}

// BrokerAssumeInput is a brokered AssumeRole once Brevet authorized it.
type BrokerAssumeInput struct {
	Role *BrokeredRole
	// Caller is who asked: the token's sub (OIDC trust) and the cache key.
	Caller *identity.Principal
	// SessionName is the caller's RoleSessionName, passed on.
	SessionName string
	Duration    time.Duration
	// Policy and PolicyARNs are the caller's session policies, passed on
	// (Policy already narrowed against the role's SessionPolicy).
	Policy     string
	PolicyARNs []string
	// Tags (inherited transitive ones first) and TransitiveTagKeys are
	// passed on as session tags.
	Tags              []credential.Tag
	TransitiveTagKeys []string
	// SourceIdentity is always set: the caller's (requested or inherited)
	// or one derived from the caller (broker.SourceIdentity).
	SourceIdentity string
}

// BrokerSession is what the upstream STS answered.
type BrokerSession struct {
	Credentials stsapi.Credentials
	// AssumedRoleID and AssumedRoleARN are the upstream AssumedRoleUser.
	AssumedRoleID, AssumedRoleARN string
	SourceIdentity                string
	PackedPolicySize              *int32
	// Upstream is the audit's record of the upstream call.
	Upstream request.UpstreamSession
}
