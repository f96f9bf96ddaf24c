package brevetapi

import (
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
)

// The credential broker's actions (issue 18, docs/broker.md): upstream
// AWS accounts whose trust Brevet holds, the upstream roles it brokers,
// and the brokered GetSessionToken and GetFederationToken. An upstream
// account's secret key is write-only: SecretAccessKey is a request member
// (sensitive: never audited or echoed) and no response carries it.

var (
	shapeUpstreamID  = &awsquery.Shape{Name: "UpstreamAccountIdType", Kind: awsquery.KindString, HasMin: true, Min: 12, HasMax: true, Max: 12, Pattern: `[0-9]+`}
	shapeMode        = &awsquery.Shape{Name: "UpstreamModeType", Kind: awsquery.KindString, Enum: []string{"OIDC", "KEY"}}
	shapeEndpoint    = &awsquery.Shape{Name: "EndpointType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 2048}
	shapeRegion      = &awsquery.Shape{Name: "RegionType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 64, Pattern: `[a-z0-9-]+`}
	shapeAudience    = &awsquery.Shape{Name: "AudienceType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 255}
	shapeCABundle    = &awsquery.Shape{Name: "CaBundleType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 65536}
	shapeSecretKey   = &awsquery.Shape{Name: "SecretAccessKeyType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 256, Sensitive: true}
	shapeUserName    = &awsquery.Shape{Name: "UserNameType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 64, Pattern: `[\w+=,.@-]+`}
	shapeRotateDays  = &awsquery.Shape{Name: "RotateEveryDaysType", Kind: awsquery.KindInteger, HasMin: true, Min: 0, HasMax: true, Max: 365}
	shapeRate        = &awsquery.Shape{Name: "RateType", Kind: awsquery.KindInteger, HasMin: true, Min: 1, HasMax: true, Max: 10000}
	shapeDescription = &awsquery.Shape{Name: "DescriptionType", Kind: awsquery.KindString, HasMax: true, Max: 1000}
	shapeTrustDoc    = &awsquery.Shape{Name: "PolicyDocumentType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 131072}
	shapeRoleMaxDur  = &awsquery.Shape{Name: "RoleMaxSessionDurationType", Kind: awsquery.KindInteger, HasMin: true, Min: 900, HasMax: true, Max: 43200}
	shapeExternalID  = &awsquery.Shape{Name: "ExternalIdType", Kind: awsquery.KindString, HasMin: true, Min: 2, HasMax: true, Max: 1224, Pattern: `[\w+=,.@:\/-]*`}
	shapeTokenDur    = &awsquery.Shape{Name: "UpstreamDurationSecondsType", Kind: awsquery.KindInteger, HasMin: true, Min: 900, HasMax: true, Max: 129600}
	shapeFedName     = &awsquery.Shape{Name: "FederatedUserNameType", Kind: awsquery.KindString, HasMin: true, Min: 2, HasMax: true, Max: 32, Pattern: `[\w+=,.@-]+`}
	shapePackedSize  = &awsquery.Shape{Name: "PackedPolicySizeType", Kind: awsquery.KindInteger}

	shapeUpstreamAccount = &awsquery.Shape{Name: "UpstreamAccount", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "UpstreamAccountId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Arn", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Mode", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "StsEndpoint", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "IamEndpoint", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Region", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Audience", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "HasCaBundle", Ref: awsquery.Ref{Shape: shapeBool}},
		{Name: "AccessKeyId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "UserName", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "KeyCreated", Ref: awsquery.Ref{Shape: shapeTime}},
		{Name: "RotateEveryDays", Ref: awsquery.Ref{Shape: shapeCount}},
		{Name: "LastRotated", Ref: awsquery.Ref{Shape: shapeTime}},
		{Name: "LastRotationFailed", Ref: awsquery.Ref{Shape: shapeTime}},
		{Name: "LastRotationError", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Rate", Ref: awsquery.Ref{Shape: shapeCount}},
		{Name: "Burst", Ref: awsquery.Ref{Shape: shapeCount}},
		{Name: "CacheCredentials", Ref: awsquery.Ref{Shape: shapeBool}},
		{Name: "Description", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Created", Ref: awsquery.Ref{Shape: shapeTime}},
		{Name: "CreatedBy", Ref: awsquery.Ref{Shape: shapeString}},
	}}
	shapeUpstreamAccounts = &awsquery.Shape{Name: "UpstreamAccountList", Kind: awsquery.KindList, Member: &awsquery.Ref{Shape: shapeUpstreamAccount}}

	shapeBrokeredRole = &awsquery.Shape{Name: "BrokeredRole", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "RoleArn", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "UpstreamAccountId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "AssumeRolePolicyDocument", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "MaxSessionDuration", Ref: awsquery.Ref{Shape: shapeCount}},
		{Name: "SessionPolicy", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "ExternalId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Description", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Created", Ref: awsquery.Ref{Shape: shapeTime}},
		{Name: "CreatedBy", Ref: awsquery.Ref{Shape: shapeString}},
	}}
	shapeBrokeredRoles = &awsquery.Shape{Name: "BrokeredRoleList", Kind: awsquery.KindList, Member: &awsquery.Ref{Shape: shapeBrokeredRole}}

	// upstreamAccountMembers are CreateUpstreamAccount's and
	// UpdateUpstreamAccount's members; create requires Mode.
	upstreamAccountMembers = func(create bool) []awsquery.Member {
		return []awsquery.Member{
			{Name: "UpstreamAccountId", Ref: awsquery.Ref{Shape: shapeUpstreamID}, Required: true},
			{Name: "Mode", Ref: awsquery.Ref{Shape: shapeMode}, Required: create},
			{Name: "StsEndpoint", Ref: awsquery.Ref{Shape: shapeEndpoint}},
			{Name: "IamEndpoint", Ref: awsquery.Ref{Shape: shapeEndpoint}},
			{Name: "Region", Ref: awsquery.Ref{Shape: shapeRegion}},
			{Name: "Audience", Ref: awsquery.Ref{Shape: shapeAudience}},
			{Name: "CaBundle", Ref: awsquery.Ref{Shape: shapeCABundle}},
			{Name: "AccessKeyId", Ref: awsquery.Ref{Shape: shapeKeyID}},
			{Name: "SecretAccessKey", Ref: awsquery.Ref{Shape: shapeSecretKey}},
			{Name: "UserName", Ref: awsquery.Ref{Shape: shapeUserName}},
			{Name: "RotateEveryDays", Ref: awsquery.Ref{Shape: shapeRotateDays}},
			{Name: "Rate", Ref: awsquery.Ref{Shape: shapeRate}},
			{Name: "Burst", Ref: awsquery.Ref{Shape: shapeRate}},
			{Name: "CacheCredentials", Ref: awsquery.Ref{Shape: shapeBool}},
			{Name: "Description", Ref: awsquery.Ref{Shape: shapeDescription}},
		}
	}
	shapeUpstreamIDRequest = func(name string) *awsquery.Shape {
		return &awsquery.Shape{Name: name, Kind: awsquery.KindStructure, Members: []awsquery.Member{
			{Name: "UpstreamAccountId", Ref: awsquery.Ref{Shape: shapeUpstreamID}, Required: true},
		}}
	}
	shapeUpstreamAccountResponse = func(name string) *awsquery.Shape {
		return &awsquery.Shape{Name: name, Kind: awsquery.KindStructure, Members: []awsquery.Member{
			{Name: "UpstreamAccount", Ref: awsquery.Ref{Shape: shapeUpstreamAccount}},
		}}
	}
	shapeListUpstreamAccountsRequest = &awsquery.Shape{Name: "ListUpstreamAccountsRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Marker", Ref: awsquery.Ref{Shape: shapeMarker}},
		{Name: "MaxItems", Ref: awsquery.Ref{Shape: shapeMaxItems}},
	}}
	shapeListUpstreamAccountsResponse = &awsquery.Shape{Name: "ListUpstreamAccountsResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "UpstreamAccounts", Ref: awsquery.Ref{Shape: shapeUpstreamAccounts}},
		{Name: "IsTruncated", Ref: awsquery.Ref{Shape: shapeBool}},
		{Name: "Marker", Ref: awsquery.Ref{Shape: shapeString}},
	}}

	brokeredRoleMembers = func(create bool) []awsquery.Member {
		return []awsquery.Member{
			{Name: "RoleArn", Ref: awsquery.Ref{Shape: shapeArn}, Required: true},
			{Name: "AssumeRolePolicyDocument", Ref: awsquery.Ref{Shape: shapeTrustDoc}, Required: create},
			{Name: "MaxSessionDuration", Ref: awsquery.Ref{Shape: shapeRoleMaxDur}},
			{Name: "SessionPolicy", Ref: awsquery.Ref{Shape: shapeTrustDoc}},
			{Name: "ExternalId", Ref: awsquery.Ref{Shape: shapeExternalID}},
			{Name: "Description", Ref: awsquery.Ref{Shape: shapeDescription}},
		}
	}
	shapeRoleArnRequest = func(name string) *awsquery.Shape {
		return &awsquery.Shape{Name: name, Kind: awsquery.KindStructure, Members: []awsquery.Member{
			{Name: "RoleArn", Ref: awsquery.Ref{Shape: shapeArn}, Required: true},
		}}
	}
	shapeBrokeredRoleResponse = func(name string) *awsquery.Shape {
		return &awsquery.Shape{Name: name, Kind: awsquery.KindStructure, Members: []awsquery.Member{
			{Name: "BrokeredRole", Ref: awsquery.Ref{Shape: shapeBrokeredRole}},
		}}
	}
	shapeListBrokeredRolesRequest = &awsquery.Shape{Name: "ListBrokeredRolesRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "UpstreamAccountId", Ref: awsquery.Ref{Shape: shapeUpstreamID}},
		{Name: "Marker", Ref: awsquery.Ref{Shape: shapeMarker}},
		{Name: "MaxItems", Ref: awsquery.Ref{Shape: shapeMaxItems}},
	}}
	shapeListBrokeredRolesResponse = &awsquery.Shape{Name: "ListBrokeredRolesResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "BrokeredRoles", Ref: awsquery.Ref{Shape: shapeBrokeredRoles}},
		{Name: "IsTruncated", Ref: awsquery.Ref{Shape: shapeBool}},
		{Name: "Marker", Ref: awsquery.Ref{Shape: shapeString}},
	}}

	shapeGetUpstreamSessionTokenRequest = &awsquery.Shape{Name: "GetUpstreamSessionTokenRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "UpstreamAccountId", Ref: awsquery.Ref{Shape: shapeUpstreamID}, Required: true},
		{Name: "DurationSeconds", Ref: awsquery.Ref{Shape: shapeTokenDur}},
	}}
	shapeGetUpstreamSessionTokenResponse = &awsquery.Shape{Name: "GetUpstreamSessionTokenResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Credentials", Ref: awsquery.Ref{Shape: stsCredentialsShape()}},
		{Name: "UpstreamAccountId", Ref: awsquery.Ref{Shape: shapeString}},
	}}
	shapeGetUpstreamFederationTokenRequest = &awsquery.Shape{Name: "GetUpstreamFederationTokenRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "UpstreamAccountId", Ref: awsquery.Ref{Shape: shapeUpstreamID}, Required: true},
		{Name: "Name", Ref: awsquery.Ref{Shape: shapeFedName}, Required: true},
		{Name: "Policy", Ref: awsquery.Ref{Shape: stsMember(stsapi.GetFederationToken.Info().Input, "Policy")}},
		{Name: "PolicyArns", Ref: awsquery.Ref{Shape: stsMember(stsapi.GetFederationToken.Info().Input, "PolicyArns")}},
		{Name: "DurationSeconds", Ref: awsquery.Ref{Shape: shapeTokenDur}},
		{Name: "Tags", Ref: awsquery.Ref{Shape: stsMember(stsapi.GetFederationToken.Info().Input, "Tags")}},
	}}
	shapeGetUpstreamFederationTokenResponse = &awsquery.Shape{Name: "GetUpstreamFederationTokenResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Credentials", Ref: awsquery.Ref{Shape: stsCredentialsShape()}},
		{Name: "FederatedUser", Ref: awsquery.Ref{Shape: stsMember(stsapi.GetFederationToken.Info().Output, "FederatedUser")}},
		{Name: "PackedPolicySize", Ref: awsquery.Ref{Shape: shapePackedSize}},
		{Name: "UpstreamAccountId", Ref: awsquery.Ref{Shape: shapeString}},
	}}
)

