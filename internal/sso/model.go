package sso

// The inputs and outputs of the SSO OIDC API (botocore's sso-oidc model,
// 2019-06-10), in its JSON member names.

// Grant types of CreateToken and RegisterClient.
const (
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantRefreshToken      = "refresh_token"
	GrantAuthorizationCode = "authorization_code"
)

// ScopeAccountAccess is the scope of the SSO portal's API, the default.
const ScopeAccountAccess = "sso:account:access"

// knownScopes are the scopes a client may register and ask for: the
// portal's, and the OpenID Connect ones clients send along.
var knownScopes = map[string]bool{
	ScopeAccountAccess: true,
	"openid":           true,
	"profile":          true,
	"email":            true,
	"offline_access":   true,
}

// RegisterClientInput is RegisterClient's request.
type RegisterClientInput struct {
	ClientName             string   `json:"clientName"`
	ClientType             string   `json:"clientType"`
	Scopes                 []string `json:"scopes,omitempty"`
	RedirectURIs           []string `json:"redirectUris,omitempty"`
	GrantTypes             []string `json:"grantTypes,omitempty"`
	IssuerURL              string   `json:"issuerUrl,omitempty"`
	EntitledApplicationArn string   `json:"entitledApplicationArn,omitempty"`
}

// RegisterClientOutput is RegisterClient's response; ClientSecret is
// sensitive.
type RegisterClientOutput struct {
	ClientID              string `json:"clientId"`
	ClientSecret          string `json:"clientSecret"`
	ClientIDIssuedAt      int64  `json:"clientIdIssuedAt"`
	ClientSecretExpiresAt int64  `json:"clientSecretExpiresAt"`
}

// StartDeviceAuthorizationInput is StartDeviceAuthorization's request;
// ClientSecret is sensitive.
type StartDeviceAuthorizationInput struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	StartURL     string `json:"startUrl"`
}

// StartDeviceAuthorizationOutput is StartDeviceAuthorization's response;
// DeviceCode is a secret (the model does not mark it, Brevet does).
type StartDeviceAuthorizationOutput struct {
	DeviceCode              string `json:"deviceCode"`
	UserCode                string `json:"userCode"`
	VerificationURI         string `json:"verificationUri"`
	VerificationURIComplete string `json:"verificationUriComplete"`
	ExpiresIn               int32  `json:"expiresIn"`
	Interval                int32  `json:"interval"`
}

// CreateTokenInput is CreateToken's request. ClientSecret, RefreshToken
// and CodeVerifier are sensitive in the model; DeviceCode and Code are
// secrets too.
type CreateTokenInput struct {
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret"`
	GrantType    string   `json:"grantType"`
	DeviceCode   string   `json:"deviceCode,omitempty"`
	Code         string   `json:"code,omitempty"`
	RefreshToken string   `json:"refreshToken,omitempty"`
	Scope        []string `json:"scope,omitempty"`
	RedirectURI  string   `json:"redirectUri,omitempty"`
	CodeVerifier string   `json:"codeVerifier,omitempty"`
}

// CreateTokenOutput is CreateToken's response; both tokens are sensitive.
type CreateTokenOutput struct {
	AccessToken  string `json:"accessToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int32  `json:"expiresIn"`
	RefreshToken string `json:"refreshToken,omitempty"`
}

// sensitiveInputs are the members the audit record hides, by wire name.
var sensitiveInputs = []string{"clientSecret", "deviceCode", "code", "refreshToken", "codeVerifier"}
