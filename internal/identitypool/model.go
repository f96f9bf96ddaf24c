package identitypool

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// The store.Objects kinds this package owns.
const (
	// KindPool is a pool; ID the pool id ("us-east-1:<uuid>").
	KindPool = "cognito-identity.pool"
	// KindIdentity is an identity; ID the identity id. Found with
	// Objects.Find, as GetCredentialsForIdentity names no account.
	KindIdentity = "cognito-identity.identity"
	// KindLogin links one login (provider and subject) of a pool to its
	// identity; ID is LoginKey(pool, provider, subject).
	KindLogin = "cognito-identity.login"
	// KindMember lists a pool's identities; ID is MemberKey(pool,
	// identity), its body empty.
	KindMember = "cognito-identity.member"
)

// Well-known names.
const (
	// Principal is the federated principal trust policies name.
	Principal = "cognito-identity.amazonaws.com"
	// DeveloperLogin is the Logins key of a token from
	// GetOpenIdTokenForDeveloperIdentity.
	DeveloperLogin = "cognito-identity.amazonaws.com"
	// SessionName is the role session name of the credentials
	// GetCredentialsForIdentity issues, AWS's.
	SessionName = "CognitoIdentityCredentials"
)

// Limits (the model's constraints and AWS's quotas).
const (
	MaxPageSize = 60
	// MaxLogins is how many logins an identity may link.
	MaxLogins = 10
	// SessionDuration is the life of the credentials of the enhanced
	// flow, a guest's or a signed-in identity's (AWS's hour).
	SessionDuration = time.Hour
	// DefaultTokenDuration is GetOpenIdToken's token life (AWS's ten
	// minutes); MaxTokenDuration the developer tokens' bound (a day).
	DefaultTokenDuration = 10 * time.Minute
	MaxTokenDuration     = 24 * time.Hour
	MaxTags              = 50
	// MaxPoolProviders bounds each of a pool's provider lists (OpenID
	// Connect and SAML provider ARNs, Cognito user pool providers), which
	// the model leaves unbounded: AWS's quota of identity providers per
	// pool (our choice of where to apply it).
	MaxPoolProviders = 50
)

// Pool is an identity pool as the API describes it (IdentityPool), and
// as it is stored (KindPool's body), with its roles and mappings.
type Pool struct {
	IdentityPoolId                 string
	IdentityPoolName               string
	AllowUnauthenticatedIdentities bool
	AllowClassicFlow               *bool                  `json:",omitempty"`
	SupportedLoginProviders        map[string]string      `json:",omitempty"`
	DeveloperProviderName          string                 `json:",omitempty"`
	OpenIdConnectProviderARNs      []string               `json:",omitempty"`
	CognitoIdentityProviders       []CognitoProvider      `json:",omitempty"`
	SamlProviderARNs               []string               `json:",omitempty"`
	IdentityPoolTags               map[string]string      `json:",omitempty"`
	Roles                          map[string]string      `json:"-"`
	RoleMappings                   map[string]RoleMapping `json:"-"`
	// PrincipalTags maps a provider name to its principal tag map
	// (SetPrincipalTagAttributeMap).
	PrincipalTags map[string]TagAttributeMap `json:"-"`
}

// storedPool is a pool's KindPool body: the API shape plus what
// DescribeIdentityPool does not show.
type storedPool struct {
	Pool
	Roles         map[string]string          `json:",omitempty"`
	RoleMappings  map[string]RoleMapping     `json:",omitempty"`
	PrincipalTags map[string]TagAttributeMap `json:",omitempty"`
}

// MarshalStored encodes p as stored.
func (p *Pool) MarshalStored() ([]byte, error) {
	return json.Marshal(storedPool{Pool: *p, Roles: p.Roles, RoleMappings: p.RoleMappings, PrincipalTags: p.PrincipalTags})
}

// UnmarshalStored decodes a stored pool.
func UnmarshalStored(b []byte) (*Pool, error) {
	var s storedPool
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	p := s.Pool
	p.Roles, p.RoleMappings, p.PrincipalTags = s.Roles, s.RoleMappings, s.PrincipalTags
	return &p, nil
}

// CognitoProvider is a Cognito user pool provider (CognitoIdentityProvider).
type CognitoProvider struct {
	ProviderName         string `json:",omitempty"`
	ClientId             string `json:",omitempty"`
	ServerSideTokenCheck *bool  `json:",omitempty"`
}

// RoleMapping chooses the role of a provider's identities (RoleMapping).
type RoleMapping struct {
	// Type is "Token" or "Rules".
	Type string
	// AmbiguousRoleResolution is "AuthenticatedRole" or "Deny".
	AmbiguousRoleResolution string              `json:",omitempty"`
	RulesConfiguration      *RulesConfiguration `json:",omitempty"`
}

// RulesConfiguration holds a Rules mapping's rules, tried in order.
type RulesConfiguration struct {
	Rules []MappingRule
}

// MappingRule maps a claim's value to a role (MappingRule).
type MappingRule struct {
	Claim string
	// MatchType is "Equals", "Contains", "StartsWith" or "NotEqual".
	MatchType string
	Value     string
	RoleARN   string
}

// TagAttributeMap maps a provider's claims to principal tags.
type TagAttributeMap struct {
	UseDefaults   bool
	PrincipalTags map[string]string `json:",omitempty"`
}

// Identity is an identity as stored (KindIdentity's body).
type Identity struct {
	IdentityId     string
	IdentityPoolId string
	// Logins are the linked logins; none for a guest.
	Logins       []Login `json:",omitempty"`
	Created      time.Time
	LastModified time.Time
}

// Login is one linked login: the provider (the Logins key) and the
// subject it vouches for.
type Login struct {
	Provider string
	Subject  string
}

// Time is a timestamp as JSON 1.1 writes it: seconds since the epoch.
type Time time.Time

// MarshalJSON writes t as seconds since the epoch, with milliseconds.
func (t Time) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// UnmarshalJSON reads seconds since the epoch.
func (t *Time) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	sec, frac := math.Modf(f)
	*t = Time(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}
