package iamservice_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/iam/iamservice"
)

const (
	trustEC2  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	allowS3   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}`
	allowList = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`
)

func decodeDoc(t *testing.T, s *string) string {
	t.Helper()
	d, err := url.QueryUnescape(aws.ToString(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestUserLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	out := must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))(t)
	if got, want := aws.ToString(out.User.Arn), "arn:aws:iam::123456789012:user/eng/alice"; got != want {
		t.Errorf("CreateUser Arn = %q, want %q", got, want)
	}
	if id := aws.ToString(out.User.UserId); !strings.HasPrefix(id, "AIDA") || len(id) != 21 {
		t.Errorf("UserId = %q, want AIDA and 21 characters", id)
	}
	if !out.User.CreateDate.Equal(testNow) {
		t.Errorf("CreateDate = %v, want %v", out.User.CreateDate, testNow)
	}
	got := must(c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("ALICE")}))(t)
	if diff := cmp.Diff([]types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}, got.User.Tags, cmp.AllowUnexported(types.Tag{})); diff != "" {
		t.Errorf("GetUser tags (-want +got):\n%s", diff)
	}
	self := must(c.GetUser(ctx, &awsiam.GetUserInput{}))(t)
	if got, want := aws.ToString(self.User.UserName), adminName; got != want {
		t.Errorf("GetUser without a name = %q, want the caller %q", got, want)
	}
	must(c.UpdateUser(ctx, &awsiam.UpdateUserInput{UserName: aws.String("alice"), NewUserName: aws.String("alicia"), NewPath: aws.String("/ops/")}))(t)
	renamed := must(c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("alicia")}))(t)
	if got, want := aws.ToString(renamed.User.Arn), "arn:aws:iam::123456789012:user/ops/alicia"; got != want {
		t.Errorf("after UpdateUser Arn = %q, want %q", got, want)
	}
	list := must(c.ListUsers(ctx, &awsiam.ListUsersInput{}))(t)
	var names []string
	for _, u := range list.Users {
		names = append(names, aws.ToString(u.UserName))
	}
	if diff := cmp.Diff([]string{adminName, "alicia"}, names); diff != "" {
		t.Errorf("ListUsers (-want +got):\n%s", diff)
	}
	must(c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("alicia")}))(t)
	_, err := c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("alicia")})
	if code, _ := apiError(t, err); code != "NoSuchEntity" {
		t.Errorf("GetUser after delete: code %q, want NoSuchEntity", code)
	}
}

