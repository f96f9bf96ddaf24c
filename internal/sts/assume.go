package sts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// AWS's texts for AssumeRole's own validation.
const (
	msgExceedsMax       = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
	msgExceedsChaining  = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
	msgRootAssume       = "Roles may not be assumed by root accounts."
	msgTransitiveKey    = "The specified transitive tag key must be included in the requested tags."
	msgDuplicateTagKeys = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
	msgInheritedTagKey  = "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session."
	msgSourceIdentity   = "Cannot change the source identity of a role session: the calling session's source identity persists through role chaining."
)

// msgChainTooLong refuses a session at the end of the longest chain Brevet
// allows (credential.MaxChainDepth). AWS states no such limit, so the
// text is ours; it is a ValidationError, as AWS's own chaining limit
// (msgExceedsChaining) is.
var msgChainTooLong = fmt.Sprintf("Role chain too long: at most %d sessions may be chained (each made with the credentials of the one before), and the calling session is the %dth.", credential.MaxChainDepth, credential.MaxChainDepth)

// assumeParams is an AssumeRole request once validated.
type assumeParams struct {
	role           *authz.Role
	dur            time.Duration
	policyARNs     []string
	tags           []credential.Tag // inherited transitive tags, then requested
	transitive     []string
	sourceIdentity string
	mfa            bool
	mfaTime        time.Time
}

// AssumeRole returns credentials for a session of the role, if its trust
// policy and the caller's own policies allow (authz.AuthorizeAssumeRole).
func (s *Service) AssumeRole(ctx context.Context, p *identity.Principal, in *stsapi.AssumeRoleRequest, f authz.Facts) (*stsapi.AssumeRoleResponse, error) {
	now := f.Now
	lineage, err := assumeCaller(p)
	if err != nil {
		return nil, err
	}
	var ap assumeParams // on the stack: filled in, then read, never kept
	if err := s.validateAssume(ctx, p, in, f, &ap); err != nil {
		return nil, err
	}
	if err := s.authorizeAssume(ctx, p, in, &ap, f); err != nil {
		return nil, err
	}
	role := ap.role
	sessionARN := iam.AssumedRoleARN(role.Account, role.Name, in.RoleSessionName)
	c := credential.Claims{
		AccountID: role.Account, PrincipalType: credential.AssumedRole,
		PrincipalARN: role.ARN(), PrincipalID: role.ID, SessionARN: sessionARN, SessionName: in.RoleSessionName,
		IssuedAt: now, Expires: now.Add(ap.dur),
		Policy: in.Policy, PolicyARNs: ap.policyARNs, Tags: ap.tags, TransitiveTagKeys: ap.transitive,
		SourceIdentity: ap.sourceIdentity, MFAAuthenticated: ap.mfa, MFAAuthTime: ap.mfaTime,
		ParentAccessKeyID: p.AccessKeyID, RootAccessKeyID: rootKeyID(p), Lineage: lineage,
	}
	creds, tc, _, err := s.mint(c)
	if err != nil {
		return nil, err
	}
	s.recordUse(ctx, role.Account, role.Name, role.ARN(), now)
	return &stsapi.AssumeRoleResponse{
		Credentials:      creds,
		AssumedRoleUser:  &stsapi.AssumedRoleUser{AssumedRoleId: role.ID + ":" + in.RoleSessionName, Arn: sessionARN},
		PackedPolicySize: packedSize(tc, in.Policy != "" || len(ap.policyARNs) > 0 || len(ap.tags) > 0),
		SourceIdentity:   ap.sourceIdentity,
	}, nil
}

// validateAssume checks everything but the authorization, in AWS's order
// as far as it is known: the role, the duration, session policies, tags,
// source identity, then the MFA code (which consumes a TOTP step, so it
// comes last). It fills in ap.
func (s *Service) validateAssume(ctx context.Context, p *identity.Principal, in *stsapi.AssumeRoleRequest, f authz.Facts, ap *assumeParams) error {
	ref, err := assumeTarget(in)
	if errors.Is(err, errNotARole) {
		return s.noSuchRole(ctx, p, in.RoleArn, ownAccountReason(p, in.RoleArn, "the ARN names no role"), f)
	}
	if err != nil {
		return err
	}
	role, err := s.authz.LoadRole(ctx, ref.Account, ref.Name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && role.ARN() != in.RoleArn) {
		// AWS does not say whether a role exists to someone who may not
		// assume it; role names in RoleArn are matched exactly, path and
		// case included.
		if ref.Account != p.Account {
			return s.noSuchForeignRole(ctx, p, in, ref, f)
		}
		return s.noSuchRole(ctx, p, in.RoleArn, "the role does not exist", f)
	}
	if err != nil {
		return err
	}
	ap.role = role
	if err := ap.checkDuration(p, in); err != nil {
		return err
	}
	if ap.policyARNs, err = s.sessionPolicies(ctx, role.Account, in.Policy, in.PolicyArns); err != nil {
		return err
	}
	return s.validateSession(ctx, p, in, f, ap)
}

