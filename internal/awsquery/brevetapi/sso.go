package brevetapi

import (
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
)

// The single sign-on assignment actions (issue 17, docs/sso.md): which
// users and groups (Brevet's IAM ones, or an identity provider's) may
// obtain which roles of the caller's account through the SSO portal.

var (
	shapeRoleName        = &awsquery.Shape{Name: "RoleNameType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 64, Pattern: `[\w+=,.@-]+`}
	shapePrincipalType   = &awsquery.Shape{Name: "PrincipalTypeType", Kind: awsquery.KindString, Enum: []string{"USER", "GROUP"}}
	shapePrincipalSource = &awsquery.Shape{Name: "PrincipalSourceType", Kind: awsquery.KindString, HasMin: true, Min: 3, HasMax: true, Max: 36}
	shapePrincipalName   = &awsquery.Shape{Name: "PrincipalNameType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 2048}
	shapePrincipalID     = &awsquery.Shape{Name: "PrincipalIdType", Kind: awsquery.KindString, HasMin: true, Min: 16, HasMax: true, Max: 128, Pattern: `[\w]+`}
	shapeMarker          = &awsquery.Shape{Name: "MarkerType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 320}

	shapeAssignment = &awsquery.Shape{Name: "AccountAssignment", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "AccountId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "RoleName", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "RoleArn", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "PrincipalType", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "PrincipalSource", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "PrincipalId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "PrincipalName", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "CreatedBy", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Created", Ref: awsquery.Ref{Shape: shapeTime}},
	}}
	shapeAssignments = &awsquery.Shape{Name: "AccountAssignmentList", Kind: awsquery.KindList, Member: &awsquery.Ref{Shape: shapeAssignment}}

	shapeCreateAssignmentRequest = &awsquery.Shape{Name: "CreateAccountAssignmentRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "RoleName", Ref: awsquery.Ref{Shape: shapeRoleName}, Required: true},
		{Name: "PrincipalType", Ref: awsquery.Ref{Shape: shapePrincipalType}, Required: true},
		{Name: "PrincipalSource", Ref: awsquery.Ref{Shape: shapePrincipalSource}},
		{Name: "PrincipalName", Ref: awsquery.Ref{Shape: shapePrincipalName}, Required: true},
	}}
	shapeDeleteAssignmentRequest = &awsquery.Shape{Name: "DeleteAccountAssignmentRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "RoleName", Ref: awsquery.Ref{Shape: shapeRoleName}, Required: true},
		{Name: "PrincipalType", Ref: awsquery.Ref{Shape: shapePrincipalType}, Required: true},
		{Name: "PrincipalSource", Ref: awsquery.Ref{Shape: shapePrincipalSource}},
		{Name: "PrincipalName", Ref: awsquery.Ref{Shape: shapePrincipalName}},
		{Name: "PrincipalId", Ref: awsquery.Ref{Shape: shapePrincipalID}},
	}}
	shapeAssignmentResponse = func(name string) *awsquery.Shape {
		return &awsquery.Shape{Name: name, Kind: awsquery.KindStructure, Members: []awsquery.Member{
			{Name: "AccountAssignment", Ref: awsquery.Ref{Shape: shapeAssignment}},
		}}
	}
	shapeListAssignmentsRequest = &awsquery.Shape{Name: "ListAccountAssignmentsRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "RoleName", Ref: awsquery.Ref{Shape: shapeRoleName}},
		{Name: "PrincipalType", Ref: awsquery.Ref{Shape: shapePrincipalType}},
		{Name: "PrincipalSource", Ref: awsquery.Ref{Shape: shapePrincipalSource}},
		{Name: "PrincipalName", Ref: awsquery.Ref{Shape: shapePrincipalName}},
		{Name: "Marker", Ref: awsquery.Ref{Shape: shapeMarker}},
		{Name: "MaxItems", Ref: awsquery.Ref{Shape: shapeMaxItems}},
	}}
	shapeListAssignmentsResponse = &awsquery.Shape{Name: "ListAccountAssignmentsResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "AccountAssignments", Ref: awsquery.Ref{Shape: shapeAssignments}},
		{Name: "IsTruncated", Ref: awsquery.Ref{Shape: shapeBool}},
		{Name: "Marker", Ref: awsquery.Ref{Shape: shapeString}},
	}}
)

// AccountAssignment is one assignment: the principal (of PrincipalSource,
// "iam" or "idp:NAME") may obtain the role's credentials through the SSO
// portal. PrincipalId is an IAM user's or group's unique id (the name of
// a provider's user or group); PrincipalName its current name (its ARN
// when it is of another account), "" when the IAM user or group no
// longer exists.
type AccountAssignment struct {
	AccountId, RoleName, RoleArn                                          string
	PrincipalType, PrincipalSource, PrincipalId, PrincipalName, CreatedBy string
	Created                                                               time.Time
}

// CreateAccountAssignmentRequest assigns a role of the caller's account.
// PrincipalSource "" is "iam".
type CreateAccountAssignmentRequest struct {
	RoleName, PrincipalType, PrincipalSource, PrincipalName string
}