// TestErrors checks AWS's codes and messages for failures of each kind.
func TestErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bob")}))(t)
	must(c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("bob")}))(t)
	must(c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("bob")}))(t)
	must(c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs")}))(t)
	must(c.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("bob")}))(t)
	must(c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustEC2)}))(t)
	pol := must(c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("s3read"), PolicyDocument: aws.String(allowS3)}))(t)
	must(c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: pol.Policy.Arn}))(t)
	for i := 0; i < 10; i++ {
		name := fmt.Sprintf("p%d", i)
		p := must(c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(allowList)}))(t)
		must(c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: p.Policy.Arn}))(t)
	}
	extra := must(c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("extra"), PolicyDocument: aws.String(allowList)}))(t)

	tests := []struct {
		name     string
		call     func() error
		wantCode string
		wantMsg  string
	}{
		{"no such user", func() error {
			_, err := c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity", "The user with name nobody cannot be found."},
		{"no such role", func() error {
			_, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("ghost")})
			return err
		}, "NoSuchEntity", "The role with name ghost cannot be found."},
		{"no such policy", func() error {
			_, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/none")})
			return err
		}, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/none was not found."},
		{"other account's policy", func() error {
			_, err := c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String("arn:aws:iam::210987654321:policy/x")})
			return err
		}, "NoSuchEntity", "Policy arn:aws:iam::210987654321:policy/x does not exist or is not attachable."},
		{"no such inline policy", func() error {
			_, err := c.GetUserPolicy(ctx, &awsiam.GetUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("nope")})
			return err
		}, "NoSuchEntity", "The user policy with name nope cannot be found."},
		{"no such access key", func() error {
			_, err := c.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA")})
			return err
		}, "NoSuchEntity", "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found."},
		{"user exists", func() error {
			_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("BOB")})
			return err
		}, "EntityAlreadyExists", "User with name BOB already exists."},
		{"role exists", func() error {
			_, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustEC2)})
			return err
		}, "EntityAlreadyExists", "Role with name app already exists."},
		{"group exists", func() error {
			_, err := c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs")})
			return err
		}, "EntityAlreadyExists", "Group with name devs already exists."},
		{"policy exists", func() error {
			_, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("s3read"), PolicyDocument: aws.String(allowS3)})
			return err
		}, "EntityAlreadyExists", "A policy called s3read already exists. Duplicate names are not allowed."},
		{"user has keys", func() error {
			_, err := c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("bob")})
			return err
		}, "DeleteConflict", "Cannot delete entity, must delete access keys first."},
		{"group has users", func() error {
			_, err := c.DeleteGroup(ctx, &awsiam.DeleteGroupInput{GroupName: aws.String("devs")})
			return err
		}, "DeleteConflict", "Cannot delete entity, must remove users from group first."},
		{"role has policies", func() error {
			_, err := c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("app")})
			return err
		}, "DeleteConflict", "Cannot delete entity, must detach all policies first."},
		{"policy attached", func() error {
			_, err := c.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: pol.Policy.Arn})
			return err
		}, "DeleteConflict", "Cannot delete a policy attached to entities."},
		{"third access key", func() error {
			_, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("bob")})
			return err
		}, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2"},
		{"eleventh attached policy", func() error {
			_, err := c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: extra.Policy.Arn})
			return err
		}, "LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10"},
		{"inline policies too big", func() error {
			big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 2100) + `"}]}`
			_, err := c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("big"), PolicyDocument: aws.String(big)})
			return err
		}, "LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user bob"},
		{"malformed policy", func() error {
			_, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Version":"2012-10-17"}`)})
			return err
		}, "MalformedPolicyDocument", "Syntax errors in policy."},
		{"principal in identity policy", func() error {
			_, err := c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("x"), PolicyDocument: aws.String(trustEC2)})
			return err
		}, "MalformedPolicyDocument", "Policy document should not specify a principal."},
		{"trust policy with other actions", func() error {
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"s3:GetObject"}]}`
			_, err := c.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("app"), PolicyDocument: aws.String(doc)})
			return err
		}, "MalformedPolicyDocument", "AssumeRole policy may only specify STS AssumeRole actions."},
		{"bad user name", func() error {
			_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("no spaces")})
			return err
		}, "ValidationError", "The specified value for userName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"},
		{"session duration out of range", func() error {
			_, err := c.UpdateRole(ctx, &awsiam.UpdateRoleInput{RoleName: aws.String("app"), MaxSessionDuration: aws.Int32(100)})
			return err
		}, "ValidationError", "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"},
		{"reserved tag prefix", func() error {
			_, err := c.TagUser(ctx, &awsiam.TagUserInput{UserName: aws.String("bob"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}})
			return err
		}, "InvalidInput", "User is not authorized to perform tag operations on tag keys starting with 'aws:'."},
		{"AWS managed policy is read-only", func() error {
			_, err := c.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess"), PolicyDocument: aws.String(allowList)})
			return err
		}, "UnmodifiableEntity", "Cannot modify AWS managed entity arn:aws:iam::aws:policy/AdministratorAccess."},
		{"last use of an unknown key", func() error {
			_, err := c.GetAccessKeyLastUsed(ctx, &awsiam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAIOSFODNN7EXAMPLE")})
			return err
		}, "AccessDenied", "User: arn:aws:iam::123456789012:user/admin is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key AKIAIOSFODNN7EXAMPLE"},
		{"attach a name, not an ARN", func() error {
			_, err := c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("longpolicynamebutnoarn")})
			return err
		}, "ValidationError", "ARN longpolicynamebutnoarn is not valid."},
		{"get a policy by something that is no ARN", func() error {
			_, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String("service-role/SomeServiceRolePolicy")})
			return err
		}, "ValidationError", "Invalid ARN:  Could not be parsed!"},
		{"boundary that is not a policy", func() error {
			_, err := c.PutRolePermissionsBoundary(ctx, &awsiam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:not_a_policy/invalid")})
			return err
		}, "InvalidInput", "ARN arn:aws:iam::123456789012:not_a_policy/invalid is not valid."},
		{"missing boundary", func() error {
			_, err := c.PutRolePermissionsBoundary(ctx, &awsiam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/none")})
			return err
		}, "NoSuchEntity", "Scope ARN: arn:aws:iam::123456789012:policy/none does not exist or is not attachable."},
		{"trust policy that is not JSON", func() error {
			_, err := c.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("app"), PolicyDocument: aws.String("{not json")})
			return err
		}, "MalformedPolicyDocument", "This policy contains invalid Json"},
		{"duplicate policy tag keys", func() error {
			_, err := c.TagPolicy(ctx, &awsiam.TagPolicyInput{PolicyArn: pol.Policy.Arn, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}}})
			return err
		}, "InvalidInput", "Duplicate tag keys found."},
		{"duplicate user tag keys ignoring case", func() error {
			_, err := c.TagUser(ctx, &awsiam.TagUserInput{UserName: aws.String("bob"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("A"), Value: aws.String("2")}}})
			return err
		}, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"tag a missing policy", func() error {
			_, err := c.TagPolicy(ctx, &awsiam.TagPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/none"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}})
			return err
		}, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/none was not found."},
		{"remove from a group a user that does not exist", func() error {
			_, err := c.RemoveUserFromGroup(ctx, &awsiam.RemoveUserFromGroupInput{UserName: aws.String("ghost"), GroupName: aws.String("nogroup")})
			return err
		}, "NoSuchEntity", "The user with name ghost cannot be found."},
		{"bad marker", func() error {
			_, err := c.ListUsers(ctx, &awsiam.ListUsersInput{Marker: aws.String("not a marker!")})
			return err
		}, "ValidationError", "Invalid Marker."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatalf("got no error, want %s", tt.wantCode)
			}
			code, msg := apiError(t, err)
			if code != tt.wantCode || msg != tt.wantMsg {
				t.Errorf("got %s %q, want %s %q", code, msg, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

// Removing a user from a group it is not in succeeds, as on AWS; a
// managed policy's tag keys are case-sensitive ("a" and "A" are two).
func TestGroupRemoveAndPolicyTagCase(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bob")}))(t)
	must(c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs")}))(t)
	if _, err := c.RemoveUserFromGroup(ctx, &awsiam.RemoveUserFromGroupInput{UserName: aws.String("bob"), GroupName: aws.String("devs")}); err != nil {
		t.Fatalf("RemoveUserFromGroup of a non-member: %v, want success", err)
	}
	pol := must(c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowList),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("lower")}, {Key: aws.String("A"), Value: aws.String("upper")}}}))(t)
	must(c.UntagPolicy(ctx, &awsiam.UntagPolicyInput{PolicyArn: pol.Policy.Arn, TagKeys: []string{"a"}}))(t)
	got := must(c.ListPolicyTags(ctx, &awsiam.ListPolicyTagsInput{PolicyArn: pol.Policy.Arn}))(t)
	if len(got.Tags) != 1 || aws.ToString(got.Tags[0].Key) != "A" {
		t.Errorf("tags after untagging a = %v, want only A", got.Tags)
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	for i := 0; i < 7; i++ {
		must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(fmt.Sprintf("u%d", i)), Path: aws.String("/p/")}))(t)
	}
	var got []string
	var pages []int
	in := &awsiam.ListUsersInput{PathPrefix: aws.String("/p/"), MaxItems: aws.Int32(3)}
	for {
		out := must(c.ListUsers(ctx, in))(t)
		pages = append(pages, len(out.Users))
		for _, u := range out.Users {
			got = append(got, aws.ToString(u.UserName))
		}
		if !out.IsTruncated {
			if out.Marker != nil {
				t.Errorf("last page has Marker %q", aws.ToString(out.Marker))
			}
			break
		}
		in.Marker = out.Marker
	}
	if diff := cmp.Diff([]int{3, 3, 1}, pages); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"u0", "u1", "u2", "u3", "u4", "u5", "u6"}, got); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}

	// The SDK's paginator over the AWS managed policies (Scope AWS), two at
	// a time, sees every built-in one exactly once.
	p := awsiam.NewListPoliciesPaginator(c, &awsiam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, MaxItems: aws.Int32(2)})
	seen := map[string]int{}
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))(t)
		for _, pol := range out.Policies {
			seen[aws.ToString(pol.PolicyName)]++
		}
	}
	for _, name := range []string{"AdministratorAccess", "ReadOnlyAccess", "IAMFullAccess", "AmazonS3ReadOnlyAccess", "ViewOnlyAccess"} {
		if seen[name] != 1 {
			t.Errorf("ListPolicies Scope=AWS saw %s %d times, want 1", name, seen[name])
		}
	}

	// OnlyAttached filters across pages.
	must(c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("u3"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	att := must(c.ListPolicies(ctx, &awsiam.ListPoliciesInput{OnlyAttached: true, MaxItems: aws.Int32(1)}))(t)
	if len(att.Policies) != 1 || aws.ToString(att.Policies[0].PolicyName) != "ReadOnlyAccess" || att.IsTruncated {
		t.Errorf("ListPolicies OnlyAttached = %d policies, truncated %v; want only ReadOnlyAccess", len(att.Policies), att.IsTruncated)
	}
}

func TestPolicyVersions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	pol := must(c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("rot"), Path: aws.String("/team/"),
		Description: aws.String("rotating"), PolicyDocument: aws.String(allowList)}))(t)
	arn := pol.Policy.Arn
	if got, want := aws.ToString(arn), "arn:aws:iam::123456789012:policy/team/rot"; got != want {
		t.Fatalf("Arn = %q, want %q", got, want)
	}
	for i := 2; i <= 5; i++ {
		v := must(c.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowS3), SetAsDefault: i == 4}))(t)
		if got, want := aws.ToString(v.PolicyVersion.VersionId), fmt.Sprintf("v%d", i); got != want {
			t.Errorf("CreatePolicyVersion #%d = %q, want %q", i, got, want)
		}
	}
	_, err := c.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowS3)})
	if code, msg := apiError(t, err); code != "LimitExceeded" || !strings.HasPrefix(msg, "A managed policy can have up to 5 versions.") {
		t.Errorf("sixth version: %s %q, want LimitExceeded", code, msg)
	}
	got := must(c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: arn}))(t)
	if aws.ToString(got.Policy.DefaultVersionId) != "v4" || aws.ToString(got.Policy.Description) != "rotating" {
		t.Errorf("GetPolicy default %q description %q, want v4 and rotating", aws.ToString(got.Policy.DefaultVersionId), aws.ToString(got.Policy.Description))
	}
	_, err = c.DeletePolicyVersion(ctx, &awsiam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v4")})
	if code, msg := apiError(t, err); code != "DeleteConflict" || msg != "Cannot delete the default version of a policy." {
		t.Errorf("delete default: %s %q", code, msg)
	}
	must(c.DeletePolicyVersion(ctx, &awsiam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")}))(t)
	v6 := must(c.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowList)}))(t)
	if got := aws.ToString(v6.PolicyVersion.VersionId); got != "v6" {
		t.Errorf("version after rotation = %q, want v6 (ids are never reused)", got)
	}
	must(c.SetDefaultPolicyVersion(ctx, &awsiam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v6")}))(t)
	vs := must(c.ListPolicyVersions(ctx, &awsiam.ListPolicyVersionsInput{PolicyArn: arn}))(t)
	var ids []string
	for _, v := range vs.Versions {
		id := aws.ToString(v.VersionId)
		if v.IsDefaultVersion {
			id += "*"
		}
		ids = append(ids, id)
	}
	if diff := cmp.Diff([]string{"v6*", "v5", "v4", "v3", "v2"}, ids); diff != "" {
		t.Errorf("ListPolicyVersions (-want +got):\n%s", diff)
	}
	gv := must(c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v6")}))(t)
	if got := decodeDoc(t, gv.PolicyVersion.Document); got != allowList {
		t.Errorf("GetPolicyVersion document = %q, want %q", got, allowList)
	}
	_, err = c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")})
	if code, msg := apiError(t, err); code != "NoSuchEntity" || msg != "Policy arn:aws:iam::123456789012:policy/team/rot version v1 does not exist or is not attachable." {
		t.Errorf("deleted version: %s %q", code, msg)
	}
	_, err = c.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: arn})
	if code, _ := apiError(t, err); code != "DeleteConflict" {
		t.Errorf("DeletePolicy with versions: %s, want DeleteConflict", code)
	}
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		must(c.DeletePolicyVersion(ctx, &awsiam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String(v)}))(t)
	}
	must(c.TagPolicy(ctx, &awsiam.TagPolicyInput{PolicyArn: arn, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))(t)
	tags := must(c.ListPolicyTags(ctx, &awsiam.ListPolicyTagsInput{PolicyArn: arn}))(t)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "k" {
		t.Errorf("ListPolicyTags = %v", tags.Tags)
	}
	must(c.UntagPolicy(ctx, &awsiam.UntagPolicyInput{PolicyArn: arn, TagKeys: []string{"K"}}))(t)
	must(c.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: arn}))(t)
}

func TestRolesInlineAttachments(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	r := must(c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustEC2),
		Description: aws.String("the app"), MaxSessionDuration: aws.Int32(7200), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")}))(t)
	if r.Role.MaxSessionDuration != nil {
		t.Errorf("CreateRole MaxSessionDuration = %d, want it left out as IAM does", *r.Role.MaxSessionDuration)
	}
	if r.Role.Description != nil {
		t.Errorf("CreateRole Description = %q, want it left out as IAM does", *r.Role.Description)
	}
	g := must(c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("app")}))(t)
	if got := aws.ToString(g.Role.Description); got != "the app" {
		t.Errorf("GetRole Description = %q, want the one CreateRole was given", got)
	}
	if got := aws.ToInt32(g.Role.MaxSessionDuration); got != 7200 {
		t.Errorf("GetRole MaxSessionDuration = %d, want 7200", got)
	}
	if got := decodeDoc(t, g.Role.AssumeRolePolicyDocument); got != trustEC2 {
		t.Errorf("GetRole trust policy = %q, want %q", got, trustEC2)
	}
	if g.Role.PermissionsBoundary == nil || aws.ToString(g.Role.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::aws:policy/PowerUserAccess" {
		t.Errorf("GetRole boundary = %+v", g.Role.PermissionsBoundary)
	}
	must(c.UpdateRole(ctx, &awsiam.UpdateRoleInput{RoleName: aws.String("app"), MaxSessionDuration: aws.Int32(43200)}))(t)
	d := must(c.UpdateRoleDescription(ctx, &awsiam.UpdateRoleDescriptionInput{RoleName: aws.String("app"), Description: aws.String("new")}))(t)
	if aws.ToString(d.Role.Description) != "new" || d.Role.MaxSessionDuration != nil || d.Role.RoleLastUsed != nil {
		t.Errorf("UpdateRoleDescription role = %q %v %v, want the description without MaxSessionDuration and RoleLastUsed", aws.ToString(d.Role.Description), d.Role.MaxSessionDuration, d.Role.RoleLastUsed)
	}
	if g := must(c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("app")}))(t); aws.ToInt32(g.Role.MaxSessionDuration) != 43200 {
		t.Errorf("GetRole MaxSessionDuration after UpdateRole = %d, want 43200", aws.ToInt32(g.Role.MaxSessionDuration))
	}
	must(c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(allowS3)}))(t)
	rp := must(c.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("s3")}))(t)
	if got := decodeDoc(t, rp.PolicyDocument); got != allowS3 {
		t.Errorf("GetRolePolicy = %q", got)
	}
	names := must(c.ListRolePolicies(ctx, &awsiam.ListRolePoliciesInput{RoleName: aws.String("app")}))(t)
	if diff := cmp.Diff([]string{"s3"}, names.PolicyNames); diff != "" {
		t.Errorf("ListRolePolicies (-want +got):\n%s", diff)
	}
	must(c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	must(c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	att := must(c.ListAttachedRolePolicies(ctx, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("app")}))(t)
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "ReadOnlyAccess" {
		t.Errorf("ListAttachedRolePolicies = %+v", att.AttachedPolicies)
	}
	ents := must(c.ListEntitiesForPolicy(ctx, &awsiam.ListEntitiesForPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	if len(ents.PolicyRoles) != 1 || aws.ToString(ents.PolicyRoles[0].RoleName) != "app" || aws.ToString(ents.PolicyRoles[0].RoleId) != aws.ToString(r.Role.RoleId) {
		t.Errorf("ListEntitiesForPolicy roles = %+v", ents.PolicyRoles)
	}
	bnd := must(c.ListEntitiesForPolicy(ctx, &awsiam.ListEntitiesForPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/PowerUserAccess"),
		PolicyUsageFilter: types.PolicyUsageTypePermissionsBoundary}))(t)
	if len(bnd.PolicyRoles) != 1 {
		t.Errorf("boundary users of PowerUserAccess = %+v, want the role", bnd.PolicyRoles)
	}
	must(c.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("app"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))(t)
	tags := must(c.ListRoleTags(ctx, &awsiam.ListRoleTagsInput{RoleName: aws.String("app")}))(t)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "prod" {
		t.Errorf("ListRoleTags = %+v", tags.Tags)
	}
	must(c.UntagRole(ctx, &awsiam.UntagRoleInput{RoleName: aws.String("app"), TagKeys: []string{"env"}}))(t)
	must(c.DeleteRolePermissionsBoundary(ctx, &awsiam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("app")}))(t)
	must(c.DeleteRolePolicy(ctx, &awsiam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("s3")}))(t)
	must(c.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	_, err := c.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	if code, msg := apiError(t, err); code != "NoSuchEntity" || msg != "Policy arn:aws:iam::aws:policy/ReadOnlyAccess was not found." {
		t.Errorf("second detach: %s %q", code, msg)
	}
	must(c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("app")}))(t)
}

func TestGroupsAndBoundaries(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("carol")}))(t)
	must(c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("ops"), Path: aws.String("/x/")}))(t)
	must(c.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("ops"), UserName: aws.String("carol")}))(t)
	g := must(c.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("ops")}))(t)
	if len(g.Users) != 1 || aws.ToString(g.Users[0].UserName) != "carol" || aws.ToString(g.Group.Arn) != "arn:aws:iam::123456789012:group/x/ops" {
		t.Errorf("GetGroup = %+v users %+v", g.Group, g.Users)
	}
	fu := must(c.ListGroupsForUser(ctx, &awsiam.ListGroupsForUserInput{UserName: aws.String("carol")}))(t)
	if len(fu.Groups) != 1 {
		t.Errorf("ListGroupsForUser = %+v", fu.Groups)
	}
	must(c.PutGroupPolicy(ctx, &awsiam.PutGroupPolicyInput{GroupName: aws.String("ops"), PolicyName: aws.String("list"), PolicyDocument: aws.String(allowList)}))(t)
	must(c.UpdateGroup(ctx, &awsiam.UpdateGroupInput{GroupName: aws.String("ops"), NewGroupName: aws.String("sre")}))(t)
	gp := must(c.ListGroupPolicies(ctx, &awsiam.ListGroupPoliciesInput{GroupName: aws.String("sre")}))(t)
	if diff := cmp.Diff([]string{"list"}, gp.PolicyNames); diff != "" {
		t.Errorf("ListGroupPolicies after rename (-want +got):\n%s", diff)
	}
	must(c.PutUserPermissionsBoundary(ctx, &awsiam.PutUserPermissionsBoundaryInput{UserName: aws.String("carol"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/AWSDenyAll")}))(t)
	u := must(c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("carol")}))(t)
	if u.User.PermissionsBoundary == nil || u.User.PermissionsBoundary.PermissionsBoundaryType != "Policy" {
		t.Errorf("boundary = %+v", u.User.PermissionsBoundary)
	}
	_, err := c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("carol")})
	if code, msg := apiError(t, err); code != "DeleteConflict" || msg != "Cannot delete entity, must remove users from group first." {
		t.Errorf("DeleteUser in a group: %s %q", code, msg)
	}
	must(c.RemoveUserFromGroup(ctx, &awsiam.RemoveUserFromGroupInput{GroupName: aws.String("sre"), UserName: aws.String("carol")}))(t)
	must(c.DeleteUserPermissionsBoundary(ctx, &awsiam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("carol")}))(t)
	must(c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("carol")}))(t)
	must(c.DeleteGroupPolicy(ctx, &awsiam.DeleteGroupPolicyInput{GroupName: aws.String("sre"), PolicyName: aws.String("list")}))(t)
	must(c.DeleteGroup(ctx, &awsiam.DeleteGroupInput{GroupName: aws.String("sre")}))(t)
}

func TestAccessKeys(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("dave")}))(t)
	k := must(c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("dave")}))(t)
	id, secret := aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
	if !strings.HasPrefix(id, "AKIA") || len(id) != 20 || len(secret) != 40 {
		t.Fatalf("CreateAccessKey = %q / %d-character secret", id, len(secret))
	}
	stored := must(e.st.AccessKeys().Get(ctx, id))(t)
	if strings.Contains(string(stored.SecretCiphertext), secret) {
		t.Fatal("the store holds the secret in plaintext")
	}
	plain := must(e.mk.Open(stored.SecretCiphertext, iamservice.AccessKeyPurpose(id)))(t)
	if string(plain) != secret {
		t.Error("the sealed secret does not open to the one returned")
	}
	if _, err := e.mk.Open(stored.SecretCiphertext, iamservice.AccessKeyPurpose("AKIAOTHERKEY00000000")); err == nil {
		t.Error("the sealed secret opens under another key id")
	}
	must(c.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String("dave"), AccessKeyId: aws.String(id), Status: types.StatusTypeInactive}))(t)
	l := must(c.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: aws.String("dave")}))(t)
	if len(l.AccessKeyMetadata) != 1 || l.AccessKeyMetadata[0].Status != types.StatusTypeInactive {
		t.Errorf("ListAccessKeys = %+v", l.AccessKeyMetadata)
	}
	lu := must(c.GetAccessKeyLastUsed(ctx, &awsiam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)}))(t)
	if aws.ToString(lu.UserName) != "dave" || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "N/A" || aws.ToString(lu.AccessKeyLastUsed.Region) != "N/A" {
		t.Errorf("GetAccessKeyLastUsed = %q %+v", aws.ToString(lu.UserName), lu.AccessKeyLastUsed)
	}
	own := must(c.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{}))(t)
	if len(own.AccessKeyMetadata) != 0 {
		t.Errorf("ListAccessKeys for the caller = %+v, want none", own.AccessKeyMetadata)
	}
	must(c.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{UserName: aws.String("dave"), AccessKeyId: aws.String(id)}))(t)
	must(c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("dave")}))(t)
}

func TestAccountAliasAndSummary(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	must(c.CreateAccountAlias(ctx, &awsiam.CreateAccountAliasInput{AccountAlias: aws.String("my-corp")}))(t)
	l := must(c.ListAccountAliases(ctx, &awsiam.ListAccountAliasesInput{}))(t)
	if diff := cmp.Diff([]string{"my-corp"}, l.AccountAliases); diff != "" {
		t.Errorf("ListAccountAliases (-want +got):\n%s", diff)
	}
	_, err := c.DeleteAccountAlias(ctx, &awsiam.DeleteAccountAliasInput{AccountAlias: aws.String("other")})
	if code, msg := apiError(t, err); code != "NoSuchEntity" || msg != "The account alias other cannot be found." {
		t.Errorf("delete unknown alias: %s %q", code, msg)
	}
	must(c.DeleteAccountAlias(ctx, &awsiam.DeleteAccountAliasInput{AccountAlias: aws.String("my-corp")}))(t)
	s := must(c.GetAccountSummary(ctx, &awsiam.GetAccountSummaryInput{}))(t)
	if s.SummaryMap["Users"] != 1 || s.SummaryMap["AccessKeysPerUserQuota"] != 2 {
		t.Errorf("GetAccountSummary = %v", s.SummaryMap)
	}
}

// TestTargets checks the resource and condition keys a few actions are
// authorized on.
func TestTargets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("erin"), Path: aws.String("/a/"),
		PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess"),
		Tags:                []types.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}))(t)
	got := e.authz.last()
	want := map[string][]string{"aws:RequestTag/team": {"red"}, "aws:TagKeys": {"team"}, "iam:PermissionsBoundary": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}}
	if got.Action != "iam:CreateUser" || got.Resource != "arn:aws:iam::123456789012:user/a/erin" {
		t.Errorf("CreateUser authorized as %s on %s", got.Action, got.Resource)
	}
	if diff := cmp.Diff(want, got.Context); diff != "" {
		t.Errorf("CreateUser context (-want +got):\n%s", diff)
	}
	must(c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("erin"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))(t)
	got = e.authz.last()
	want = map[string][]string{"iam:PolicyARN": {"arn:aws:iam::aws:policy/IAMReadOnlyAccess"}, "iam:PermissionsBoundary": {"arn:aws:iam::aws:policy/ReadOnlyAccess"},
		"aws:ResourceTag/team": {"red"}, "iam:ResourceTag/team": {"red"}}
	if got.Resource != "arn:aws:iam::123456789012:user/a/erin" {
		t.Errorf("AttachUserPolicy resource = %s", got.Resource)
	}
	if diff := cmp.Diff(want, got.Context); diff != "" {
		t.Errorf("AttachUserPolicy context (-want +got):\n%s", diff)
	}
	must(c.ListUsers(ctx, &awsiam.ListUsersInput{}))(t)
	if got := e.authz.last(); got.Action != "iam:ListUsers" || got.Resource != "arn:aws:iam::123456789012:user/" {
		t.Errorf("ListUsers authorized as %s on %s", got.Action, got.Resource)
	}
	if len(iamservice.Actions) < 80 {
		t.Errorf("only %d actions registered", len(iamservice.Actions))
	}
}
