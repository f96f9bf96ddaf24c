package identitypool

// Owned by the helper "credentials": role resolution, the enhanced flow
// (GetCredentialsForIdentity) and the basic flow's token
// (GetOpenIdToken).

import (
	"cmp"
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sts"
)

// The first value of an AMR: whether the identity proved a login.
const (
	amrAuthenticated   = "authenticated"
	amrUnauthenticated = "unauthenticated"
)

// amr is the authentication methods reference of an identity's session
// or token (the amr claim, the cognito-identity.amazonaws.com:amr key):
// ["unauthenticated"] for a guest (no logins); else "authenticated",
// then for each login, ordered by provider, the provider and
// "PROVIDER:SUBJECT", so trust and role policies can condition on a
// provider (ForAnyValue:StringLike) or on one user of it. A developer
// login is Login{Provider: DeveloperProviderName, Subject: user id}.
// The logins are not modified.
func amr(logins []Login) []string {
	if len(logins) == 0 {
		return []string{amrUnauthenticated}
	}
	sorted := slices.Clone(logins)
	slices.SortFunc(sorted, func(a, b Login) int {
		return cmp.Or(strings.Compare(a.Provider, b.Provider), strings.Compare(a.Subject, b.Subject))
	})
	out := make([]string, 0, 1+2*len(sorted))
	out = append(out, amrAuthenticated)
	for _, l := range sorted {
		// A provider named "unauthenticated" (a developer provider name, an
		// OIDC host) is left out: the value says guest to trust policies.
		if l.Provider != amrUnauthenticated {
			out = appendUnique(out, l.Provider)
		}
		out = appendUnique(out, l.Provider+":"+l.Subject)
	}
	return out
}

// appendUnique appends v to s unless s holds it.
func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// loginsAMR is the AMR of a request's verified logins (amr's): a
// developer token stands for the developer logins it was minted with,
// its own AMR's providers.
func loginsAMR(proofs []LoginProof) []string {
	logins := make([]Login, 0, len(proofs))
	var developer []string
	for _, l := range proofs {
		if l.Developer == nil {
			logins = append(logins, Login{Provider: l.Provider, Subject: l.Subject})
			continue
		}
		n := len(developer)
		for _, v := range l.Developer.AMR {
			if v != amrAuthenticated && v != amrUnauthenticated {
				developer = append(developer, v)
			}
		}
		if len(developer) == n {
			developer = append(developer, l.Provider)
		}
	}
	if len(logins) == 0 && len(developer) == 0 {
		return amr(nil)
	}
	out := []string{amrAuthenticated}
	if len(logins) > 0 {
		out = amr(logins)
	}
	for _, v := range developer {
		out = appendUnique(out, v)
	}
	return out
}

// The model's constraints on the flows' inputs.
var flowIdentityID = regexp.MustCompile(`^[\w-]+:[0-9a-f-]+$`)

const (
	maxIdentityIDLen = 55
	minRoleARNLen    = 20
	maxRoleARNLen    = 2048
	maxProviderLen   = 128
	maxLoginTokenLen = 50000
)

// checkFlowInput checks what GetCredentialsForIdentity and
// GetOpenIdToken take against the model, before anything is looked up:
// the identity id, the logins (never echoed: they hold tokens) and the
// custom role ARN.
func checkFlowInput(identityID string, logins map[string]string, customRole string) error {
	switch {
	case identityID == "":
		return invalid("1 validation error detected: Value null at 'identityId' failed to satisfy constraint: Member must not be null")
	case len(identityID) > maxIdentityIDLen:
		return invalid("1 validation error detected: Value at 'identityId' failed to satisfy constraint: Member must have length less than or equal to %d", maxIdentityIDLen)
	case !flowIdentityID.MatchString(identityID):
		return invalid("1 validation error detected: Value '%s' at 'identityId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+", identityID)
	case len(logins) > MaxLogins:
		return invalid("1 validation error detected: Value at 'logins' failed to satisfy constraint: Member must have length less than or equal to %d", MaxLogins)
	}
	for name, token := range logins {
		if name == "" || len(name) > maxProviderLen {
			return invalid("1 validation error detected: Value at 'logins' failed to satisfy constraint: Map keys must have length between 1 and %d", maxProviderLen)
		}
		if token == "" || len(token) > maxLoginTokenLen {
			return invalid("1 validation error detected: Value at 'logins' failed to satisfy constraint: Map values must have length between 1 and %d", maxLoginTokenLen)
		}
	}
	if customRole != "" && (len(customRole) < minRoleARNLen || len(customRole) > maxRoleARNLen) {
		return invalid("1 validation error detected: Value at 'customRoleArn' failed to satisfy constraint: Member must have length between %d and %d", minRoleARNLen, maxRoleARNLen)
	}
	return nil
}