// stsMember is the shape of STS's member name of s (a list of policy
// ARNs or tags, as GetFederationToken takes them), so that the brokered
// actions take and validate them as STS does.
func stsMember(s *awsquery.Shape, name string) *awsquery.Shape {
	for _, m := range s.Members {
		if m.Name == name {
			return m.Shape
		}
	}
	panic("brevetapi: stsapi's " + s.Name + " has no " + name)
}

// UpstreamAccount is an upstream account as the API shows it: never its
// secret key, and of its CA bundle only whether it has one.
type UpstreamAccount struct {
	UpstreamAccountId, Arn, Mode, StsEndpoint, IamEndpoint, Region, Audience string
	HasCaBundle                                                              bool
	AccessKeyId, UserName                                                    string
	KeyCreated                                                               time.Time
	RotateEveryDays                                                          int32
	LastRotated, LastRotationFailed                                          time.Time
	LastRotationError                                                        string
	Rate, Burst                                                              int32
	CacheCredentials                                                         bool
	Description                                                              string
	Created                                                                  time.Time
	CreatedBy                                                                string
}

// UpstreamAccountRequest is CreateUpstreamAccount's and
// UpdateUpstreamAccount's input. A nil member is absent: CreateUpstreamAccount
// takes its default, UpdateUpstreamAccount leaves it unchanged.
// SecretAccessKey is sensitive (never audited or echoed in an error).
type UpstreamAccountRequest struct {
	UpstreamAccountId                                string
	Mode, StsEndpoint, IamEndpoint, Region, Audience *string
	CaBundle, AccessKeyId, SecretAccessKey, UserName *string
	RotateEveryDays, Rate, Burst                     *int32
	CacheCredentials                                 *bool
	Description                                      *string
}

