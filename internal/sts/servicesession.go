package sts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/request"
)

// The service principals that assume roles for callers they authenticate
// themselves (issue 15).
const (
	// RolesAnywherePrincipal is IAM Roles Anywhere's (CreateSession).
	RolesAnywherePrincipal = "rolesanywhere.amazonaws.com"
	// IoTCredentialsPrincipal is the IoT credentials provider's.
	IoTCredentialsPrincipal = "credentials.iot.amazonaws.com"
)

// ServiceSessionInput is a service principal's request to assume RoleARN
// for a caller it authenticated itself (a certificate holder). Its
// parameters are validated as AssumeRole's are (the STS model's
// constraints, then STS's own rules), so a caller may pass them as it
// derived them from hostile input; a refusal is a *ValidationError or an
// *AccessDeniedError, which the caller maps to its protocol's errors.
type ServiceSessionInput struct {
	// Service is the service principal, as trust policies name it
	// (RolesAnywherePrincipal, IoTCredentialsPrincipal).
	Service string
	RoleARN string
	// SessionName is the role session name, validated as AssumeRole's
	// RoleSessionName; the caller picks it (Roles Anywhere: the leaf's
	// serial in hex or the name acceptRoleSessionName allows; IoT: the
	// certificate id).
	SessionName string
	// Duration is the session's length, in whole seconds: 900 to 43,200
	// and at most the role's MaxSessionDuration. Zero means an hour, as
	// AssumeRole's default.
	Duration time.Duration
	// Tags are session tags (the session's principal tags), validated as
	// AssumeRole's Tags; they need sts:TagSession in the trust policy.
	Tags []credential.Tag
	// TransitiveTagKeys name tags that persist through role chaining.
	TransitiveTagKeys []string
	// SourceIdentity is the session's source identity, "" for none; it
	// needs sts:SetSourceIdentity in the trust policy.
	SourceIdentity string
	// Policy is an inline session policy, "" for none; PolicyARNs are
	// managed session policies, as AssumeRole's Policy and PolicyArns.
	Policy     string
	PolicyARNs []string
	// Context holds the condition keys the service adds to the trust
	// policy's evaluation (aws:SourceArn, aws:SourceAccount,
	// credentials-iot:ThingName, ...). Keys this function sets itself
	// (the sts: namespace, aws:PrincipalTag/*, aws:RequestTag/*,
	// aws:TagKeys, the request facts) may not be passed.
	Context map[string][]string
	// SessionContext holds the condition keys the service sets in the
	// context of every request made with the session, as AWS does for an
	// EC2 instance role's (ec2:SourceInstanceARN) and an IoT credentials
	// provider's (credentials-iot:ThingName, ...) sessions: they are
	// sealed in the token (credential.Claims.RequestContext), no caller
	// can set or override them, and a session chained from this one does
	// not inherit them. Only keys under a service's own prefixes ("ec2:",
	// "credentials-iot:") within credential's bounds may be passed; any
	// other is a bug in the calling service, refused with an untyped
	// error, as Context's reserved keys are.
	SessionContext map[string]string
	// Facts are the device's request facts (time, source address, ...).
	Facts authz.Facts
}

// ServiceSession is a role session a service principal obtained.
type ServiceSession struct {
	// Credentials are the session's credentials, as AssumeRole returns
	// them.
	Credentials *stsapi.Credentials
	// Claims are what the session token carries (secret included: never
	// log or audit them whole).
	Claims credential.Claims
	// RoleARN is the role's ARN; AssumedRoleID is ROLEID:SESSIONNAME and
	// SessionARN the assumed-role ARN, as AssumeRole's AssumedRoleUser.
	RoleARN, AssumedRoleID, SessionARN string
	// PackedPolicySize is as AssumeRole reports it: nil unless session
	// policies or tags were passed.
	PackedPolicySize *int32
}

// Issuance is the session for the pipeline's commit step (the issuance
// index): kind names the issuing action ("CreateSession"), sourceIP the
// device's address. The session has no parent key: like a federated one,
// it was made from a credential Brevet did not issue.
func (s *ServiceSession) Issuance(kind, sourceIP string) request.Issuance {
	c := &s.Claims
	return request.Issuance{
		Kind: kind, AccessKeyID: c.AccessKeyID, Expires: c.Expires, Issued: c.IssuedAt, SourceIP: sourceIP,
		Account: c.AccountID, PrincipalARN: c.PrincipalARN, SessionARN: c.SessionARN, SessionName: c.SessionName,
	}
}