// exchangeFacts are the request's facts for the trust evaluation.
func exchangeFacts(x *request.Exchange) authz.Facts {
	f := authz.Facts{Now: x.Start, SourceIP: x.SourceIP}
	if x.HTTP != nil {
		f.UserAgent, f.SecureTransport = x.HTTP.UserAgent(), x.HTTP.TLS != nil
	}
	if f.Now.IsZero() {
		f.Now = time.Now()
	}
	return f
}

// GetCredentialsForIdentity is the enhanced flow: the identity's logins
// verified (none for a guest), the role the pool gives them, and the
// role session STS grants the pool's principal for the identity, as the
// role's trust policy alone decides (and only a trust policy that scopes
// the role to this pool by :aud).
func (s *Service) GetCredentialsForIdentity(ctx context.Context, in *GetCredentialsForIdentityInput, x *request.Exchange) (*GetCredentialsForIdentityOutput, error) {
	if err := checkFlowInput(in.IdentityId, in.Logins, in.CustomRoleArn); err != nil {
		return nil, err
	}
	a, err := s.authenticate(ctx, in.IdentityId, in.Logins, x)
	if err != nil {
		return nil, err
	}
	role, err := chooseRole(a.Pool, a.Logins, in.CustomRoleArn)
	if err != nil {
		return nil, err
	}
	if checkRoleARN(a.Account, role) != nil {
		// A token's cognito:preferred_role may name anything; the pool's
		// own roles are of its account (checkRoles). STS would refuse it
		// too (PoolSessionInput.Account), with the claim in its message.
		return nil, noRole("the role chosen is not a role of the pool's account", nil)
	}
	ss, err := s.sessions.PoolSession(ctx, &sts.PoolSessionInput{
		RoleARN: role, Account: a.Account, PoolID: a.Pool.IdentityPoolId, IdentityID: a.Identity.IdentityId,
		AMR: loginsAMR(a.Logins), Tags: principalTags(a.Pool, a.Logins),
		Enhanced: true, Duration: SessionDuration, Facts: exchangeFacts(x),
	})
	if err != nil {
		return nil, sessionError(err)
	}
	x.Issue(ss.Issuance("GetCredentialsForIdentity", x.SourceIP))
	c := ss.Credentials
	return &GetCredentialsForIdentityOutput{
		IdentityId: a.Identity.IdentityId,
		Credentials: &Credentials{
			AccessKeyId: c.AccessKeyId, SecretKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: Time(c.Expiration),
		},
	}, nil
}

// sessionError maps STS's refusals of a pool session: the role's trust
// policy does not let the pool's identity in, or does not scope the role
// to the pool, is the pool's configuration (AWS's answer); a parameter
// STS refuses (a principal tag a claim made too long) is the caller's.
func sessionError(err error) error {
	if _, ok := errors.AsType[*sts.AccessDeniedError](err); ok {
		return noRole("the role's trust policy does not allow the pool's session", err)
	}
	if errors.Is(err, sts.ErrPoolTrustUnscoped) {
		return noRole("the role's trust policy does not restrict "+sts.PoolPrincipal+":aud to the pool (enhanced flow)", err)
	}
	if ve, ok := errors.AsType[*sts.ValidationError](err); ok {
		return &Error{Code: CodeInvalidParameter, Message: ve.Message, Cause: err}
	}
	return err
}

// GetOpenIdToken is the basic (classic) flow's first step: the
// identity's logins verified, a pool token (10 minutes) the app passes
// to STS's AssumeRoleWithWebIdentity. Only pools that allow the classic
// flow give one.
func (s *Service) GetOpenIdToken(ctx context.Context, in *GetOpenIdTokenInput, x *request.Exchange) (*OpenIdTokenOutput, error) {
	if err := checkFlowInput(in.IdentityId, in.Logins, ""); err != nil {
		return nil, err
	}
	a, err := s.authenticate(ctx, in.IdentityId, in.Logins, x)
	if err != nil {
		return nil, err
	}
	if !a.changed {
		// Its Effect is Writes for the logins it links; this time it
		// only read.
		x.Unchanged()
	}
	if a.Pool.AllowClassicFlow == nil || !*a.Pool.AllowClassicFlow {
		return nil, &Error{Code: CodeInvalidParameter, Message: "Basic (classic) flow is not enabled, please use enhanced flow.",
			Reason: "the pool does not allow the classic flow"}
	}
	tok := &sts.PoolToken{
		Account: a.Account, PoolID: a.Pool.IdentityPoolId, IdentityID: a.Identity.IdentityId,
		AMR: loginsAMR(a.Logins), Tags: principalTags(a.Pool, a.Logins),
	}
	raw, err := s.tokens.MintPoolToken(tok, DefaultTokenDuration, exchangeFacts(x).Now)
	if err != nil {
		return nil, err
	}
	return &OpenIdTokenOutput{IdentityId: a.Identity.IdentityId, Token: raw}, nil
}