// DeleteAccountAssignmentRequest removes an assignment, its principal
// named by PrincipalName or (for an IAM user or group deleted since) by
// PrincipalId.
type DeleteAccountAssignmentRequest struct {
	RoleName, PrincipalType, PrincipalSource, PrincipalName, PrincipalId string
}

// AccountAssignmentResponse is the assignment created or deleted.
type AccountAssignmentResponse struct {
	AccountAssignment AccountAssignment
}

// ListAccountAssignmentsRequest lists the caller account's assignments,
// of one role and one principal when given.
type ListAccountAssignmentsRequest struct {
	RoleName, PrincipalType, PrincipalSource, PrincipalName, Marker string
	MaxItems                                                        int32
}

// ListAccountAssignmentsResponse is one page of assignments.
type ListAccountAssignmentsResponse struct {
	AccountAssignments []AccountAssignment
	IsTruncated        bool
	Marker             string
}

// CreateAccountAssignment is the CreateAccountAssignment action
// (brevet:CreateAccountAssignment on the role's ARN).
var CreateAccountAssignment = &awsquery.Operation[CreateAccountAssignmentRequest, AccountAssignmentResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "CreateAccountAssignment", Input: shapeCreateAssignmentRequest,
		Output: shapeAssignmentResponse("CreateAccountAssignmentResponse"), ResultWrapper: "CreateAccountAssignmentResult"},
	DecodeInput: func(v *awsquery.Value) *CreateAccountAssignmentRequest {
		var x CreateAccountAssignmentRequest
		if e := v.Elems; len(e) == 4 {
			x.RoleName, x.PrincipalType, x.PrincipalSource, x.PrincipalName = e[0].Str, e[1].Str, e[2].Str, e[3].Str
		}
		return &x
	},
	EncodeOutput: encodeAssignmentResponse,
}

// DeleteAccountAssignment is the DeleteAccountAssignment action
// (brevet:DeleteAccountAssignment on the role's ARN).
var DeleteAccountAssignment = &awsquery.Operation[DeleteAccountAssignmentRequest, AccountAssignmentResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "DeleteAccountAssignment", Input: shapeDeleteAssignmentRequest,
		Output: shapeAssignmentResponse("DeleteAccountAssignmentResponse"), ResultWrapper: "DeleteAccountAssignmentResult"},
	DecodeInput: func(v *awsquery.Value) *DeleteAccountAssignmentRequest {
		var x DeleteAccountAssignmentRequest
		if e := v.Elems; len(e) == 5 {
			x.RoleName, x.PrincipalType, x.PrincipalSource, x.PrincipalName, x.PrincipalId = e[0].Str, e[1].Str, e[2].Str, e[3].Str, e[4].Str
		}
		return &x
	},
	EncodeOutput: encodeAssignmentResponse,
}

// ListAccountAssignments is the ListAccountAssignments action
// (brevet:ListAccountAssignments on the role's ARN, or "*" for all).
var ListAccountAssignments = &awsquery.Operation[ListAccountAssignmentsRequest, ListAccountAssignmentsResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "ListAccountAssignments", Input: shapeListAssignmentsRequest,
		Output: shapeListAssignmentsResponse, ResultWrapper: "ListAccountAssignmentsResult"},
	DecodeInput: func(v *awsquery.Value) *ListAccountAssignmentsRequest {
		var x ListAccountAssignmentsRequest
		if e := v.Elems; len(e) == 6 {
			x.RoleName, x.PrincipalType, x.PrincipalSource, x.PrincipalName, x.Marker = e[0].Str, e[1].Str, e[2].Str, e[3].Str, e[4].Str
			x.MaxItems = int32(e[5].Int)
		}
		return &x
	},
	EncodeOutput: func(x *ListAccountAssignmentsResponse) awsquery.Value {
		l := make([]awsquery.Value, len(x.AccountAssignments))
		for i := range x.AccountAssignments {
			l[i] = assignment(&x.AccountAssignments[i])
		}
		return awsquery.Struct([]awsquery.Value{awsquery.List(l), awsquery.Bool(x.IsTruncated), str(x.Marker)})
	},
}

func encodeAssignmentResponse(x *AccountAssignmentResponse) awsquery.Value {
	return awsquery.Struct([]awsquery.Value{assignment(&x.AccountAssignment)})
}

func assignment(a *AccountAssignment) awsquery.Value {
	return awsquery.Struct([]awsquery.Value{str(a.AccountId), str(a.RoleName), str(a.RoleArn), str(a.PrincipalType),
		str(a.PrincipalSource), str(a.PrincipalId), str(a.PrincipalName), str(a.CreatedBy), ts(a.Created)})
}

// SSOOperations lists the assignment actions, for catalogues and docs.
var SSOOperations = []*awsquery.OperationInfo{CreateAccountAssignment.Info(), DeleteAccountAssignment.Info(), ListAccountAssignments.Info()}