// UpstreamAccountIdRequest names one upstream account.
type UpstreamAccountIdRequest struct{ UpstreamAccountId string }

// UpstreamAccountResponse is one upstream account.
type UpstreamAccountResponse struct{ UpstreamAccount UpstreamAccount }

// ListUpstreamAccountsRequest lists the caller account's upstream
// accounts, a page at a time.
type ListUpstreamAccountsRequest struct {
	Marker   string
	MaxItems int32
}

// ListUpstreamAccountsResponse is one page of upstream accounts.
type ListUpstreamAccountsResponse struct {
	UpstreamAccounts []UpstreamAccount
	IsTruncated      bool
	Marker           string
}

// BrokeredRole is a brokered role as the API shows it; its trust policy
// URL-encoded as IAM's GetRole shows one.
type BrokeredRole struct {
	RoleArn, UpstreamAccountId, AssumeRolePolicyDocument string
	MaxSessionDuration                                   int32
	SessionPolicy, ExternalId, Description               string
	Created                                              time.Time
	CreatedBy                                            string
}

// BrokeredRoleRequest is CreateBrokeredRole's and UpdateBrokeredRole's
// input; a nil member is absent, as in UpstreamAccountRequest.
type BrokeredRoleRequest struct {
	RoleArn                                string
	AssumeRolePolicyDocument               *string
	MaxSessionDuration                     *int32
	SessionPolicy, ExternalId, Description *string
}