// ServiceSession lets the service principal in.Service assume in.RoleARN,
// as AWS does when Roles Anywhere or the IoT credentials provider assumes
// a role for a certificate holder: the role's trust policy alone decides
// (a service principal has no identity-based policies), for sts:AssumeRole
// and, when used, sts:TagSession and sts:SetSourceIdentity. A role that
// does not exist is refused as one that does not trust the service, so a
// device learns nothing about which roles exist. The session is an
// ordinary role session (credential.AssumedRole), whose tags are its
// principal tags.
//
// During the trust evaluation the session tags are visible both as
// aws:RequestTag/K (as for AssumeRole) and as aws:PrincipalTag/K: AWS's
// Roles Anywhere documentation ("Attribute mapping and trust policy")
// conditions trust policies on aws:PrincipalTag/x509Subject/CN and the
// like, the certificate's attributes being the principal tags of the
// session the service asks for; the service principal itself has none.
func (s *Service) ServiceSession(ctx context.Context, in *ServiceSessionInput) (*ServiceSession, error) {
	if in.Service == "" {
		return nil, errors.New("sts: ServiceSession needs a service principal")
	}
	if err := checkServiceContext(in.Context); err != nil {
		return nil, err
	}
	reqCtx, err := sessionContext(in.Service, in.SessionContext)
	if err != nil {
		return nil, err
	}
	dur := in.Duration.Truncate(time.Second)
	if in.Duration == 0 {
		dur = defaultRoleSession * time.Second
	}
	if err := validateServiceSession(in, dur); err != nil {
		return nil, err
	}
	role, err := s.federatedRole(ctx, in.RoleARN, "sts:AssumeRole")
	if err != nil {
		return nil, err
	}
	if dur > time.Duration(role.MaxSessionDuration)*time.Second {
		return nil, &ValidationError{Message: msgExceedsMax}
	}
	policyARNs, err := s.sessionPolicies(ctx, role.Account, in.Policy, policyDescriptors(in.PolicyARNs))
	if err != nil {
		return nil, asValidation(err)
	}
	if err := checkTags(in.Tags, in.TransitiveTagKeys); err != nil {
		return nil, err
	}
	if err := s.fed.authorizeFederated(&federatedRequest{
		kind: policy.Service, service: in.Service, role: role, keys: contextKeys(in.Context),
		tags: in.Tags, principalTags: true, trans: in.TransitiveTagKeys, source: in.SourceIdentity,
		session: in.SessionName, facts: in.Facts,
	}, "sts:AssumeRole"); err != nil {
		return nil, err
	}
	now := in.Facts.Now
	sessionARN := iam.AssumedRoleARN(role.Account, role.Name, in.SessionName)
	creds, tc, claims, err := s.mint(credential.Claims{
		AccountID: role.Account, PrincipalType: credential.AssumedRole,
		PrincipalARN: role.ARN(), PrincipalID: role.ID, SessionARN: sessionARN, SessionName: in.SessionName,
		IssuedAt: now, Expires: now.Add(dur),
		Policy: in.Policy, PolicyARNs: policyARNs, Tags: in.Tags, TransitiveTagKeys: in.TransitiveTagKeys,
		SourceIdentity: in.SourceIdentity, RequestContext: reqCtx,
	})
	if err != nil {
		return nil, asValidation(err)
	}
	s.recordUse(ctx, role.Account, role.Name, role.ARN(), now)
	return &ServiceSession{
		Credentials: creds, Claims: claims,
		RoleARN: role.ARN(), AssumedRoleID: role.ID + ":" + in.SessionName, SessionARN: sessionARN,
		PackedPolicySize: packedSize(tc, in.Policy != "" || len(policyARNs) > 0 || len(in.Tags) > 0),
	}, nil
}