// assumeTarget checks what AssumeRole checks before it looks the role up:
// unsupported members and the role ARN's form.
func assumeTarget(in *stsapi.AssumeRoleRequest) (iam.EntityRef, error) {
	if len(in.ProvidedContexts) > 0 {
		// Trusted identity propagation needs context providers Brevet does
		// not have; refusing is better than ignoring an assertion.
		return iam.EntityRef{}, &ValidationError{Message: "ProvidedContexts is not supported."}
	}
	if err := checkARNForm(in.RoleArn); err != nil {
		return iam.EntityRef{}, err
	}
	ref, err := iam.ParseEntityARN(in.RoleArn)
	if err != nil || ref.Type != iam.ResourceRole {
		return iam.EntityRef{}, errNotARole
	}
	return ref, nil
}

// errNotARole marks a RoleArn of an ARN's form that names no role: the
// caller gets the AccessDenied of a role that does not exist.
var errNotARole = errors.New("sts: RoleArn names no role")

// checkARNForm refuses a RoleArn that is not of an ARN's form at all
// (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, with a partition, a
// service and a resource), as AWS does: "VALUE is invalid", a
// ValidationError. An ARN of that form that names no role is refused
// later, like a role that does not exist.
func checkARNForm(arn string) error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return &ValidationError{Message: arn + " is invalid"}
	}
	return nil
}

// ownAccountReason is reason when roleARN is of the caller's account, and
// "" (the message of a trust policy's refusal) when it is another's: the
// caller's account decodes the message, and a role of another account
// that exists but refuses the caller is reported alike (authz's
// crossAccountDenial), so the message does not say which roles exist.
func ownAccountReason(p *identity.Principal, roleARN, reason string) string {
	if parts := strings.SplitN(roleARN, ":", 6); len(parts) == 6 && parts[4] != p.Account {
		return ""
	}
	return reason
}

// noSuchForeignRole is the AccessDenied of an AssumeRole of another
// account's role that does not exist, decided as for one that exists but
// does not trust the caller (authz.AbsentRole): the caller learns nothing
// of which roles the other account has.
func (s *Service) noSuchForeignRole(ctx context.Context, p *identity.Principal, in *stsapi.AssumeRoleRequest, ref iam.EntityRef, f authz.Facts) error {
	phantom, err := authz.AbsentRole(ref.Account, ref.Path, ref.Name)
	if err != nil || phantom.ARN() != in.RoleArn {
		return s.noSuchRole(ctx, p, in.RoleArn, "", f)
	}
	keys := map[string][]string{"sts:RoleSessionName": {in.RoleSessionName}}
	if in.ExternalId != "" {
		keys["sts:ExternalId"] = []string{in.ExternalId}
	}
	dec, err := s.authz.AuthorizeAssumeRole(ctx, p, phantom, []string{"sts:AssumeRole"}, keys, f)
	if err != nil {
		return err
	}
	if dec.Allowed { // cannot be: the trust admits the role's account only
		return s.noSuchRole(ctx, p, in.RoleArn, "", f)
	}
	return &request.AccessDeniedError{Principal: p.CallerARN, Action: "sts:AssumeRole", Resource: in.RoleArn, Decision: dec}
}

// noSuchRole is the AccessDenied of an AssumeRole of a role that cannot be
// assumed because it does not exist, with reason in the encoded message.
func (s *Service) noSuchRole(ctx context.Context, p *identity.Principal, roleARN, reason string, f authz.Facts) error {
	enc, err := s.authz.EncodeDenial(ctx, p, "sts:AssumeRole", roleARN, reason, f)
	if err != nil {
		return err
	}
	return &request.AccessDeniedError{Principal: p.CallerARN, Action: "sts:AssumeRole", Resource: roleARN, Decision: request.Decision{EncodedMessage: enc}}
}

// checkDuration sets ap.dur and checks it against the role chaining limit
// and ap.role's MaxSessionDuration.
func (ap *assumeParams) checkDuration(p *identity.Principal, in *stsapi.AssumeRoleRequest) error {
	ap.dur = duration(in.DurationSeconds, defaultRoleSession)
	if chaining(p) && ap.dur > maxChainedRoleSession*time.Second {
		return &ValidationError{Message: msgExceedsChaining}
	}
	if ap.dur > time.Duration(ap.role.MaxSessionDuration)*time.Second {
		return &ValidationError{Message: msgExceedsMax}
	}
	return nil
}

// validateSession checks what follows the session policies, for a Brevet
// role and a brokered one alike: tags, source identity, the MFA code.
func (s *Service) validateSession(ctx context.Context, p *identity.Principal, in *stsapi.AssumeRoleRequest, f authz.Facts, ap *assumeParams) error {
	if err := ap.setTags(p, in); err != nil {
		return err
	}
	if err := ap.setSourceIdentity(p, in.SourceIdentity); err != nil {
		return err
	}
	mfa, err := s.verifyMFA(ctx, p, in.SerialNumber, in.TokenCode, f.Now)
	if err != nil {
		return err
	}
	switch {
	case mfa:
		ap.mfa, ap.mfaTime = true, f.Now
	case p.MFAAuthenticated():
		// A session that authenticated with MFA (GetSessionToken with a
		// code) passes it on to the role session it makes.
		ap.mfa, ap.mfaTime = true, p.Session.MFAAuthTime
	}
	return nil
}

