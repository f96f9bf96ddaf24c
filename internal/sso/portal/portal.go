package portal

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/sso/assign"
	"github.com/brevet-dev/brevet/internal/sts"
)

// Principal is the service principal that assumes roles for people; the
// role's trust policy must allow it sts:AssumeRole and
// sts:SetSourceIdentity.
const Principal = "sso.amazonaws.com"

// BearerHeader carries the access token (the model's accessToken).
const BearerHeader = "x-amz-sso_bearer_token"

// maxBearer bounds the access token read from a request.
const maxBearer = 8 << 10

// Sessions checks access tokens and ends sign-in sessions; an
// *sso.Service is one.
type Sessions interface {
	Authenticate(ctx context.Context, bearer string, now time.Time) (sso.Token, error)
	Logout(ctx context.Context, bearer string, now time.Time) error
}

// Assignments decides what a person may see and obtain; an
// *assign.Assignments is one.
type Assignments interface {
	Grants(ctx context.Context, keys []string) ([]assign.Grant, error)
	Allowed(ctx context.Context, keys []string, account, role string) (bool, error)
}

// Accounts names accounts (their alias); store.Accounts is one.
type Accounts interface {
	Get(ctx context.Context, id string) (iam.Account, error)
}

// Roles loads roles from a cache; an *authz.Authorizer is one.
type Roles interface {
	LoadRole(ctx context.Context, account, name string) (*authz.Role, error)
}

// Issuer mints role sessions for a service principal; an *sts.Service is
// one.
type Issuer interface {
	ServiceSession(ctx context.Context, in *sts.ServiceSessionInput) (*sts.ServiceSession, error)
}

// Config configures New; every member but RoleSessionDuration is
// required.
type Config struct {
	Sessions    Sessions
	Assignments Assignments
	Accounts    Accounts
	Roles       Roles
	Issuer      Issuer
	// RoleSessionDuration is the length of GetRoleCredentials' sessions,
	// capped by the role's MaxSessionDuration; an hour when 0.
	RoleSessionDuration time.Duration
}

// Service is the SSO portal.
type Service struct {
	cfg Config
}

// New returns the portal of cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Sessions == nil || cfg.Assignments == nil || cfg.Accounts == nil || cfg.Roles == nil || cfg.Issuer == nil {
		return nil, errors.New("portal: Sessions, Assignments, Accounts, Roles and Issuer are required")
	}
	if cfg.RoleSessionDuration <= 0 {
		cfg.RoleSessionDuration = time.Hour
	}
	return &Service{cfg: cfg}, nil
}

// Person is the caller of a portal action: the person an access token was
// issued to. It is the pipeline's principal, so the audit record names
// them.
type Person struct {
	Token sso.Token
	// account is the account the audit event goes to: the IAM user's
	// own ("" for a provider's user), or the account the request concerns
	// once the person is shown to hold an assignment there
	// (ListAccountRoles, GetRoleCredentials set it). Never an account the
	// request merely names, so nobody writes events into an account that
	// gave them nothing.
	account string
}

// ARN names the person: an IAM user's ARN, or arn:aws:sso:::user/idp:NAME/USERNAME for a
// provider's user.
func (p *Person) ARN() string {
	id := &p.Token.Identity
	if id.Source == sso.SourceIAM {
		return iam.UserARN(id.Account, cmp.Or(id.Path, "/"), id.UserName)
	}
	return id.ProviderUserARN()
}

// BudgetKey is the person's requests_per_caller budget: their sign-in
// session's (ratelimit.KeyedPrincipal), not an access key id the request
// may also present.
func (p *Person) BudgetKey() string { return "sso:" + p.Token.SessionID }

// AccountID is the person's own account, for the audit event's
// userIdentity (audit.AccountPrincipal): an IAM user's, "" for a
// provider's user.
func (p *Person) AccountID() string { return p.Token.Identity.Account }

// RecipientAccountID is the account the audit event goes to
// (audit.RecipientPrincipal): see Person.account.
func (p *Person) RecipientAccountID() string { return p.account }

// Authenticate establishes the person behind r's bearer token. Any
// refusal is an *UnauthorizedError, whatever its reason (sso.ErrUnauthorized
// says no more); a failure to decide (the store down) is returned as it is.
func (s *Service) Authenticate(ctx context.Context, r *http.Request, now time.Time) (*Person, error) {
	vs := r.Header.Values(BearerHeader)
	if len(vs) != 1 || vs[0] == "" || len(vs[0]) > maxBearer {
		return nil, &UnauthorizedError{Reason: "no single bearer token of at most 8 KiB"}
	}
	tok, err := s.cfg.Sessions.Authenticate(ctx, vs[0], now)
	if errors.Is(err, sso.ErrUnauthorized) {
		return nil, &UnauthorizedError{Reason: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	return &Person{Token: tok, account: tok.Identity.Account}, nil
}