// RoleArnRequest names one brokered role.
type RoleArnRequest struct{ RoleArn string }

// BrokeredRoleResponse is one brokered role.
type BrokeredRoleResponse struct{ BrokeredRole BrokeredRole }

// ListBrokeredRolesRequest lists the caller account's brokered roles, of
// one upstream account when given.
type ListBrokeredRolesRequest struct {
	UpstreamAccountId, Marker string
	MaxItems                  int32
}

// ListBrokeredRolesResponse is one page of brokered roles.
type ListBrokeredRolesResponse struct {
	BrokeredRoles []BrokeredRole
	IsTruncated   bool
	Marker        string
}

// GetUpstreamSessionTokenRequest asks for an upstream GetSessionToken.
type GetUpstreamSessionTokenRequest struct {
	UpstreamAccountId string
	DurationSeconds   *int32
}

// GetUpstreamSessionTokenResponse is the upstream's credentials.
type GetUpstreamSessionTokenResponse struct {
	Credentials       stsapi.Credentials
	UpstreamAccountId string
}

// GetUpstreamFederationTokenRequest asks for an upstream
// GetFederationToken; its members are STS's.
type GetUpstreamFederationTokenRequest struct {
	UpstreamAccountId, Name, Policy string
	PolicyArns                      []stsapi.PolicyDescriptorType
	DurationSeconds                 *int32
	Tags                            []stsapi.Tag
}

