package identitypool

// Owned by the helper "identities": identities, logins, GetId, linking
// and merging, developer identities, the guest limit. Stubs until it
// lands.

import (
	"context"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
	"github.com/brevet-dev/brevet/internal/sts"
)

// guestLimit bounds guest identity creation per pool and source address.
type guestLimit struct{}

func (g *guestLimit) init(perSecond float64, burst int) {}

// LoginProof is one login of a request, verified: the provider (its
// Logins key) and what its token or assertion says.
type LoginProof struct {
	// Provider is the Logins key ("accounts.google.com",
	// "login.example.com/oidc", a SAML provider ARN, DeveloperLogin).
	Provider string
	// Subject is who the provider vouches for (a developer token: the
	// identity id it was minted for).
	Subject string
	// Claims are the token's claims (SAML: attributes), for role
	// mappings and principal tags.
	Claims map[string]any
	// Developer is the verified developer token, for Provider
	// DeveloperLogin; nil otherwise.
	Developer *sts.PoolToken
}

// verifyLogins verifies every login of a request against the pool: each
// provider must be one the pool lists (else NotAuthorizedException
// "Token is not from a supported provider of this identity pool."), its
// token valid for it. No logins: nil.
func (s *Service) verifyLogins(ctx context.Context, account string, p *Pool, logins map[string]string, now time.Time) ([]LoginProof, error) {
	return nil, errTODO
}

// identity returns the identity id, whatever its account, with the
// account; ResourceNotFoundException when there is none.
func (s *Service) identity(ctx context.Context, id string) (account string, ident *Identity, err error) {
	return "", nil, errTODO
}

// authenticate is what GetCredentialsForIdentity and GetOpenIdToken know
// of the identity id once its logins are checked: the identity (logins
// linked, merged where a login belonged to another identity), its pool
// and account, and the verified logins (none for a guest). It refuses an
// identity with linked logins called without one of them
// (NotAuthorizedException), and a guest of a pool that no longer allows
// guests.
func (s *Service) authenticate(ctx context.Context, id string, logins map[string]string, x *request.Exchange) (*Authenticated, error) {
	return nil, errTODO
}

// Authenticated is an identity whose request's logins were verified.
type Authenticated struct {
	Account  string
	Pool     *Pool
	Identity *Identity
	Logins   []LoginProof
}

func (s *Service) GetId(ctx context.Context, in *GetIdInput, x *request.Exchange) (*IdentityIDOutput, error) {
	return nil, errTODO
}

func (s *Service) UnlinkIdentity(ctx context.Context, in *UnlinkIdentityInput, x *request.Exchange) error {
	return errTODO
}

func (s *Service) ListIdentities(ctx context.Context, account string, in *ListIdentitiesInput) (*ListIdentitiesOutput, error) {
	return nil, errTODO
}

func (s *Service) DescribeIdentity(ctx context.Context, account string, in *IdentityIDInput) (*IdentityDescription, error) {
	return nil, errTODO
}

// identityTarget authorizes DescribeIdentity on the identity's pool.
func (s *Service) identityTarget(ctx context.Context, r *restjson.Request[IdentityIDInput]) (request.Target, error) {
	return request.Target{}, errTODO
}

// deleteTargets authorizes DeleteIdentities on each identity's pool.
func (s *Service) deleteTargets(ctx context.Context, r *restjson.Request[DeleteIdentitiesInput]) ([]request.Target, error) {
	return nil, errTODO
}

func (s *Service) DeleteIdentities(ctx context.Context, account string, in *DeleteIdentitiesInput) (*DeleteIdentitiesOutput, error) {
	return nil, errTODO
}

func (s *Service) GetOpenIdTokenForDeveloperIdentity(ctx context.Context, account string, in *GetOpenIdTokenForDeveloperIdentityInput, now time.Time) (*OpenIdTokenOutput, error) {
	return nil, errTODO
}

func (s *Service) LookupDeveloperIdentity(ctx context.Context, account string, in *LookupDeveloperIdentityInput) (*LookupDeveloperIdentityOutput, error) {
	return nil, errTODO
}

func (s *Service) MergeDeveloperIdentities(ctx context.Context, account string, in *MergeDeveloperIdentitiesInput) (*IdentityIDOutput, error) {
	return nil, errTODO
}

func (s *Service) UnlinkDeveloperIdentity(ctx context.Context, account string, in *UnlinkDeveloperIdentityInput) error {
	return errTODO
}
