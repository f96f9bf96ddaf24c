package sts

import (
	"context"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// AWS's texts for MFA failures.
const (
	msgMFAInvalidCode = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
	msgMFANoDevice    = "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user."
)

// verifyMFA checks a TOTP code of the caller's virtual MFA device and
// consumes its step (a code works once, on every node: AdvanceStep is a
// compare-and-set in the store). It returns false, touching nothing, when
// neither SerialNumber nor TokenCode was passed. Attempts are throttled
// per device and per user (MFALimits): a locked-out attempt is refused
// before its code is read.
func (s *Service) verifyMFA(ctx context.Context, p *identity.Principal, serial, code string, now time.Time) (bool, error) {
	if serial == "" && code == "" {
		return false, nil
	}
	if serial == "" || code == "" {
		return false, &AccessDeniedError{Message: msgMFANoDevice}
	}
	dev, err := s.store.MFADevices().Get(ctx, serial)
	if errors.Is(err, store.ErrNotFound) {
		return false, &AccessDeniedError{Message: msgMFANoDevice}
	}
	if err != nil {
		return false, err
	}
	user := p.UserName
	if dev.UserName == "" || user == "" || dev.Account != p.Account || iam.NameKey(dev.UserName) != iam.NameKey(user) {
		return false, &AccessDeniedError{Message: msgMFANoDevice}
	}
	return s.checkMFACode(ctx, []iam.VirtualMFADevice{dev}, mfaKeys(p, serial), code, now) // mfa.go
}

// GetSessionToken returns temporary credentials with the calling IAM
// user's (or root's) permissions, MFA-authenticated when a code is passed.
// No policy controls it (IAM User Guide: "No permissions are required").
func (s *Service) GetSessionToken(ctx context.Context, p *identity.Principal, in *stsapi.GetSessionTokenRequest, now time.Time) (*stsapi.GetSessionTokenResponse, error) {
	if err := sessionMayCall(p, "GetSessionToken"); err != nil {
		return nil, err
	}
	if p.Type != identity.IAMUser && p.Type != identity.Root {
		return nil, &AccessDeniedError{Message: "Cannot call GetSessionToken with session credentials"}
	}
	d := duration(in.DurationSeconds, defaultUserSession)
	if p.Type == identity.Root && d > maxRootSession*time.Second {
		// Root sessions last at most an hour; AWS shortens longer requests.
		d = maxRootSession * time.Second
	}
	mfa, err := s.verifyMFA(ctx, p, in.SerialNumber, in.TokenCode, now)
	if err != nil {
		return nil, err
	}
	c := credential.Claims{
		AccountID: p.Account, PrincipalType: credential.SessionUser,
		PrincipalARN: p.CallerARN, PrincipalID: p.PrincipalID, SessionARN: p.CallerARN,
		IssuedAt: now, Expires: now.Add(d),
		MFAAuthenticated: mfa, ParentAccessKeyID: p.AccessKeyID, RootAccessKeyID: p.AccessKeyID,
	}
	if mfa {
		c.MFAAuthTime = now
	}
	creds, _, _, err := s.mint(c)
	if err != nil {
		return nil, err
	}
	return &stsapi.GetSessionTokenResponse{Credentials: creds}, nil
}

// GetFederationToken returns credentials for a federated user NAME made
// from the calling IAM user: its permissions are the intersection of the
// user's and the session policies (none without a session policy). The
// dispatcher has authorized sts:GetFederationToken; tags need
// sts:TagSession too.
func (s *Service) GetFederationToken(ctx context.Context, p *identity.Principal, in *stsapi.GetFederationTokenRequest, f authz.Facts) (*stsapi.GetFederationTokenResponse, error) {
	now := f.Now
	if err := federationCaller(p); err != nil {
		return nil, err
	}
	d := duration(in.DurationSeconds, defaultUserSession)
	arns, err := s.sessionPolicies(ctx, p.Account, in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}
	tags, err := sessionTags(in.Tags)
	if err != nil {
		return nil, err
	}
	fedARN := iam.FederatedUserARN(p.Account, in.Name)
	if len(tags) > 0 {
		keys := map[string][]string{}
		tagContext(keys, tags)
		dec, err := s.authz.Authorize(ctx, &request.AuthzRequest{Principal: p, Action: "sts:TagSession", Resource: fedARN, Context: keys,
			Now: now, SourceIP: f.SourceIP, UserAgent: f.UserAgent, SecureTransport: f.SecureTransport})
		if err != nil {
			return nil, err
		}
		if !dec.Allowed {
			return nil, &request.AccessDeniedError{Principal: p.CallerARN, Action: "sts:TagSession", Resource: fedARN, Decision: dec}
		}
	}
	c := credential.Claims{
		AccountID: p.Account, PrincipalType: credential.FederatedUser,
		PrincipalARN: fedARN, PrincipalID: p.UserID, SessionARN: fedARN, SessionName: in.Name,
		IssuedAt: now, Expires: now.Add(d),
		Policy: in.Policy, PolicyARNs: arns, Tags: tags,
		ParentAccessKeyID: p.AccessKeyID, RootAccessKeyID: p.AccessKeyID,
	}
	creds, tc, _, err := s.mint(c)
	if err != nil {
		return nil, err
	}
	return &stsapi.GetFederationTokenResponse{
		Credentials:   creds,
		FederatedUser: &stsapi.FederatedUser{FederatedUserId: p.Account + ":" + in.Name, Arn: fedARN},
		// AWS answers GetFederationToken with PackedPolicySize always,
		// 0 when nothing was packed (AssumeRole leaves it out then).
		PackedPolicySize: packedSize(tc, true),
	}, nil
}

// federationCaller refuses callers other than IAM users with long-term
// keys. (Brevet never issues root keys; federating the root user is not
// supported.)
func federationCaller(p *identity.Principal) error {
	if p.Session != nil || p.Type != identity.IAMUser {
		return &AccessDeniedError{Message: "Cannot call GetFederationToken with session credentials"}
	}
	return nil
}

// sessionMayCall applies AWS's restrictions on what temporary credentials
// may call in STS ("Comparing the AWS STS API operations", IAM User
// Guide): role sessions anything but GetFederationToken and
// GetSessionToken; GetSessionToken sessions only AssumeRole and
// GetCallerIdentity; federated users only GetCallerIdentity.
func sessionMayCall(p *identity.Principal, action string) error {
	if p.Session == nil {
		return nil
	}
	ok := true
	switch p.Session.PrincipalType {
	case credential.FederatedUser:
		ok = action == "GetCallerIdentity"
	case credential.SessionUser:
		ok = action == "AssumeRole" || action == "GetCallerIdentity"
	default:
		ok = action != "GetFederationToken" && action != "GetSessionToken"
	}
	if !ok {
		return &AccessDeniedError{Message: "Cannot call " + action + " with session credentials"}
	}
	return nil
}