// GetUpstreamFederationTokenResponse is the upstream's credentials and
// federated user.
type GetUpstreamFederationTokenResponse struct {
	Credentials       stsapi.Credentials
	FederatedUser     stsapi.FederatedUser
	PackedPolicySize  *int32
	UpstreamAccountId string
}

// CreateUpstreamAccount is the CreateUpstreamAccount action
// (brevet:CreateUpstreamAccount on the upstream's ARN).
var CreateUpstreamAccount = upstreamAccountOperation("CreateUpstreamAccount", true)

// UpdateUpstreamAccount is the UpdateUpstreamAccount action
// (brevet:UpdateUpstreamAccount on the upstream's ARN).
var UpdateUpstreamAccount = upstreamAccountOperation("UpdateUpstreamAccount", false)

func upstreamAccountOperation(name string, create bool) *awsquery.Operation[UpstreamAccountRequest, UpstreamAccountResponse] {
	return &awsquery.Operation[UpstreamAccountRequest, UpstreamAccountResponse]{
		OperationInfo: awsquery.OperationInfo{Service: Service, Name: name,
			Input:  &awsquery.Shape{Name: name + "Request", Kind: awsquery.KindStructure, Members: upstreamAccountMembers(create)},
			Output: shapeUpstreamAccountResponse(name + "Response"), ResultWrapper: name + "Result"},
		DecodeInput: func(v *awsquery.Value) *UpstreamAccountRequest {
			var x UpstreamAccountRequest
			if e := v.Elems; len(e) == 15 {
				x.UpstreamAccountId = e[0].Str
				x.Mode, x.StsEndpoint, x.IamEndpoint, x.Region, x.Audience = optStr(e[1]), optStr(e[2]), optStr(e[3]), optStr(e[4]), optStr(e[5])
				x.CaBundle, x.AccessKeyId, x.SecretAccessKey, x.UserName = optStr(e[6]), optStr(e[7]), optStr(e[8]), optStr(e[9])
				x.RotateEveryDays, x.Rate, x.Burst = optInt(e[10]), optInt(e[11]), optInt(e[12])
				x.CacheCredentials, x.Description = optBool(e[13]), optStr(e[14])
			}
			return &x
		},
		EncodeOutput: encodeUpstreamAccountResponse,
	}
}

// GetUpstreamAccount is the GetUpstreamAccount action
// (brevet:GetUpstreamAccount on the upstream's ARN).
var GetUpstreamAccount = upstreamIDOperation("GetUpstreamAccount", shapeUpstreamAccountResponse("GetUpstreamAccountResponse"), encodeUpstreamAccountResponse)

// RotateUpstreamKey is the RotateUpstreamKey action
// (brevet:RotateUpstreamKey on the upstream's ARN).
var RotateUpstreamKey = upstreamIDOperation("RotateUpstreamKey", shapeUpstreamAccountResponse("RotateUpstreamKeyResponse"), encodeUpstreamAccountResponse)

// DeleteUpstreamAccount is the DeleteUpstreamAccount action
// (brevet:DeleteUpstreamAccount on the upstream's ARN).
var DeleteUpstreamAccount = &awsquery.Operation[UpstreamAccountIdRequest, awsquery.Empty]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "DeleteUpstreamAccount", Input: shapeUpstreamIDRequest("DeleteUpstreamAccountRequest")},
	DecodeInput:   decodeUpstreamID,
	EncodeOutput:  func(*awsquery.Empty) awsquery.Value { return awsquery.Value{} },
}

