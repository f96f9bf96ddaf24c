package sts

import (
	"context"
	"errors"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/store"
)

// msgNotRegistered is the encoded message's reason when an upstream role
// is not registered: the caller sees the AccessDenied of a role that does
// not exist.
const msgNotRegistered = "the upstream role is not registered with Brevet"

// Brokered reports whether roleARN is an upstream role: a broker is
// configured and the ARN's account is a registered upstream account. It
// does no I/O.
func (s *Service) Brokered(roleARN string) bool {
	if s.broker == nil {
		return false
	}
	acct := iam.ARNAccount(roleARN)
	return acct != "" && s.broker.Handles(acct)
}

// BrokeredAssumeRole is AssumeRole of an upstream role (Brokered): every
// check AssumeRole makes of a Brevet role is made (the caller, the
// duration against the role's MaxSessionDuration and the chaining limit,
// session policies, tags, source identity stickiness, the MFA code), the
// brokered role's Brevet-side trust policy and the caller's own policies
// authorize it (across accounts, both must allow), and then the broker
// assumes the role upstream. PolicyArns are upstream managed policies:
// checked in form, not looked up. The session policy passed upstream is
// the broker's answer (Broker.SessionPolicy: the role's ceiling), the
// source identity the caller's requested or inherited one, else the one
// the broker derives from the caller.
func (s *Service) BrokeredAssumeRole(ctx context.Context, p *identity.Principal, in *stsapi.AssumeRoleRequest, f authz.Facts) (*stsapi.AssumeRoleResponse, *BrokerSession, error) {
	if s.broker == nil {
		return nil, nil, errors.New("sts: BrokeredAssumeRole without a broker")
	}
	if _, err := assumeCaller(p); err != nil {
		return nil, nil, err
	}
	var ap assumeParams
	br, err := s.validateBrokered(ctx, p, in, f, &ap)
	if err != nil {
		return nil, nil, err
	}
	if err := s.authorizeAssume(ctx, p, in, &ap, f); err != nil {
		return nil, nil, err
	}
	// Only once the caller may assume the role: the ceiling's verdict
	// says something about the role's configuration.
	sessionPolicy, err := s.broker.SessionPolicy(br, in.Policy, ap.policyARNs)
	if err != nil {
		return nil, nil, err
	}
	source := ap.sourceIdentity
	if source == "" {
		source = s.broker.SourceIdentity(p)
	}
	sess, err := s.broker.AssumeRole(ctx, &BrokerAssumeInput{
		Role: br, Caller: p, SessionName: in.RoleSessionName, Duration: ap.dur,
		Policy: sessionPolicy, PolicyARNs: ap.policyARNs, Tags: ap.tags, TransitiveTagKeys: ap.transitive,
		SourceIdentity: source,
	}, f.Now)
	if err != nil {
		return nil, nil, err
	}
	if sess.SourceIdentity == "" {
		sess.SourceIdentity = source
	}
	creds := sess.Credentials
	return &stsapi.AssumeRoleResponse{
		Credentials:      &creds,
		AssumedRoleUser:  &stsapi.AssumedRoleUser{AssumedRoleId: sess.AssumedRoleID, Arn: sess.AssumedRoleARN},
		PackedPolicySize: sess.PackedPolicySize,
		SourceIdentity:   sess.SourceIdentity,
	}, sess, nil
}

// validateBrokered is validateAssume for an upstream role: the broker's
// registration stands for the role lookup, and session policy ARNs are
// checked in form only.
func (s *Service) validateBrokered(ctx context.Context, p *identity.Principal, in *stsapi.AssumeRoleRequest, f authz.Facts, ap *assumeParams) (*BrokeredRole, error) {
	ref, err := assumeTarget(in)
	if errors.Is(err, errNotARole) {
		return nil, s.noSuchRole(ctx, p, in.RoleArn, msgNotRegistered, f)
	}
	if err != nil {
		return nil, err
	}
	br, err := s.broker.Role(ctx, in.RoleArn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.noSuchRole(ctx, p, in.RoleArn, msgNotRegistered, f)
	}
	if err != nil {
		return nil, err
	}
	ap.role = br.Role
	if err := ap.checkDuration(p, in); err != nil {
		return nil, err
	}
	if ap.policyARNs, err = checkSessionPolicies(ref.Account, in.Policy, in.PolicyArns); err != nil {
		return nil, err
	}
	return br, s.validateSession(ctx, p, in, f, ap)
}
