package identitypool

// Owned by the helper "credentials": role resolution, the enhanced flow
// (GetCredentialsForIdentity) and the basic flow's token
// (GetOpenIdToken).

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/brevet-dev/brevet/internal/request"
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
		out = appendUnique(out, l.Provider)
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

func (s *Service) GetCredentialsForIdentity(ctx context.Context, in *GetCredentialsForIdentityInput, x *request.Exchange) (*GetCredentialsForIdentityOutput, error) {
	return nil, errTODO
}

func (s *Service) GetOpenIdToken(ctx context.Context, in *GetOpenIdTokenInput, x *request.Exchange) (*OpenIdTokenOutput, error) {
	return nil, errTODO
}
