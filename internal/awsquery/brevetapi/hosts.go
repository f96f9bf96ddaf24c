package brevetapi

import (
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
)

// The host enrollment actions (issue 16): join tokens, EnrollHost, the
// host's own GetHostCredentials and WaitHostChange (signed with
// SigV4-X509 by the host's key, scope service "brevet"), ListHosts and
// DeregisterHost.

var (
	shapeProfileName = &awsquery.Shape{Name: "InstanceProfileNameType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 128, Pattern: `[\w+=,.@-]+`}
	shapeTTL         = &awsquery.Shape{Name: "JoinTokenTtlType", Kind: awsquery.KindInteger, HasMin: true, Min: 60, HasMax: true, Max: 86400}
	shapeJoinToken   = &awsquery.Shape{Name: "JoinTokenType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 128, Sensitive: true}
	shapeCertPEM     = &awsquery.Shape{Name: "HostCertificateType", Kind: awsquery.KindString, HasMin: true, Min: 1, HasMax: true, Max: 8192}
	shapeHostname    = &awsquery.Shape{Name: "HostnameType", Kind: awsquery.KindString, HasMax: true, Max: 255}
	shapeHostID      = &awsquery.Shape{Name: "HostIdType", Kind: awsquery.KindString, HasMin: true, Min: 19, HasMax: true, Max: 19, Pattern: `i-[0-9a-f]{17}`}
	shapeGeneration  = &awsquery.Shape{Name: "GenerationType", Kind: awsquery.KindLong}

	shapeCreateJoinTokenRequest = &awsquery.Shape{Name: "CreateJoinTokenRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "InstanceProfileName", Ref: awsquery.Ref{Shape: shapeProfileName}, Required: true},
		{Name: "TtlSeconds", Ref: awsquery.Ref{Shape: shapeTTL}},
	}}
	shapeCreateJoinTokenResponse = &awsquery.Shape{Name: "CreateJoinTokenResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "JoinToken", Ref: awsquery.Ref{Shape: shapeJoinToken}},
		{Name: "Expiration", Ref: awsquery.Ref{Shape: shapeTime}},
		{Name: "InstanceProfileArn", Ref: awsquery.Ref{Shape: shapeString}},
	}}
	shapeEnrollHostRequest = &awsquery.Shape{Name: "EnrollHostRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "HostCertificate", Ref: awsquery.Ref{Shape: shapeCertPEM}, Required: true},
		{Name: "Hostname", Ref: awsquery.Ref{Shape: shapeHostname}},
		{Name: "JoinToken", Ref: awsquery.Ref{Shape: shapeJoinToken}},
		{Name: "InstanceProfileName", Ref: awsquery.Ref{Shape: shapeProfileName}},
	}}
	shapeEnrollHostResponse = &awsquery.Shape{Name: "EnrollHostResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "HostId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "InstanceProfileArn", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "RoleArn", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "AccountId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Region", Ref: awsquery.Ref{Shape: shapeString}},
	}}
	shapeGetHostCredentialsResponse = &awsquery.Shape{Name: "GetHostCredentialsResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Credentials", Ref: awsquery.Ref{Shape: stsCredentialsShape()}},
		{Name: "RoleArn", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "HostId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "InstanceProfileArn", Ref: awsquery.Ref{Shape: shapeString}},
	}}
	shapeHost = &awsquery.Shape{Name: "Host", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "HostId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "InstanceProfileName", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Hostname", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Fingerprint", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "JoinTokenId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "EnrolledBy", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Created", Ref: awsquery.Ref{Shape: shapeTime}},
		{Name: "NotAfter", Ref: awsquery.Ref{Shape: shapeTime}},
		{Name: "Deregistered", Ref: awsquery.Ref{Shape: shapeTime}},
	}}
	shapeHosts             = &awsquery.Shape{Name: "HostList", Kind: awsquery.KindList, Member: &awsquery.Ref{Shape: shapeHost}}
	shapeListHostsResponse = &awsquery.Shape{Name: "ListHostsResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Hosts", Ref: awsquery.Ref{Shape: shapeHosts}},
	}}
	shapeDeregisterHostRequest = &awsquery.Shape{Name: "DeregisterHostRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "HostId", Ref: awsquery.Ref{Shape: shapeHostID}, Required: true},
	}}
	shapeDeregisterHostResponse = &awsquery.Shape{Name: "DeregisterHostResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "HostId", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Deregistered", Ref: awsquery.Ref{Shape: shapeTime}},
		{Name: "RevokedSessions", Ref: awsquery.Ref{Shape: shapeRevocations}},
	}}
	shapeWaitHostChangeRequest = &awsquery.Shape{Name: "WaitHostChangeRequest", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Generation", Ref: awsquery.Ref{Shape: shapeGeneration}},
	}}
	shapeWaitHostChangeResponse = &awsquery.Shape{Name: "WaitHostChangeResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Generation", Ref: awsquery.Ref{Shape: shapeGeneration}},
		{Name: "Status", Ref: awsquery.Ref{Shape: shapeString}},
	}}
)