func upstreamIDOperation(name string, out *awsquery.Shape, enc func(*UpstreamAccountResponse) awsquery.Value) *awsquery.Operation[UpstreamAccountIdRequest, UpstreamAccountResponse] {
	return &awsquery.Operation[UpstreamAccountIdRequest, UpstreamAccountResponse]{
		OperationInfo: awsquery.OperationInfo{Service: Service, Name: name, Input: shapeUpstreamIDRequest(name + "Request"),
			Output: out, ResultWrapper: name + "Result"},
		DecodeInput:  decodeUpstreamID,
		EncodeOutput: enc,
	}
}

func decodeUpstreamID(v *awsquery.Value) *UpstreamAccountIdRequest {
	var x UpstreamAccountIdRequest
	if e := v.Elems; len(e) == 1 {
		x.UpstreamAccountId = e[0].Str
	}
	return &x
}

// ListUpstreamAccounts is the ListUpstreamAccounts action
// (brevet:ListUpstreamAccounts on "*").
var ListUpstreamAccounts = &awsquery.Operation[ListUpstreamAccountsRequest, ListUpstreamAccountsResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "ListUpstreamAccounts", Input: shapeListUpstreamAccountsRequest,
		Output: shapeListUpstreamAccountsResponse, ResultWrapper: "ListUpstreamAccountsResult"},
	DecodeInput: func(v *awsquery.Value) *ListUpstreamAccountsRequest {
		var x ListUpstreamAccountsRequest
		if e := v.Elems; len(e) == 2 {
			x.Marker, x.MaxItems = e[0].Str, int32(e[1].Int)
		}
		return &x
	},
	EncodeOutput: func(x *ListUpstreamAccountsResponse) awsquery.Value {
		l := make([]awsquery.Value, len(x.UpstreamAccounts))
		for i := range x.UpstreamAccounts {
			l[i] = upstreamAccount(&x.UpstreamAccounts[i])
		}
		return awsquery.Struct([]awsquery.Value{awsquery.List(l), awsquery.Bool(x.IsTruncated), str(x.Marker)})
	},
}

func encodeUpstreamAccountResponse(x *UpstreamAccountResponse) awsquery.Value {
	return awsquery.Struct([]awsquery.Value{upstreamAccount(&x.UpstreamAccount)})
}

func upstreamAccount(a *UpstreamAccount) awsquery.Value {
	return awsquery.Struct([]awsquery.Value{str(a.UpstreamAccountId), str(a.Arn), str(a.Mode), str(a.StsEndpoint),
		str(a.IamEndpoint), str(a.Region), str(a.Audience), awsquery.Bool(a.HasCaBundle), str(a.AccessKeyId), str(a.UserName),
		ts(a.KeyCreated), awsquery.Int(int64(a.RotateEveryDays)), ts(a.LastRotated), ts(a.LastRotationFailed),
		str(a.LastRotationError), awsquery.Int(int64(a.Rate)), awsquery.Int(int64(a.Burst)), awsquery.Bool(a.CacheCredentials),
		str(a.Description), ts(a.Created), str(a.CreatedBy)})
}

// CreateBrokeredRole is the CreateBrokeredRole action
// (brevet:CreateBrokeredRole on the upstream role's ARN).
var CreateBrokeredRole = brokeredRoleOperation("CreateBrokeredRole", true)

// UpdateBrokeredRole is the UpdateBrokeredRole action
// (brevet:UpdateBrokeredRole on the upstream role's ARN).
var UpdateBrokeredRole = brokeredRoleOperation("UpdateBrokeredRole", false)