// validateServiceSession checks the input against the STS model's
// constraints on AssumeRole's parameters (lengths, patterns, ranges), with
// AssumeRole's own messages: the input is put in AssumeRole's request
// shape, member by member, and validated as the Query codec validates a
// request.
func validateServiceSession(in *ServiceSessionInput, dur time.Duration) error {
	shape := stsapi.AssumeRole.Info().Input
	elems := make([]awsquery.Value, len(shape.Members))
	set := func(name string, v awsquery.Value) {
		for i := range shape.Members {
			if shape.Members[i].Name == name {
				elems[i] = v
				return
			}
		}
	}
	set("RoleArn", awsquery.String(in.RoleARN))
	set("RoleSessionName", awsquery.String(in.SessionName))
	set("DurationSeconds", awsquery.Int(int64(dur/time.Second)))
	if in.Policy != "" {
		set("Policy", awsquery.String(in.Policy))
	}
	if len(in.PolicyARNs) > 0 {
		l := make([]awsquery.Value, len(in.PolicyARNs))
		for i, a := range in.PolicyARNs {
			l[i] = awsquery.Struct([]awsquery.Value{awsquery.String(a)}) // PolicyDescriptorType: arn
		}
		set("PolicyArns", awsquery.List(l))
	}
	if len(in.Tags) > 0 {
		l := make([]awsquery.Value, len(in.Tags))
		for i, t := range in.Tags {
			l[i] = awsquery.Struct([]awsquery.Value{awsquery.String(t.Key), awsquery.String(t.Value)}) // Tag: Key, Value
		}
		set("Tags", awsquery.List(l))
	}
	if len(in.TransitiveTagKeys) > 0 {
		l := make([]awsquery.Value, len(in.TransitiveTagKeys))
		for i, k := range in.TransitiveTagKeys {
			l[i] = awsquery.String(k)
		}
		set("TransitiveTagKeys", awsquery.List(l))
	}
	if in.SourceIdentity != "" {
		set("SourceIdentity", awsquery.String(in.SourceIdentity))
	}
	v := awsquery.Struct(elems)
	err := awsquery.Validate(shape, &v)
	var we *awsquery.Error
	if errors.As(err, &we) {
		return &ValidationError{Message: we.Message}
	}
	return err
}

// asValidation turns the refusals of session policies and tags that
// AssumeRole reports with codes of its own (MalformedPolicyDocument,
// PackedPolicyTooLarge) into a *ValidationError, so that a service maps
// every refusal of its input from the two types; other errors pass
// through.
func asValidation(err error) error {
	var pm *policy.MalformedError
	if errors.As(err, &pm) {
		return &ValidationError{Message: pm.Message}
	}
	var pl *policy.LimitError
	if errors.As(err, &pl) {
		return &ValidationError{Message: pl.Message}
	}
	var pp *credential.PackedPolicyTooLargeError
	if errors.As(err, &pp) {
		return &ValidationError{Message: pp.Error()}
	}
	return err
}

// policyDescriptors puts managed policy ARNs in AssumeRole's form.
func policyDescriptors(arns []string) []stsapi.PolicyDescriptorType {
	if len(arns) == 0 {
		return nil
	}
	out := make([]stsapi.PolicyDescriptorType, len(arns))
	for i, a := range arns {
		out[i] = stsapi.PolicyDescriptorType{Arn: a}
	}
	return out
}

// checkTags applies STS's rules on session tags beyond the model's: at
// most 50, keys unique case-insensitively and not in the aws: namespace,
// transitive keys naming a tag.
func checkTags(tags []credential.Tag, transitive []string) error {
	if len(tags) > maxSessionTags {
		return &ValidationError{Message: fmt.Sprintf("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", maxSessionTags)}
	}
	for i, t := range tags {
		for _, u := range tags[:i] {
			if strings.EqualFold(t.Key, u.Key) {
				return &ValidationError{Message: msgDuplicateTagKeys, InvalidValue: true}
			}
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return &ValidationError{Message: "Session tag keys cannot start with 'aws:'."}
		}
		// AWS's bounds (the Tag shape's): a key of 1 to 128 characters,
		// a value of at most 256. Tags a service or a token's claims made
		// meet them as the wire's do.
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > maxTagKeyLen {
			return &ValidationError{Message: fmt.Sprintf("1 validation error detected: Value at 'tags.%d.member.key' failed to satisfy constraint: Member must have length between 1 and %d", i+1, maxTagKeyLen)}
		}
		if utf8.RuneCountInString(t.Value) > maxTagValueLen {
			return &ValidationError{Message: fmt.Sprintf("1 validation error detected: Value at 'tags.%d.member.value' failed to satisfy constraint: Member must have length less than or equal to %d", i+1, maxTagValueLen)}
		}
	}
	return checkTransitive(tags, transitive)
}

