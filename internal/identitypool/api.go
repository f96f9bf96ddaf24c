package identitypool

// The actions' inputs and outputs, as the Cognito Identity model names
// their members (JSON 1.1 bodies).

// CreateIdentityPoolInput is CreateIdentityPool's input; UpdateIdentityPool
// takes a whole Pool.
type CreateIdentityPoolInput struct {
	IdentityPoolName               string
	AllowUnauthenticatedIdentities *bool
	AllowClassicFlow               *bool
	SupportedLoginProviders        map[string]string
	DeveloperProviderName          string
	OpenIdConnectProviderARNs      []string
	CognitoIdentityProviders       []CognitoProvider
	SamlProviderARNs               []string
	IdentityPoolTags               map[string]string
}

// PoolIDInput names a pool (DescribeIdentityPool, DeleteIdentityPool,
// GetIdentityPoolRoles).
type PoolIDInput struct {
	IdentityPoolId string
}

// ListIdentityPoolsInput is ListIdentityPools' input.
type ListIdentityPoolsInput struct {
	MaxResults int
	NextToken  string
}

// ListIdentityPoolsOutput is ListIdentityPools' output.
type ListIdentityPoolsOutput struct {
	IdentityPools []PoolShort
	NextToken     string `json:",omitempty"`
}

// PoolShort is a pool in a list (IdentityPoolShortDescription).
type PoolShort struct {
	IdentityPoolId   string
	IdentityPoolName string
}

// SetIdentityPoolRolesInput is SetIdentityPoolRoles' input.
type SetIdentityPoolRolesInput struct {
	IdentityPoolId string
	Roles          map[string]string
	RoleMappings   map[string]RoleMapping
}

// IdentityPoolRoles is GetIdentityPoolRoles' output.
type IdentityPoolRoles struct {
	IdentityPoolId string
	Roles          map[string]string      `json:",omitempty"`
	RoleMappings   map[string]RoleMapping `json:",omitempty"`
}

// PrincipalTagAttributeMap is SetPrincipalTagAttributeMap's input and
// output, and GetPrincipalTagAttributeMap's output.
type PrincipalTagAttributeMap struct {
	IdentityPoolId       string
	IdentityProviderName string
	UseDefaults          *bool             `json:",omitempty"`
	PrincipalTags        map[string]string `json:",omitempty"`
}

// ProviderNameInput is GetPrincipalTagAttributeMap's input.
type ProviderNameInput struct {
	IdentityPoolId       string
	IdentityProviderName string
}

// TagResourceInput is TagResource's input.
type TagResourceInput struct {
	ResourceArn string
	Tags        map[string]string
}

// UntagResourceInput is UntagResource's input.
type UntagResourceInput struct {
	ResourceArn string
	TagKeys     []string
}

// ResourceArnInput is ListTagsForResource's input.
type ResourceArnInput struct {
	ResourceArn string
}

// TagsOutput is ListTagsForResource's output.
type TagsOutput struct {
	Tags map[string]string
}

// Empty is the output of actions that answer {}.
type Empty struct{}

// GetIdInput is GetId's input.
type GetIdInput struct {
	AccountId      string
	IdentityPoolId string
	Logins         map[string]string
}

// IdentityIDOutput is GetId's output.
type IdentityIDOutput struct {
	IdentityId string
}

// GetCredentialsForIdentityInput is GetCredentialsForIdentity's input.
type GetCredentialsForIdentityInput struct {
	IdentityId    string
	Logins        map[string]string
	CustomRoleArn string
}

// GetCredentialsForIdentityOutput is its output.
type GetCredentialsForIdentityOutput struct {
	IdentityId  string
	Credentials *Credentials
}

// Credentials are a session's credentials as Cognito Identity names them.
type Credentials struct {
	AccessKeyId  string
	SecretKey    string
	SessionToken string
	Expiration   Time
}

// GetOpenIdTokenInput is GetOpenIdToken's input.
type GetOpenIdTokenInput struct {
	IdentityId string
	Logins     map[string]string
}

// OpenIdTokenOutput is GetOpenIdToken's and
// GetOpenIdTokenForDeveloperIdentity's output.
type OpenIdTokenOutput struct {
	IdentityId string
	Token      string
}

// GetOpenIdTokenForDeveloperIdentityInput is its action's input.
type GetOpenIdTokenForDeveloperIdentityInput struct {
	IdentityPoolId string
	IdentityId     string
	Logins         map[string]string
	PrincipalTags  map[string]string
	TokenDuration  *int64
}

// LookupDeveloperIdentityInput is LookupDeveloperIdentity's input.
type LookupDeveloperIdentityInput struct {
	IdentityPoolId          string
	IdentityId              string
	DeveloperUserIdentifier string
	MaxResults              int
	NextToken               string
}

// LookupDeveloperIdentityOutput is its output.
type LookupDeveloperIdentityOutput struct {
	IdentityId                  string   `json:",omitempty"`
	DeveloperUserIdentifierList []string `json:",omitempty"`
	NextToken                   string   `json:",omitempty"`
}

// MergeDeveloperIdentitiesInput is MergeDeveloperIdentities' input.
type MergeDeveloperIdentitiesInput struct {
	SourceUserIdentifier      string
	DestinationUserIdentifier string
	DeveloperProviderName     string
	IdentityPoolId            string
}

// UnlinkDeveloperIdentityInput is UnlinkDeveloperIdentity's input.
type UnlinkDeveloperIdentityInput struct {
	IdentityId              string
	IdentityPoolId          string
	DeveloperProviderName   string
	DeveloperUserIdentifier string
}

// ListIdentitiesInput is ListIdentities' input.
type ListIdentitiesInput struct {
	IdentityPoolId string
	MaxResults     int
	NextToken      string
	HideDisabled   bool
}

// ListIdentitiesOutput is ListIdentities' output.
type ListIdentitiesOutput struct {
	IdentityPoolId string
	Identities     []IdentityDescription
	NextToken      string `json:",omitempty"`
}

// IdentityDescription describes an identity (DescribeIdentity's output).
type IdentityDescription struct {
	IdentityId       string
	Logins           []string `json:",omitempty"`
	CreationDate     Time
	LastModifiedDate Time
}

// IdentityIDInput is DescribeIdentity's input.
type IdentityIDInput struct {
	IdentityId string
}

// UnlinkIdentityInput is UnlinkIdentity's input.
type UnlinkIdentityInput struct {
	IdentityId     string
	Logins         map[string]string
	LoginsToRemove []string
}

// DeleteIdentitiesInput is DeleteIdentities' input.
type DeleteIdentitiesInput struct {
	IdentityIdsToDelete []string
}

// DeleteIdentitiesOutput is its output.
type DeleteIdentitiesOutput struct {
	UnprocessedIdentityIds []UnprocessedIdentityID
}

// UnprocessedIdentityID is an identity DeleteIdentities could not delete.
type UnprocessedIdentityID struct {
	IdentityId string
	ErrorCode  string
}