// setTags validates Tags and TransitiveTagKeys against each other and
// against the transitive tags the calling session carries, which the new
// session inherits and which the request cannot override.
func (ap *assumeParams) setTags(p *identity.Principal, in *stsapi.AssumeRoleRequest) error {
	tags, err := sessionTags(in.Tags)
	if err != nil {
		return err
	}
	if err := checkTransitive(tags, in.TransitiveTagKeys); err != nil {
		return err
	}
	if chaining(p) {
		for _, k := range p.Session.TransitiveTagKeys {
			for _, t := range tags {
				if strings.EqualFold(t.Key, k) {
					return &ValidationError{Message: msgInheritedTagKey, InvalidValue: true}
				}
			}
			for _, t := range p.Session.Tags {
				if strings.EqualFold(t.Key, k) {
					ap.tags = append(ap.tags, t)
					ap.transitive = append(ap.transitive, t.Key)
					break
				}
			}
		}
	}
	if len(ap.tags)+len(tags) > maxSessionTags {
		return &ValidationError{Message: "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to " + strconv.Itoa(maxSessionTags)}
	}
	ap.tags = append(ap.tags, tags...)
	ap.transitive = append(ap.transitive, in.TransitiveTagKeys...)
	return nil
}

// setSourceIdentity applies the sticky rule: once a chain has a source
// identity, it cannot be changed.
func (ap *assumeParams) setSourceIdentity(p *identity.Principal, requested string) error {
	// The model's pattern ([\w+=,.@-]*) already refuses the reserved
	// "aws:" prefix.
	inherited := ""
	if chaining(p) {
		inherited = p.Session.SourceIdentity
	}
	if inherited != "" && requested != "" && requested != inherited {
		return &AccessDeniedError{Message: msgSourceIdentity}
	}
	ap.sourceIdentity = inherited
	if ap.sourceIdentity == "" {
		ap.sourceIdentity = requested
	}
	return nil
}

// authorizeAssume evaluates the trust policy and the caller's policies for
// sts:AssumeRole and, when used, sts:TagSession and sts:SetSourceIdentity.
func (s *Service) authorizeAssume(ctx context.Context, p *identity.Principal, in *stsapi.AssumeRoleRequest, ap *assumeParams, f authz.Facts) error {
	var actionsBuf [3]string
	actions := append(actionsBuf[:0], "sts:AssumeRole")
	keys := map[string][]string{"sts:RoleSessionName": {in.RoleSessionName}}
	if in.ExternalId != "" {
		keys["sts:ExternalId"] = []string{in.ExternalId}
	}
	if len(in.Tags) > 0 {
		actions = append(actions, "sts:TagSession")
		requested := ap.tags[len(ap.tags)-len(in.Tags):]
		tagContext(keys, requested)
	}
	if len(in.TransitiveTagKeys) > 0 {
		keys["sts:TransitiveTagKeys"] = in.TransitiveTagKeys
	}
	if ap.sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
		keys["sts:SourceIdentity"] = []string{ap.sourceIdentity}
	}
	if ap.mfa {
		keys["aws:MultiFactorAuthPresent"] = []string{"true"}
		keys["aws:MultiFactorAuthAge"] = []string{strconv.FormatInt(int64(f.Now.Sub(ap.mfaTime)/time.Second), 10)}
	}
	for _, action := range actions {
		dec, err := s.authz.AuthorizeAssumeRole(ctx, p, ap.role, []string{action}, keys, f)
		if err != nil {
			return err
		}
		if !dec.Allowed {
			return &request.AccessDeniedError{Principal: p.CallerARN, Action: action, Resource: ap.role.ARN(), Decision: dec}
		}
	}
	return nil
}

// assumeCaller checks who may call AssumeRole at all (not root, not every
// kind of session, not at the end of the longest chain) and returns the
// lineage of the session p would make.
func assumeCaller(p *identity.Principal) ([]credential.Ancestor, error) {
	if p.Type == identity.Root {
		return nil, &AccessDeniedError{Message: msgRootAssume}
	}
	if err := sessionMayCall(p, "AssumeRole"); err != nil {
		return nil, err
	}
	return childLineage(p)
}

// childLineage is the lineage of a session made by p: none when p signed
// with a long-term key, else p's session and its lineage. A caller at the
// end of the longest chain gets a ValidationError.
func childLineage(p *identity.Principal) ([]credential.Ancestor, error) {
	if p.Session == nil {
		return nil, nil
	}
	l, err := p.Session.ChildLineage()
	var tooLong *credential.ChainTooLongError
	if errors.As(err, &tooLong) {
		return nil, &ValidationError{Message: msgChainTooLong}
	}
	return l, err
}

// chaining reports whether an AssumeRole by p is role chaining: the caller
// is a role session (GetSessionToken credentials are not).
func chaining(p *identity.Principal) bool {
	return p.Session != nil && p.Type == identity.AssumedRole
}