func brokeredRoleOperation(name string, create bool) *awsquery.Operation[BrokeredRoleRequest, BrokeredRoleResponse] {
	return &awsquery.Operation[BrokeredRoleRequest, BrokeredRoleResponse]{
		OperationInfo: awsquery.OperationInfo{Service: Service, Name: name,
			Input:  &awsquery.Shape{Name: name + "Request", Kind: awsquery.KindStructure, Members: brokeredRoleMembers(create)},
			Output: shapeBrokeredRoleResponse(name + "Response"), ResultWrapper: name + "Result"},
		DecodeInput: func(v *awsquery.Value) *BrokeredRoleRequest {
			var x BrokeredRoleRequest
			if e := v.Elems; len(e) == 6 {
				x.RoleArn, x.AssumeRolePolicyDocument, x.MaxSessionDuration = e[0].Str, optStr(e[1]), optInt(e[2])
				x.SessionPolicy, x.ExternalId, x.Description = optStr(e[3]), optStr(e[4]), optStr(e[5])
			}
			return &x
		},
		EncodeOutput: encodeBrokeredRoleResponse,
	}
}

// GetBrokeredRole is the GetBrokeredRole action (brevet:GetBrokeredRole
// on the upstream role's ARN).
var GetBrokeredRole = &awsquery.Operation[RoleArnRequest, BrokeredRoleResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "GetBrokeredRole", Input: shapeRoleArnRequest("GetBrokeredRoleRequest"),
		Output: shapeBrokeredRoleResponse("GetBrokeredRoleResponse"), ResultWrapper: "GetBrokeredRoleResult"},
	DecodeInput:  decodeRoleArn,
	EncodeOutput: encodeBrokeredRoleResponse,
}

// DeleteBrokeredRole is the DeleteBrokeredRole action
// (brevet:DeleteBrokeredRole on the upstream role's ARN).
var DeleteBrokeredRole = &awsquery.Operation[RoleArnRequest, awsquery.Empty]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "DeleteBrokeredRole", Input: shapeRoleArnRequest("DeleteBrokeredRoleRequest")},
	DecodeInput:   decodeRoleArn,
	EncodeOutput:  func(*awsquery.Empty) awsquery.Value { return awsquery.Value{} },
}

func decodeRoleArn(v *awsquery.Value) *RoleArnRequest {
	var x RoleArnRequest
	if e := v.Elems; len(e) == 1 {
		x.RoleArn = e[0].Str
	}
	return &x
}

// ListBrokeredRoles is the ListBrokeredRoles action
// (brevet:ListBrokeredRoles on "*").
var ListBrokeredRoles = &awsquery.Operation[ListBrokeredRolesRequest, ListBrokeredRolesResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "ListBrokeredRoles", Input: shapeListBrokeredRolesRequest,
		Output: shapeListBrokeredRolesResponse, ResultWrapper: "ListBrokeredRolesResult"},
	DecodeInput: func(v *awsquery.Value) *ListBrokeredRolesRequest {
		var x ListBrokeredRolesRequest
		if e := v.Elems; len(e) == 3 {
			x.UpstreamAccountId, x.Marker, x.MaxItems = e[0].Str, e[1].Str, int32(e[2].Int)
		}
		return &x
	},
	EncodeOutput: func(x *ListBrokeredRolesResponse) awsquery.Value {
		l := make([]awsquery.Value, len(x.BrokeredRoles))
		for i := range x.BrokeredRoles {
			l[i] = brokeredRole(&x.BrokeredRoles[i])
		}
		return awsquery.Struct([]awsquery.Value{awsquery.List(l), awsquery.Bool(x.IsTruncated), str(x.Marker)})
	},
}

func encodeBrokeredRoleResponse(x *BrokeredRoleResponse) awsquery.Value {
	return awsquery.Struct([]awsquery.Value{brokeredRole(&x.BrokeredRole)})
}

func brokeredRole(r *BrokeredRole) awsquery.Value {
	return awsquery.Struct([]awsquery.Value{str(r.RoleArn), str(r.UpstreamAccountId), str(r.AssumeRolePolicyDocument),
		awsquery.Int(int64(r.MaxSessionDuration)), str(r.SessionPolicy), str(r.ExternalId), str(r.Description),
		ts(r.Created), str(r.CreatedBy)})
}