// The bounds of a session tag's key and value (characters).
const (
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// checkTransitive refuses a transitive tag key that names none of tags
// (case-insensitively).
func checkTransitive(tags []credential.Tag, transitive []string) error {
	for _, k := range transitive {
		if !slices.ContainsFunc(tags, func(t credential.Tag) bool { return strings.EqualFold(t.Key, k) }) {
			return &ValidationError{Message: msgTransitiveKey, InvalidValue: true}
		}
	}
	return nil
}

// checkServiceContext refuses condition keys a service may not set: those
// ServiceSession sets itself from the input and the facts. Passing one is
// a bug in the calling service, not a device's mistake, so the error is
// untyped (an internal error).
func checkServiceContext(keys map[string][]string) error {
	for k := range keys {
		if reservedContextKey(k) {
			return fmt.Errorf("sts: ServiceSession: condition key %q is set by STS, not by the calling service", k)
		}
	}
	return nil
}

// sessionContextPrefixes are the namespaces of the condition keys a
// service may set in its sessions' requests: EC2's (for a host's instance
// role session) and the IoT credentials provider's.
var sessionContextPrefixes = [...]string{"ec2:", "credentials-iot:"}

// ConsolePrincipal is the service principal the console's role sessions
// are minted for (internal/console, for a person who signed in with an
// identity provider): the only one whose sessions may carry
// ConsoleContextKey, and no other brevet: key is a session's.
const ConsolePrincipal = "sso.amazonaws.com"

// sessionContextKey reports whether service may set condition key k to v
// in its sessions' requests. Only PoolPrincipal's sessions (PoolSession,
// a pool token's AssumeRoleWithWebIdentity) carry its :sub, :aud and
// :amr keys.
func sessionContextKey(service, k, v string) bool {
	l := strings.ToLower(k)
	if strings.HasPrefix(l, "brevet:") {
		return k == ConsoleContextKey && v == "true" && service == ConsolePrincipal
	}
	if service == PoolPrincipal || strings.HasPrefix(l, PoolPrincipal+":") {
		// The identity pools' keys are theirs alone, and they set no other.
		return service == PoolPrincipal && (k == poolSub || k == poolAud || k == poolAMR)
	}
	return slices.ContainsFunc(sessionContextPrefixes[:], func(p string) bool { return len(l) > len(p) && strings.HasPrefix(l, p) })
}

// sessionContext checks a service's session condition keys and puts them
// in the token's form, sorted by key so that a session's token does not
// depend on map order. Like checkServiceContext's, its errors are bugs in
// the calling service.
func sessionContext(service string, keys map[string]string) ([]credential.ContextKey, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if len(keys) > credential.MaxRequestContextKeys {
		return nil, fmt.Errorf("sts: ServiceSession: %d session condition keys, at most %d", len(keys), credential.MaxRequestContextKeys)
	}
	out := make([]credential.ContextKey, 0, len(keys))
	for k, v := range keys {
		if !sessionContextKey(service, k, v) {
			return nil, fmt.Errorf("sts: ServiceSession: session condition key %q is not %s's to set", k, service)
		}
		if len(k) > credential.MaxContextKeyLen || len(v) > credential.MaxContextValueLen {
			return nil, fmt.Errorf("sts: ServiceSession: session condition key %q: key or value too long", k)
		}
		for _, u := range out {
			if strings.EqualFold(k, u.Key) {
				return nil, fmt.Errorf("sts: ServiceSession: session condition key %q given twice", k)
			}
		}
		out = append(out, credential.ContextKey{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b credential.ContextKey) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func reservedContextKey(k string) bool {
	l := strings.ToLower(k)
	if strings.HasPrefix(l, "sts:") || strings.HasPrefix(l, "aws:principal") || strings.HasPrefix(l, "aws:requesttag/") {
		return true
	}
	switch l {
	case "aws:tagkeys", "aws:currenttime", "aws:epochtime", "aws:sourceip", "aws:useragent", "aws:securetransport",
		"aws:federatedprovider", "aws:userid", "aws:username", "aws:sourceidentity", "aws:multifactorauthpresent", "aws:multifactorauthage":
		return true
	}
	return false
}

// contextKeys adds a service's condition keys to a trust evaluation.
func contextKeys(keys map[string][]string) func(add func(key string, values ...string)) {
	return func(add func(key string, values ...string)) {
		for k, v := range keys {
			add(k, v...)
		}
	}
}
