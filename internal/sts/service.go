package sts

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// Store is what the service reads and writes: roles (RoleLastUsed), MFA
// devices (TOTP replay protection) and attempts (throttling) and managed
// policies (session
// PolicyArns must exist). A store.Store satisfies it.
type Store interface {
	Roles() store.Roles
	MFADevices() store.MFADevices
	MFAAttempts() store.MFAAttempts
	Policies() store.Policies
}

// Config configures a Service.
type Config struct {
	Store     Store
	TokenKeys *credential.TokenKeyRing
	Authz     *authz.Authorizer
	// Secrets opens MFA device seeds (the master key ring); they are
	// sealed with MFASeedPurpose.
	Secrets credential.Opener
	// Rand is the source of access key ids, secrets and nonces;
	// crypto/rand when nil.
	Rand io.Reader
	// Region is recorded as RoleLastUsed's region ("us-east-1" when empty).
	Region string
	// Federation configures the web identity, SAML and outbound token
	// actions (federation.go).
	Federation FederationConfig
	// MFA throttles MFA codes (mfa.go); zero fields take the defaults.
	MFA MFALimits
	// Broker is the credential broker (broker.go): AssumeRole of a role
	// in a registered upstream account goes through it. nil: no broker.
	Broker Broker
}

// MFASeedPurpose is the additional data a virtual MFA device's seed is
// sealed with; it must equal the IAM service's (iamservice.MFASeedPurpose).
func MFASeedPurpose(serial string) string { return "mfa-seed:" + serial }

// Service implements the STS actions.
type Service struct {
	store   Store
	tokens  *credential.TokenKeyRing
	authz   *authz.Authorizer
	secrets credential.Opener
	rnd     io.Reader
	region  string
	fed     *federation
	broker  Broker
	// mfaLimits and mfaStats throttle and count MFA attempts (mfa.go).
	mfaLimits MFALimits
	mfaStats  mfaCounters
	// lastUse throttles RoleLastUsed writes: role ARN -> unix seconds of
	// the last write.
	lastUse sync.Map
}

// recordUseEvery is how often, at most, one role's RoleLastUsed is
// written. AWS's own RoleLastUsed is approximate (it documents a delay);
// a store write on every AssumeRole would make the busiest roles the most
// expensive to assume.
const recordUseEvery = time.Minute

// recordUse records that role was assumed at now, at most once per
// recordUseEvery per role. Last-used data is advisory: a failed write must
// not fail an assumption that has been authorized and minted.
func (s *Service) recordUse(ctx context.Context, account, name, arn string, now time.Time) {
	sec := now.Unix()
	if v, ok := s.lastUse.Load(arn); ok && sec-v.(int64) < int64(recordUseEvery/time.Second) {
		return
	}
	s.lastUse.Store(arn, sec)
	// Off the request path: a slow or unreachable store must not delay
	// (or, through the request's deadline, fail) the assumption.
	go func() {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordUseTimeout)
		defer cancel()
		_ = s.store.Roles().RecordUse(wctx, account, name, iam.RoleLastUsed{Date: now, Region: s.region})
	}()
}

// recordUseTimeout bounds one RoleLastUsed write.
const recordUseTimeout = 5 * time.Second

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.TokenKeys == nil || cfg.Authz == nil || cfg.Secrets == nil {
		return nil, errors.New("sts: Store, TokenKeys, Authz and Secrets are required")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return &Service{store: cfg.Store, tokens: cfg.TokenKeys, authz: cfg.Authz, secrets: cfg.Secrets, rnd: cfg.Rand, region: cfg.Region,
		fed: newFederation(cfg.Federation), mfaLimits: cfg.MFA.withDefaults(), broker: cfg.Broker}, nil
}

// Session duration limits, in seconds (STS API reference).
const (
	minDuration           = 900
	maxUserSession        = 129_600 // GetSessionToken, GetFederationToken
	defaultUserSession    = 43_200
	maxRootSession        = 3_600 // GetSessionToken/GetFederationToken with root credentials
	defaultRoleSession    = 3_600
	maxChainedRoleSession = 3_600
	maxPolicyARNs         = 10
	maxSessionTags        = 50
)

// principal asserts the dispatcher's principal to Brevet's.
func principal(p request.Principal) (*identity.Principal, error) {
	ip, ok := p.(*identity.Principal)
	if !ok || ip == nil {
		return nil, fmt.Errorf("sts: unexpected principal %T", p)
	}
	return ip, nil
}

// GetCallerIdentity returns who the caller is. AWS allows it to everyone.
func (s *Service) GetCallerIdentity(_ context.Context, p *identity.Principal) (*stsapi.GetCallerIdentityResponse, error) {
	return &stsapi.GetCallerIdentityResponse{UserId: p.PrincipalID, Account: p.Account, Arn: p.CallerARN}, nil
}

// GetAccessKeyInfo returns the account an access key id belongs to,
// decoded from the id itself (no lookup, as AWS does: it answers for keys
// that do not exist too).
func (s *Service) GetAccessKeyInfo(_ context.Context, in *stsapi.GetAccessKeyInfoRequest) (*stsapi.GetAccessKeyInfoResponse, error) {
	acct, err := credential.AccountIDFromID(in.AccessKeyId)
	if err != nil {
		return nil, &ValidationError{Message: "The access key ID is invalid."}
	}
	return &stsapi.GetAccessKeyInfoResponse{Account: acct}, nil
}

