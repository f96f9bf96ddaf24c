package awsquery_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
)

var update = flag.Bool("update", false, "rewrite golden files")

const goldenRequestID = "c6104cbe-af31-11e0-8154-cbc7ccf896c7"

var goldenTime = time.Date(2026, 11, 22, 9, 30, 15, 0, time.UTC)

func assumeRoleResponse() *stsapi.AssumeRoleResponse {
	return &stsapi.AssumeRoleResponse{
		Credentials: &stsapi.Credentials{
			AccessKeyId:     "ASIAIOSFODNN7EXAMPLE",
			SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
			SessionToken:    "FQoGZXIvYXdzEHAaDExampleSessionTokenOnlyForTests+/=",
			Expiration:      goldenTime.Add(time.Hour),
		},
		AssumedRoleUser: &stsapi.AssumedRoleUser{
			AssumedRoleId: "AROA3XFRBF535PLBIFPI4:alice@example.com",
			Arn:           "arn:aws:sts::123456789012:assumed-role/demo/alice@example.com",
		},
		PackedPolicySize: ptr[int32](8),
	}
}

func TestGoldenResponses(t *testing.T) {
	tests := []struct {
		name string
		got  func() []byte
	}{
		{"sts_assume_role", func() []byte {
			v := stsapi.AssumeRole.EncodeOutput(assumeRoleResponse())
			return awsquery.AppendResponse(nil, stsapi.AssumeRole.Info(), &v, goldenRequestID)
		}},
		{"sts_get_caller_identity", func() []byte {
			v := stsapi.GetCallerIdentity.EncodeOutput(&stsapi.GetCallerIdentityResponse{
				UserId:  "AIDASAMPLEUSERID",
				Account: "123456789012",
				Arn:     "arn:aws:iam::123456789012:user/Alice",
			})
			return awsquery.AppendResponse(nil, stsapi.GetCallerIdentity.Info(), &v, goldenRequestID)
		}},
		{"iam_list_users", func() []byte {
			v := iamapi.ListUsers.EncodeOutput(&iamapi.ListUsersResponse{
				Users: []iamapi.User{
					{Path: "/", UserName: "Alice", UserId: "AIDAALICE", Arn: "arn:aws:iam::123456789012:user/Alice", CreateDate: goldenTime},
					{Path: "/ops/", UserName: "Bob & <Carol>", UserId: "AIDABOB", Arn: "arn:aws:iam::123456789012:user/ops/Bob",
						CreateDate: goldenTime.Add(1500 * time.Millisecond), Tags: []iamapi.Tag{{Key: "team", Value: "ops"}}},
				},
				IsTruncated: ptr(false),
			})
			return awsquery.AppendResponse(nil, iamapi.ListUsers.Info(), &v, goldenRequestID)
		}},
		{"iam_list_roles", func() []byte {
			// A list of structures that hold structures: the generated
			// encoder lays all of them out in one slice.
			v := iamapi.ListRoles.EncodeOutput(&iamapi.ListRolesResponse{
				Roles: []iamapi.Role{
					{Path: "/", RoleName: "app", RoleId: "AROAAPP", Arn: "arn:aws:iam::123456789012:role/app", CreateDate: goldenTime,
						AssumeRolePolicyDocument: "%7B%7D", MaxSessionDuration: ptr[int32](3600),
						RoleLastUsed: &iamapi.RoleLastUsed{LastUsedDate: goldenTime.Add(time.Hour), Region: "eu-west-1"}},
					{Path: "/ci/", RoleName: "deploy", RoleId: "AROADEPLOY", Arn: "arn:aws:iam::123456789012:role/ci/deploy", CreateDate: goldenTime,
						AssumeRolePolicyDocument: "%7B%7D", Description: "CI & <deploys>",
						PermissionsBoundary: &iamapi.AttachedPermissionsBoundary{PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: "arn:aws:iam::123456789012:policy/boundary"},
						Tags:                []iamapi.Tag{{Key: "team", Value: "ci"}, {Key: "env", Value: "prod"}},
						RoleLastUsed:        &iamapi.RoleLastUsed{Region: "us-east-1"}},
				},
				IsTruncated: ptr(true),
				Marker:      "next",
			})
			return awsquery.AppendResponse(nil, iamapi.ListRoles.Info(), &v, goldenRequestID)
		}},
		{"iam_list_users_empty", func() []byte {
			v := iamapi.ListUsers.EncodeOutput(&iamapi.ListUsersResponse{IsTruncated: ptr(false)})
			return awsquery.AppendResponse(nil, iamapi.ListUsers.Info(), &v, goldenRequestID)
		}},
		{"iam_delete_user", func() []byte {
			v := iamapi.DeleteUser.EncodeOutput(&awsquery.Empty{})
			return awsquery.AppendResponse(nil, iamapi.DeleteUser.Info(), &v, goldenRequestID)
		}},
		{"iam_account_summary_map", func() []byte {
			v := iamapi.GetAccountSummary.EncodeOutput(&iamapi.GetAccountSummaryResponse{
				SummaryMap: map[string]int32{"Users": 2, "Groups": 0, "AccessKeysPerUserQuota": 2},
			})
			return awsquery.AppendResponse(nil, iamapi.GetAccountSummary.Info(), &v, goldenRequestID)
		}},
		{"sts_error_access_denied", func() []byte {
			return awsquery.AppendError(nil, stsapi.Service.Namespace, awsquery.CodeAccessDenied.New(
				"User: arn:aws:iam::123456789012:user/Alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/demo"),
				goldenRequestID)
		}},
		{"iam_error_no_such_entity", func() []byte {
			return awsquery.AppendError(nil, iamapi.Service.Namespace, awsquery.CodeNoSuchEntity.New(
				"The user with name Mallory cannot be found."), goldenRequestID)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.got()
			path := filepath.Join("testdata", "golden", tt.name+".xml")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(want) != string(got)+"\n" {
				t.Errorf("%s:\n got %s\nwant %s", tt.name, got, want)
			}
		})
	}
}
