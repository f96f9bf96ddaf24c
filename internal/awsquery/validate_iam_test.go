package awsquery_test

import (
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
)

// validateIAM decodes body for op and validates it worded as IAM words it.
func validateIAM(t *testing.T, info *awsquery.OperationInfo, body string) error {
	t.Helper()
	params, err := awsquery.ParseForm(nil, body)
	if err != nil {
		t.Fatal(err)
	}
	v, err := awsquery.Decode(info.Input, params)
	if err != nil {
		t.Fatal(err)
	}
	return awsquery.ValidateFor(iamapi.Service, info.Input, &v)
}

// IAM quotes no values, reports a bad element of a list of strings at the
// list with all its members' constraints, and has sentences of its own for
// names and paths that break their pattern (AWS's texts, as recorded in
// LocalStack's IAM snapshots and quoted in aws-cli#5860, cfn-lint#722 and
// qontract-reconcile#2640).
func TestValidateIAMWording(t *testing.T) {
	const tagKeyConstraints = `Member must satisfy constraint: [Member must have length less than or equal to 128, ` +
		`Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+, Member must not be null]`
	tests := []struct {
		name string
		info *awsquery.OperationInfo
		body string
		want string // "" when valid
	}{
		{"valid", &iamapi.CreateUser.OperationInfo, "UserName=alice", ""},
		{"missing", &iamapi.CreateUser.OperationInfo, "",
			"1 validation error detected: Value at 'userName' failed to satisfy constraint: Member must not be null"},
		{"too long, no value quoted", &iamapi.CreateUser.OperationInfo, "UserName=" + strings.Repeat("a", 65),
			"1 validation error detected: Value at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"name pattern has its own sentence", &iamapi.AttachUserPolicy.OperationInfo,
			"UserName=%7Bx%7D&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess",
			"The specified value for userName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"},
		{"role name pattern", &iamapi.GetRole.OperationInfo, "RoleName=bad%2Fname",
			"The specified value for roleName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"},
		{"path pattern", &iamapi.CreateUser.OperationInfo, "UserName=a&Path=test%2F",
			"The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."},
		{"policy path prefix", &iamapi.ListPolicies.OperationInfo, "PathPrefix=%2Ffoo",
			"The specified value for pathPrefix is invalid. It must begin with the / character and contain only alphanumeric characters and/or / characters."},
		{"tag list too long", &iamapi.TagRole.OperationInfo, "RoleName=r" + iamTags(51),
			"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"tag key too long", &iamapi.TagRole.OperationInfo, "RoleName=r&Tags.member.1.Key=" + strings.Repeat("k", 129) + "&Tags.member.1.Value=v",
			"1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"tag key pattern", &iamapi.TagRole.OperationInfo, "RoleName=r&Tags.member.1.Key=k%2A&Tags.member.1.Value=v",
			`1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
		{"untag key too long", &iamapi.UntagRole.OperationInfo, "RoleName=r&TagKeys.member.1=" + strings.Repeat("k", 129),
			"1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: " + tagKeyConstraints},
		{"untag key pattern, second element", &iamapi.UntagRole.OperationInfo, "RoleName=r&TagKeys.member.1=ok&TagKeys.member.2=k%2A",
			"1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: " + tagKeyConstraints},
		{"bad thumbprint, no null constraint without a pattern", &iamapi.CreateOpenIDConnectProvider.OperationInfo,
			"Url=https%3A%2F%2Fexample.com&ThumbprintList.member.1=abc",
			"1 validation error detected: Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]"},
		{"version id pattern", &iamapi.GetPolicyVersion.OperationInfo, "PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess&VersionId=x1",
			`1 validation error detected: Value at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`},
		{"two errors", &iamapi.CreateRole.OperationInfo, "RoleName=" + strings.Repeat("a", 65) + "&MaxSessionDuration=100&AssumeRolePolicyDocument=%7B%7D",
			"2 validation errors detected: Value at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64; " +
				"Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateIAM(t, tt.info, tt.body)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			checkWireError(t, err, awsquery.CodeValidationError, tt.want)
		})
	}
}

func iamTags(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("&Tags.member." + itoa(i) + ".Key=k" + itoa(i) + "&Tags.member." + itoa(i) + ".Value=v")
	}
	return b.String()
}