// DecodeAuthorizationMessage decodes an encoded authorization message.
// The dispatcher has authorized sts:DecodeAuthorizationMessage.
// A message decodes only for a caller of the account whose request it
// explains.
func (s *Service) DecodeAuthorizationMessage(_ context.Context, p request.Principal, in *stsapi.DecodeAuthorizationMessageRequest) (*stsapi.DecodeAuthorizationMessageResponse, error) {
	ip, err := principal(p)
	if err != nil {
		return nil, err
	}
	msg, err := s.authz.DecodeMessage(in.EncodedMessage, ip.Account)
	if err != nil {
		return nil, err
	}
	return &stsapi.DecodeAuthorizationMessageResponse{DecodedMessage: msg}, nil
}

// sessionPolicies validates the session policy parameters: the inline
// policy (plaintext at most 2048 characters, a valid session policy) and
// up to ten managed policy ARNs that must exist in account (the account
// the session acts in) or be AWS managed.
func (s *Service) sessionPolicies(ctx context.Context, account, doc string, arns []stsapi.PolicyDescriptorType) ([]string, error) {
	out, err := checkSessionPolicies(account, doc, arns)
	if err != nil {
		return nil, err
	}
	for _, arn := range out {
		if _, err := s.store.Policies().Get(ctx, arn); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, notAttachable(arn)
			}
			return nil, err
		}
	}
	return out, nil
}

// checkSessionPolicies is sessionPolicies without looking the managed
// policies up: each ARN must name a policy of account or an AWS managed
// one. A brokered AssumeRole passes them upstream as given.
func checkSessionPolicies(account, doc string, arns []stsapi.PolicyDescriptorType) ([]string, error) {
	if doc != "" {
		if err := policy.CheckSessionPolicySize([]byte(doc)); err != nil {
			return nil, err
		}
		if _, err := policy.ParseAndValidate([]byte(doc), policy.TypeSession); err != nil {
			return nil, err
		}
	}
	if len(arns) > maxPolicyARNs {
		return nil, &ValidationError{Message: fmt.Sprintf("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to %d", maxPolicyARNs)}
	}
	var out []string
	for _, d := range arns {
		if d.Arn == "" {
			return nil, &ValidationError{Message: "1 validation error detected: Value null at 'policyArns.member.arn' failed to satisfy constraint: Member must not be null"}
		}
		ref, err := iam.ParseEntityARN(d.Arn)
		if err != nil || ref.Type != iam.ResourcePolicy || (ref.Account != account && ref.Account != iam.AWSAccount) {
			return nil, notAttachable(d.Arn)
		}
		out = append(out, d.Arn)
	}
	return out, nil
}

// notAttachable is AWS's answer for a session policy ARN it cannot use.
func notAttachable(arn string) error {
	return &ValidationError{Message: fmt.Sprintf("Policy %s does not exist or is not attachable.", arn)}
}

// sessionTags validates Tags (unique keys, case-insensitively) and returns
// them in the token's form.
func sessionTags(tags []stsapi.Tag) ([]credential.Tag, error) {
	if len(tags) > maxSessionTags {
		return nil, &ValidationError{Message: fmt.Sprintf("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", maxSessionTags)}
	}
	out := make([]credential.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, credential.Tag{Key: t.Key, Value: t.Value})
	}
	if err := checkTags(out, nil); err != nil { // servicesession.go
		return nil, err
	}
	return out, nil
}

// tagContext adds aws:RequestTag/K and aws:TagKeys for the passed tags.
func tagContext(keys map[string][]string, tags []credential.Tag) {
	if len(tags) == 0 {
		return
	}
	names := make([]string, 0, len(tags))
	for _, t := range tags {
		keys["aws:RequestTag/"+t.Key] = []string{t.Value}
		names = append(names, t.Key)
	}
	keys["aws:TagKeys"] = names
}

// mint seals the claims and returns the wire credentials.
func (s *Service) mint(c credential.Claims) (*stsapi.Credentials, credential.TemporaryCredentials, credential.Claims, error) {
	tc, claims, err := s.tokens.Mint(c, s.rnd)
	if err != nil {
		return nil, tc, claims, err
	}
	return &stsapi.Credentials{
		AccessKeyId:     tc.AccessKeyID,
		SecretAccessKey: tc.SecretAccessKey.Reveal(),
		SessionToken:    tc.SessionToken,
		Expiration:      tc.Expiration,
	}, tc, claims, nil
}

// packedSize is PackedPolicySize as STS reports it: present only when
// session policies or tags were passed.
func packedSize(tc credential.TemporaryCredentials, passed bool) *int32 {
	if !passed {
		return nil
	}
	v := int32(tc.PackedPolicySize)
	return &v
}

// rootKeyID is the long-term key at the root of a caller's chain.
func rootKeyID(p *identity.Principal) string {
	if p.Session != nil && p.Session.RootAccessKeyID != "" {
		return p.Session.RootAccessKeyID
	}
	return p.AccessKeyID
}

func duration(in *int32, def int) time.Duration {
	if in == nil {
		return time.Duration(def) * time.Second
	}
	return time.Duration(*in) * time.Second
}
