package authz

import (
	"context"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// Facts are the request facts behind the global condition keys
// aws:CurrentTime, aws:EpochTime, aws:SourceIp, aws:UserAgent and
// aws:SecureTransport.
type Facts struct {
	Now             time.Time
	SourceIP        string
	UserAgent       string
	SecureTransport bool
}

// Role is a role as the AssumeRole family needs it: the entity and its
// compiled trust policy, from the cache. It is shared by every request
// that loads the role while the cache holds it, so it must not be
// modified.
type Role struct {
	iam.Role
	ent *entity
	// callersTrust marks a compiled role whose trust policy is the
	// caller's account's although the role is in another account (a
	// brokered role, registered by the caller's Brevet account): its
	// denials explain themselves as a role of the caller's account does.
	callersTrust bool
}

// ARN returns the role's ARN, made once when the role was cached
// (iam.Role's ARN builds the string on every call).
func (r *Role) ARN() string { return r.ent.arn }

// LoadRole returns the role from the cache, loading it on a miss. A role
// that does not exist is the store's ErrNotFound (wrapped). The Role is
// the cache's own (see Role).
func (a *Authorizer) LoadRole(ctx context.Context, account, name string) (*Role, error) {
	e, err := a.c.entity(ctx, entityKey{kindRole, account, name})
	if err != nil {
		return nil, err
	}
	return e.assumable, nil
}

// AuthorizeAssumeRole decides whether caller may assume role, for each of
// actions (sts:AssumeRole, plus sts:TagSession when tags are passed and
// sts:SetSourceIdentity when a source identity is), with keys the action's
// condition keys (sts:ExternalId, sts:RoleSessionName, aws:RequestTag/...,
// aws:MultiFactorAuthPresent when the request carried an MFA code, ...),
// which take precedence over the caller's own.
//
// AWS's rules (reference_policies_evaluation-logic, "Resource-based
// policies"; id_roles_compare-resource-policies), which package policy
// encodes for a TypeTrust resource policy:
//   - the trust policy must allow: an identity-based allow alone never
//     suffices;
//   - in the role's account, a trust policy naming the caller itself (the
//     user ARN or the session ARN) suffices; naming the role a session came
//     from, or "*", suffices if the caller's permissions boundary and
//     session policies allow; naming the account (ACCOUNT or
//     arn:aws:iam::ACCOUNT:root) needs the caller's identity-based policies
//     to allow too;
//   - across accounts, both the trust policy and the caller's identity-based
//     policies (within its boundary and session policies) must allow;
//   - an explicit deny anywhere wins.
//
// Role sessions are matched as their session ARN and as their role's ARN.
func (a *Authorizer) AuthorizeAssumeRole(ctx context.Context, caller *identity.Principal, role *Role, actions []string, keys map[string][]string, f Facts) (request.Decision, error) {
	if err := a.c.maybePoll(ctx, f.Now); err != nil {
		return request.Decision{}, err
	}
	v, err := a.view(ctx, caller)
	if err != nil {
		return request.Decision{}, err
	}
	st := a.pool.Get().(*evalState)
	defer a.pool.Put(st)
	for _, action := range actions {
		st.req.Caller = v.caller
		st.req.Action = action
		st.req.Resource = role.ent.arn
		st.req.ResourceAccount = role.Account
		st.req.Context.Reset()
		addSession(&st.req.Context, caller)
		addTarget(&st.req.Context, keys)
		a.addGlobal(&st.req.Context, v, f.Now, f.SourceIP, f.UserAgent, f.SecureTransport)
		v.set.EvaluateInto(&st.dec, &st.req, role.ent.trust)
		if st.dec.Outcome != policy.Allowed && role.Account != v.caller.Account && !role.callersTrust {
			return a.foreignDenial(ctx, caller, &st.req, &st.dec, v.principalID, f)
		}
		if st.dec.Outcome != policy.Allowed {
			return a.denial(&st.req, &st.dec, v.principalID)
		}
	}
	return request.Decision{Allowed: true}, nil
}

// trustRefusal is the implicit deny's reason in the message of a denied
// AssumeRole of another account's role (the policy engine's own words for
// a trust policy that does not allow the caller).
const trustRefusal = "the role's trust policy does not allow this principal"

// foreignDenial is the denial of an AssumeRole of another account's role.
// The message is decoded in the caller's account, so it shows none of the
// role's trust statements, and a denial the trust policy decided (no
// allow, or its explicit deny) is the bare AccessDenied with a message
// that says only that the trust policy did not allow the caller: it reads
// as a role that does not exist does (EncodeDenial with no failure).
// Another account's trust policy, and which of its roles exist, are not
// the caller's to learn. A denial of the caller's own policies keeps its
// reason: the trust policy allowed, which the caller would learn by being
// allowed.
func (a *Authorizer) foreignDenial(ctx context.Context, caller *identity.Principal, req *policy.Request, d *policy.Decision, principalID string, f Facts) (request.Decision, error) {
	if d.Outcome == policy.ImplicitlyDenied && d.MissingAllow == policy.TypeTrust ||
		d.Outcome == policy.ExplicitlyDenied && d.DeniedBy == policy.TypeTrust {
		enc, err := a.EncodeDenial(ctx, caller, req.Action, req.Resource, "", f)
		if err != nil {
			return request.Decision{}, err
		}
		return request.Decision{EncodedMessage: enc}, nil
	}
	own := *d
	own.Matched = make([]policy.MatchedStatement, 0, len(d.Matched))
	for _, m := range d.Matched {
		if m.PolicyType != policy.TypeTrust {
			own.Matched = append(own.Matched, m)
		}
	}
	return a.denial(req, &own, principalID)
}

// EncodeDenial seals the explanation of a denial decided outside the
// policy engine (AssumeRole of a role that does not exist), so that every
// AccessDenied carries an encoded message. failure is recorded in the
// message's failures; with none, the message is a trust policy's refusal
// (trustRefusal), as for another account's role.
func (a *Authorizer) EncodeDenial(ctx context.Context, caller *identity.Principal, action, resource, failure string, f Facts) (string, error) {
	v, err := a.view(ctx, caller)
	if err != nil {
		return "", err
	}
	req := &policy.Request{Caller: v.caller, Action: action, Resource: resource}
	addSession(&req.Context, caller)
	a.addGlobal(&req.Context, v, f.Now, f.SourceIP, f.UserAgent, f.SecureTransport)
	if failure == "" {
		// A trust policy's refusal, as an AssumeRole of another account's
		// role reports every denial (crossAccountDenial).
		m := buildMessage(req, &policy.Decision{Outcome: policy.ImplicitlyDenied, MissingAllow: policy.TypeTrust, Reason: trustRefusal}, v.principalID)
		return a.seal.sealJSON(m, v.caller.Account)
	}
	m := buildMessage(req, &policy.Decision{Outcome: policy.ImplicitlyDenied, Reason: failure}, v.principalID)
	m.ImplicitDeny = nil
	m.Failures.Items = append(m.Failures.Items, failure)
	return a.seal.sealJSON(m, v.caller.Account)
}

// CompileRole compiles a role that is not in the store (the broker's
// brokered roles, issue 18): its trust policy with its bindings, as the
// cache compiles a stored role's, for AuthorizeAssumeRole. r.Account is
// the account the role is in (an upstream account for a brokered role);
// the trust policy is the caller's account's (the broker's registration),
// so a denial shows it.
func CompileRole(r iam.Role) (*Role, error) {
	e, err := compileEntity(&store.PrincipalSnapshot{Role: &r})
	if err != nil {
		return nil, err
	}
	e.assumable.callersTrust = true
	return e.assumable, nil
}

// AbsentRole is a role of another account that does not exist, for
// AuthorizeAssumeRole to deny as it denies that account's roles that do
// exist but do not trust the caller: its trust policy admits only its own
// account, so the caller's explicit deny is reported as for an existing
// role, and otherwise the trust policy's refusal (foreignDenial). AWS does
// not tell callers which roles exist. Its ARN is that of account, path
// and name.
func AbsentRole(account, path, name string) (*Role, error) {
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:` + iam.Partition + `:iam::` +
		account + `:root"},"Action":"sts:AssumeRole"}]}`
	r := iam.Role{Account: account, Name: name, Path: path, TrustPolicy: trust}
	e, err := compileEntity(&store.PrincipalSnapshot{Role: &r})
	if err != nil {
		return nil, err
	}
	return e.assumable, nil
}