// stsCredentialsShape is STS's Credentials shape (its SecretAccessKey and
// SessionToken sensitive), so that GetHostCredentials returns
// credentials as AssumeRole does and never audits their secrets.
func stsCredentialsShape() *awsquery.Shape {
	for _, m := range stsapi.AssumeRole.Info().Output.Members {
		if m.Name == "Credentials" {
			return m.Shape
		}
	}
	panic("brevetapi: stsapi's AssumeRole has no Credentials")
}

// CreateJoinTokenRequest makes a single-use join token for an instance
// profile.
type CreateJoinTokenRequest struct {
	InstanceProfileName string
	TtlSeconds          int32 // 0 = 3600
}

// CreateJoinTokenResponse carries the token (sensitive: never audited).
type CreateJoinTokenResponse struct {
	JoinToken          string
	Expiration         time.Time
	InstanceProfileArn string
}

// EnrollHostRequest enrolls a host: with JoinToken (unsigned), or with
// InstanceProfileName in a request signed with SigV4.
type EnrollHostRequest struct {
	HostCertificate, Hostname, JoinToken, InstanceProfileName string
}

// EnrollHostResponse names the new host and what it is bound to.
type EnrollHostResponse struct {
	HostId, InstanceProfileArn, RoleArn, AccountId, Region string
}

// GetHostCredentialsResponse is a session of the host's role.
type GetHostCredentialsResponse struct {
	Credentials                         stsapi.Credentials
	RoleArn, HostId, InstanceProfileArn string
}

// Host is one enrolled host.
type Host struct {
	HostId, InstanceProfileName, Hostname, Fingerprint, JoinTokenId, EnrolledBy string
	Created, NotAfter, Deregistered                                             time.Time
}

// ListHostsResponse lists the caller account's hosts.
type ListHostsResponse struct{ Hosts []Host }

// DeregisterHostRequest deregisters one host.
type DeregisterHostRequest struct{ HostId string }

// DeregisterHostResponse says when, and which sessions were revoked.
type DeregisterHostResponse struct {
	HostId          string
	Deregistered    time.Time
	RevokedSessions []Revocation
}

// WaitHostChangeRequest waits for the host's state to leave Generation.
type WaitHostChangeRequest struct{ Generation int64 }

// WaitHostChangeResponse is the host's state.
type WaitHostChangeResponse struct {
	Generation int64
	Status     string
}

// CreateJoinToken is the CreateJoinToken action (brevet:CreateJoinToken).
var CreateJoinToken = &awsquery.Operation[CreateJoinTokenRequest, CreateJoinTokenResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "CreateJoinToken", Input: shapeCreateJoinTokenRequest,
		Output: shapeCreateJoinTokenResponse, ResultWrapper: "CreateJoinTokenResult"},
	DecodeInput: func(v *awsquery.Value) *CreateJoinTokenRequest {
		var x CreateJoinTokenRequest
		if e := v.Elems; len(e) == 2 {
			x.InstanceProfileName, x.TtlSeconds = e[0].Str, int32(e[1].Int)
		}
		return &x
	},
	EncodeOutput: func(x *CreateJoinTokenResponse) awsquery.Value {
		return awsquery.Struct([]awsquery.Value{str(x.JoinToken), ts(x.Expiration), str(x.InstanceProfileArn)})
	},
}