// GetUpstreamSessionToken is the GetUpstreamSessionToken action
// (brevet:GetUpstreamSessionToken on the upstream's ARN).
var GetUpstreamSessionToken = &awsquery.Operation[GetUpstreamSessionTokenRequest, GetUpstreamSessionTokenResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "GetUpstreamSessionToken", Input: shapeGetUpstreamSessionTokenRequest,
		Output: shapeGetUpstreamSessionTokenResponse, ResultWrapper: "GetUpstreamSessionTokenResult"},
	DecodeInput: func(v *awsquery.Value) *GetUpstreamSessionTokenRequest {
		var x GetUpstreamSessionTokenRequest
		if e := v.Elems; len(e) == 2 {
			x.UpstreamAccountId, x.DurationSeconds = e[0].Str, optInt(e[1])
		}
		return &x
	},
	EncodeOutput: func(x *GetUpstreamSessionTokenResponse) awsquery.Value {
		return awsquery.Struct([]awsquery.Value{credentials(&x.Credentials), str(x.UpstreamAccountId)})
	},
}

// GetUpstreamFederationToken is the GetUpstreamFederationToken action
// (brevet:GetUpstreamFederationToken on the upstream's ARN).
var GetUpstreamFederationToken = &awsquery.Operation[GetUpstreamFederationTokenRequest, GetUpstreamFederationTokenResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "GetUpstreamFederationToken", Input: shapeGetUpstreamFederationTokenRequest,
		Output: shapeGetUpstreamFederationTokenResponse, ResultWrapper: "GetUpstreamFederationTokenResult"},
	DecodeInput: func(v *awsquery.Value) *GetUpstreamFederationTokenRequest {
		var x GetUpstreamFederationTokenRequest
		if e := v.Elems; len(e) == 6 {
			x.UpstreamAccountId, x.Name, x.Policy = e[0].Str, e[1].Str, e[2].Str
			for _, p := range e[3].Elems {
				if len(p.Elems) == 1 {
					x.PolicyArns = append(x.PolicyArns, stsapi.PolicyDescriptorType{Arn: p.Elems[0].Str})
				}
			}
			x.DurationSeconds = optInt(e[4])
			for _, t := range e[5].Elems {
				if len(t.Elems) == 2 {
					x.Tags = append(x.Tags, stsapi.Tag{Key: t.Elems[0].Str, Value: t.Elems[1].Str})
				}
			}
		}
		return &x
	},
	EncodeOutput: func(x *GetUpstreamFederationTokenResponse) awsquery.Value {
		var size awsquery.Value
		if x.PackedPolicySize != nil {
			size = awsquery.Int(int64(*x.PackedPolicySize))
		}
		return awsquery.Struct([]awsquery.Value{credentials(&x.Credentials),
			awsquery.Struct([]awsquery.Value{str(x.FederatedUser.FederatedUserId), str(x.FederatedUser.Arn)}),
			size, str(x.UpstreamAccountId)})
	},
}

func credentials(c *stsapi.Credentials) awsquery.Value {
	return awsquery.Struct([]awsquery.Value{str(c.AccessKeyId), str(c.SecretAccessKey), str(c.SessionToken), ts(c.Expiration)})
}

func optStr(v awsquery.Value) *string {
	if !v.Set {
		return nil
	}
	s := v.Str
	return &s
}

func optInt(v awsquery.Value) *int32 {
	if !v.Set {
		return nil
	}
	n := int32(v.Int)
	return &n
}

func optBool(v awsquery.Value) *bool {
	if !v.Set {
		return nil
	}
	b := v.Bool
	return &b
}

// UpstreamOperations lists the broker's actions, for catalogues and docs.
var UpstreamOperations = []*awsquery.OperationInfo{CreateUpstreamAccount.Info(), UpdateUpstreamAccount.Info(),
	GetUpstreamAccount.Info(), ListUpstreamAccounts.Info(), DeleteUpstreamAccount.Info(), RotateUpstreamKey.Info(),
	CreateBrokeredRole.Info(), UpdateBrokeredRole.Info(), GetBrokeredRole.Info(), ListBrokeredRoles.Info(),
	DeleteBrokeredRole.Info(), GetUpstreamSessionToken.Info(), GetUpstreamFederationToken.Info()}
