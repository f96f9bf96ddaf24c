// Package brevetapi is the hand-written AWS Query API of Brevet's own
// actions (service prefix "brevet"): listing the sessions recorded at
// issuance and revoking temporary credentials (brevetapi.go); enrolling
// hosts and issuing their credentials (hosts.go); the security findings
// report (findings.go). It has the shape of the
// generated stsapi and iamapi packages, so these actions go through the
// same dispatcher pipeline (SigV4, IAM authorization as brevet:ACTION,
// audit) as every AWS action. It holds wire shapes only, no logic.
package brevetapi

import (
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
)

// Version is the API version requests carry (Version=...).
const Version = "2026-11-01"

// Service is the brevet API.
var Service = &awsquery.Service{Name: "brevet", Version: Version, Namespace: "https://brevet.dev/doc/" + Version + "/"}

var (
	shapeString    = &awsquery.Shape{Name: "String", Kind: awsquery.KindString, HasMax: true, Max: 2048}
	shapeKeyID     = &awsquery.Shape{Name: "AccessKeyIdType", Kind: awsquery.KindString, HasMin: true, Min: 16, HasMax: true, Max: 128, Pattern: `[\w]*`}
	shapeArn       = &awsquery.Shape{Name: "ArnType", Kind: awsquery.KindString, HasMin: true, Min: 20, HasMax: true, Max: 2048}
	shapeTime      = &awsquery.Shape{Name: "DateType", Kind: awsquery.KindTimestamp}
	shapeBool      = &awsquery.Shape{Name: "BooleanType", Kind: awsquery.KindBoolean}
	shapeMaxItems  = &awsquery.Shape{Name: "MaxItemsType", Kind: awsquery.KindInteger, HasMin: true, Min: 1, HasMax: true, Max: 1000}
	shapeCount     = &awsquery.Shape{Name: "CountType", Kind: awsquery.KindInteger}
	shapeSessionEl = &awsquery.Shape{Name: "Session", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "AccessKeyId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "PrincipalArn", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "SessionArn", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Kind", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "SessionName", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "SourceIp", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "ParentAccessKeyId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "RootAccessKeyId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Issued", Ref: awsquery.Ref{Shape: shapeTime}},
		{Name: "Expiration", Ref: awsquery.Ref{Shape: shapeTime}},
	}}
	shapeSessions   = &awsquery.Shape{Name: "SessionList", Kind: awsquery.KindList, Member: &awsquery.Ref{Shape: shapeSessionEl}}
	shapeRevocation = &awsquery.Shape{Name: "Revocation", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Kind", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Target", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "NotBefore", Ref: awsquery.Ref{Shape: shapeTime}},
		{Name: "ExpiresAt", Ref: awsquery.Ref{Shape: shapeTime}},
	}}
	shapeRevocations = &awsquery.Shape{Name: "RevocationList", Kind: awsquery.KindList, Member: &awsquery.Ref{Shape: shapeRevocation}}

	shapeListSessionsRequest = &awsquery.Shape{Name: "ListSessionsRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "PrincipalArn", Ref: awsquery.Ref{Shape: shapeArn}},
		{Name: "ActiveOnly", Ref: awsquery.Ref{Shape: shapeBool}},
		{Name: "MaxItems", Ref: awsquery.Ref{Shape: shapeMaxItems}},
	}}
	shapeListSessionsResponse = &awsquery.Shape{Name: "ListSessionsResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Sessions", Ref: awsquery.Ref{Shape: shapeSessions}},
	}}
	shapeRevokeSessionsRequest = &awsquery.Shape{Name: "RevokeSessionsRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "AccessKeyId", Ref: awsquery.Ref{Shape: shapeKeyID}},
		{Name: "PrincipalArn", Ref: awsquery.Ref{Shape: shapeArn}},
		{Name: "IssuedBefore", Ref: awsquery.Ref{Shape: shapeTime}},
	}}
	shapeRevokeSessionsResponse = &awsquery.Shape{Name: "RevokeSessionsResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Revocations", Ref: awsquery.Ref{Shape: shapeRevocations}},
		{Name: "RevokedCount", Ref: awsquery.Ref{Shape: shapeCount}},
	}}
)