// EnrollHost is the EnrollHost action: unsigned with a join token, or
// signed and authorized as brevet:EnrollHost on the instance profile.
var EnrollHost = &awsquery.Operation[EnrollHostRequest, EnrollHostResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "EnrollHost", Input: shapeEnrollHostRequest,
		Output: shapeEnrollHostResponse, ResultWrapper: "EnrollHostResult", Unsigned: true},
	DecodeInput: func(v *awsquery.Value) *EnrollHostRequest {
		var x EnrollHostRequest
		if e := v.Elems; len(e) == 4 {
			x.HostCertificate, x.Hostname, x.JoinToken, x.InstanceProfileName = e[0].Str, e[1].Str, e[2].Str, e[3].Str
		}
		return &x
	},
	EncodeOutput: func(x *EnrollHostResponse) awsquery.Value {
		return awsquery.Struct([]awsquery.Value{str(x.HostId), str(x.InstanceProfileArn), str(x.RoleArn), str(x.AccountId), str(x.Region)})
	},
}

// GetHostCredentials is the GetHostCredentials action, signed with
// SigV4-X509 by an enrolled host's key.
var GetHostCredentials = &awsquery.Operation[awsquery.Empty, GetHostCredentialsResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "GetHostCredentials",
		Output: shapeGetHostCredentialsResponse, ResultWrapper: "GetHostCredentialsResult", Unsigned: true},
	DecodeInput: func(*awsquery.Value) *awsquery.Empty { return &awsquery.Empty{} },
	EncodeOutput: func(x *GetHostCredentialsResponse) awsquery.Value {
		c := &x.Credentials
		return awsquery.Struct([]awsquery.Value{
			awsquery.Struct([]awsquery.Value{str(c.AccessKeyId), str(c.SecretAccessKey), str(c.SessionToken), ts(c.Expiration)}),
			str(x.RoleArn), str(x.HostId), str(x.InstanceProfileArn),
		})
	},
}

// WaitHostChange is the WaitHostChange action (long poll), signed as
// GetHostCredentials.
var WaitHostChange = &awsquery.Operation[WaitHostChangeRequest, WaitHostChangeResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "WaitHostChange", Input: shapeWaitHostChangeRequest,
		Output: shapeWaitHostChangeResponse, ResultWrapper: "WaitHostChangeResult", Unsigned: true},
	DecodeInput: func(v *awsquery.Value) *WaitHostChangeRequest {
		var x WaitHostChangeRequest
		if e := v.Elems; len(e) == 1 {
			x.Generation = e[0].Int
		}
		return &x
	},
	EncodeOutput: func(x *WaitHostChangeResponse) awsquery.Value {
		return awsquery.Struct([]awsquery.Value{awsquery.Int(x.Generation), str(x.Status)})
	},
}

// ListHosts is the ListHosts action (brevet:ListHosts on "*").
var ListHosts = &awsquery.Operation[awsquery.Empty, ListHostsResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "ListHosts",
		Output: shapeListHostsResponse, ResultWrapper: "ListHostsResult"},
	DecodeInput: func(*awsquery.Value) *awsquery.Empty { return &awsquery.Empty{} },
	EncodeOutput: func(x *ListHostsResponse) awsquery.Value {
		l := make([]awsquery.Value, len(x.Hosts))
		for i, h := range x.Hosts {
			l[i] = awsquery.Struct([]awsquery.Value{str(h.HostId), str(h.InstanceProfileName), str(h.Hostname), str(h.Fingerprint),
				str(h.JoinTokenId), str(h.EnrolledBy), ts(h.Created), ts(h.NotAfter), ts(h.Deregistered)})
		}
		return awsquery.Struct([]awsquery.Value{awsquery.List(l)})
	},
}

// DeregisterHost is the DeregisterHost action (brevet:DeregisterHost on
// the host's instance ARN).
var DeregisterHost = &awsquery.Operation[DeregisterHostRequest, DeregisterHostResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "DeregisterHost", Input: shapeDeregisterHostRequest,
		Output: shapeDeregisterHostResponse, ResultWrapper: "DeregisterHostResult"},
	DecodeInput: func(v *awsquery.Value) *DeregisterHostRequest {
		var x DeregisterHostRequest
		if e := v.Elems; len(e) == 1 {
			x.HostId = e[0].Str
		}
		return &x
	},
	EncodeOutput: func(x *DeregisterHostResponse) awsquery.Value {
		return awsquery.Struct([]awsquery.Value{str(x.HostId), ts(x.Deregistered), revocations(x.RevokedSessions)})
	},
}

// HostOperations lists the host actions, for catalogues and docs.
var HostOperations = []*awsquery.OperationInfo{CreateJoinToken.Info(), EnrollHost.Info(), GetHostCredentials.Info(),
	WaitHostChange.Info(), ListHosts.Info(), DeregisterHost.Info()}
