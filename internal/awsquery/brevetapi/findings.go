package brevetapi

import (
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
)

// The findings report: the account's security findings as IAM's console
// shows them (users with a console password and no MFA, old or unused access keys, unused roles,
// customer managed policies that allow everything), generated once and
// kept for 4 hours like IAM's credential report, so that a page can show
// them with one small call however many users and roles there are.

// The finding types a report holds, in this order.
const (
	FindingUsersWithoutMFA   = "UsersWithoutMFA"
	FindingAccessKeysOld     = "AccessKeysNotRotated"
	FindingAccessKeysUnused  = "AccessKeysUnused"
	FindingRolesUnused       = "RolesUnused"
	FindingPoliciesAllowsAll = "PoliciesAllowingAll"
)

// MaxFindingItems is how many items of each finding a report lists; Count
// says how many there are.
const MaxFindingItems = 20

var (
	shapeFindingItem = &awsquery.Shape{Name: "FindingItem", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Name", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Arn", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Detail", Ref: awsquery.Ref{Shape: shapeString}},
	}}
	shapeFinding = &awsquery.Shape{Name: "Finding", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Type", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Count", Ref: awsquery.Ref{Shape: shapeCount}},
		{Name: "Items", Ref: awsquery.Ref{Shape: &awsquery.Shape{Name: "FindingItemList", Kind: awsquery.KindList, Member: &awsquery.Ref{Shape: shapeFindingItem}}}},
	}}
	shapeGenerateFindingsReportResponse = &awsquery.Shape{Name: "GenerateFindingsReportResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "State", Ref: awsquery.Ref{Shape: shapeString}},
		{Name: "Description", Ref: awsquery.Ref{Shape: shapeString}},
	}}
	shapeGetFindingsReportResponse = &awsquery.Shape{Name: "GetFindingsReportResponse", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "GeneratedTime", Ref: awsquery.Ref{Shape: shapeTime}},
		{Name: "Findings", Ref: awsquery.Ref{Shape: &awsquery.Shape{Name: "FindingList", Kind: awsquery.KindList, Member: &awsquery.Ref{Shape: shapeFinding}}}},
	}}
)

// FindingItem is one user, access key, role or policy a finding names.
type FindingItem struct {
	Name, Arn string
	// Detail says why: "console password, no MFA device", "created 2026-01-02 (120 days)".
	Detail string
}

// Finding is one kind of finding: how many, and the first
// MaxFindingItems by name.
type Finding struct {
	Type  string
	Count int32
	Items []FindingItem
}

// GenerateFindingsReportResponse is GenerateFindingsReport's result:
// STARTED when it generated a new report, COMPLETE when a report less
// than 4 hours old was there (as GenerateCredentialReport's).
type GenerateFindingsReportResponse struct {
	State, Description string
}

// GetFindingsReportResponse is GetFindingsReport's result.
type GetFindingsReportResponse struct {
	GeneratedTime time.Time
	Findings      []Finding
}

// GenerateFindingsReport is the GenerateFindingsReport action
// (brevet:GenerateFindingsReport on "*").
var GenerateFindingsReport = &awsquery.Operation[awsquery.Empty, GenerateFindingsReportResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "GenerateFindingsReport",
		Output: shapeGenerateFindingsReportResponse, ResultWrapper: "GenerateFindingsReportResult"},
	DecodeInput: func(*awsquery.Value) *awsquery.Empty { return &awsquery.Empty{} },
	EncodeOutput: func(x *GenerateFindingsReportResponse) awsquery.Value {
		return awsquery.Struct([]awsquery.Value{str(x.State), str(x.Description)})
	},
}

// GetFindingsReport is the GetFindingsReport action
// (brevet:GetFindingsReport on "*").
var GetFindingsReport = &awsquery.Operation[awsquery.Empty, GetFindingsReportResponse]{
	OperationInfo: awsquery.OperationInfo{Service: Service, Name: "GetFindingsReport",
		Output: shapeGetFindingsReportResponse, ResultWrapper: "GetFindingsReportResult"},
	DecodeInput: func(*awsquery.Value) *awsquery.Empty { return &awsquery.Empty{} },
	EncodeOutput: func(x *GetFindingsReportResponse) awsquery.Value {
		fs := make([]awsquery.Value, len(x.Findings))
		for i, f := range x.Findings {
			items := make([]awsquery.Value, len(f.Items))
			for j, it := range f.Items {
				items[j] = awsquery.Struct([]awsquery.Value{str(it.Name), str(it.Arn), str(it.Detail)})
			}
			fs[i] = awsquery.Struct([]awsquery.Value{str(f.Type), awsquery.Int(int64(f.Count)), awsquery.List(items)})
		}
		return awsquery.Struct([]awsquery.Value{ts(x.GeneratedTime), awsquery.List(fs)})
	},
}

// FindingsOperations are the findings report's actions.
var FindingsOperations = []*awsquery.OperationInfo{GenerateFindingsReport.Info(), GetFindingsReport.Info()}