// Session is one issuance record.
type Session struct {
	AccessKeyId, PrincipalArn, SessionArn, Kind, SessionName, SourceIp string
	ParentAccessKeyId, RootAccessKeyId                                 string
	Issued, Expiration                                                 time.Time
}

// ListSessionsRequest lists the caller account's sessions.
type ListSessionsRequest struct {
	PrincipalArn string
	ActiveOnly   bool
	MaxItems     int32
}

// ListSessionsResponse is ListSessions' result.
type ListSessionsResponse struct {
	Sessions []Session
}

// RevokeSessionsRequest revokes one access key (and what derives from it)
// or a principal's sessions issued before a time.
type RevokeSessionsRequest struct {
	AccessKeyId  string
	PrincipalArn string
	IssuedBefore time.Time
}

// Revocation is one entry written.
type Revocation struct {
	Kind, Target         string
	NotBefore, ExpiresAt time.Time
}

// RevokeSessionsResponse is RevokeSessions' result.
type RevokeSessionsResponse struct {
	Revocations  []Revocation
	RevokedCount int32
}

// ListSessions is the ListSessions action (brevet:ListSessions).
var ListSessions = &awsquery.Operation[ListSessionsRequest, ListSessionsResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "ListSessions", Input: shapeListSessionsRequest,
		Output: shapeListSessionsResponse, ResultWrapper: "ListSessionsResult"},
	DecodeInput: func(v *awsquery.Value) *ListSessionsRequest {
		var x ListSessionsRequest
		if e := v.Elems; len(e) == 3 {
			x.PrincipalArn, x.ActiveOnly, x.MaxItems = e[0].Str, e[1].Bool, int32(e[2].Int)
		}
		return &x
	},
	EncodeOutput: func(x *ListSessionsResponse) awsquery.Value {
		l := make([]awsquery.Value, len(x.Sessions))
		for i, s := range x.Sessions {
			l[i] = awsquery.Struct([]awsquery.Value{
				str(s.AccessKeyId), str(s.PrincipalArn), str(s.SessionArn), str(s.Kind), str(s.SessionName),
				str(s.SourceIp), str(s.ParentAccessKeyId), str(s.RootAccessKeyId), ts(s.Issued), ts(s.Expiration),
			})
		}
		return awsquery.Struct([]awsquery.Value{awsquery.List(l)})
	},
}

// RevokeSessions is the RevokeSessions action (brevet:RevokeSessions).
var RevokeSessions = &awsquery.Operation[RevokeSessionsRequest, RevokeSessionsResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "RevokeSessions", Input: shapeRevokeSessionsRequest,
		Output: shapeRevokeSessionsResponse, ResultWrapper: "RevokeSessionsResult"},
	DecodeInput: func(v *awsquery.Value) *RevokeSessionsRequest {
		var x RevokeSessionsRequest
		if e := v.Elems; len(e) == 3 {
			x.AccessKeyId, x.PrincipalArn = e[0].Str, e[1].Str
			if e[2].Set {
				x.IssuedBefore = e[2].Time
			}
		}
		return &x
	},
	EncodeOutput: func(x *RevokeSessionsResponse) awsquery.Value {
		return awsquery.Struct([]awsquery.Value{revocations(x.Revocations), awsquery.Int(int64(x.RevokedCount))})
	},
}

// Operations lists the actions, for catalogues and docs.
var Operations = append(append(append(append([]*awsquery.OperationInfo{ListSessions.Info(), RevokeSessions.Info()}, HostOperations...), SSOOperations...), UpstreamOperations...), FindingsOperations...)

// revocations encodes a list of revocations (RevokeSessions',
// DeregisterHost's).
func revocations(rs []Revocation) awsquery.Value {
	l := make([]awsquery.Value, len(rs))
	for i, r := range rs {
		l[i] = awsquery.Struct([]awsquery.Value{str(r.Kind), str(r.Target), ts(r.NotBefore), ts(r.ExpiresAt)})
	}
	return awsquery.List(l)
}

func str(s string) awsquery.Value {
	if s == "" {
		return awsquery.Value{}
	}
	return awsquery.String(s)
}

func ts(t time.Time) awsquery.Value {
	if t.IsZero() {
		return awsquery.Value{}
	}
	return awsquery.Time(t)
}
