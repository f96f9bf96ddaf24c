package iamservice_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

const ec2Trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// TestInstanceProfiles drives every instance-profile action through the
// real SDK: shapes, one role at most, AWS's error codes and messages, and
// DeleteRole refused while the role is in a profile.
func TestInstanceProfiles(t *testing.T) {
	e := newEnv(t)
	c, ctx := e.client, context.Background()
	for _, r := range []string{"web", "batch"} {
		must(c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(r), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
	}
	created := must(c.CreateInstanceProfile(ctx, &awsiam.CreateInstanceProfileInput{InstanceProfileName: aws.String("Web"),
		Path: aws.String("/hosts/"), Tags: []types.Tag{{Key: aws.String("tier"), Value: aws.String("front")}}}))(t)
	ip := created.InstanceProfile
	if got, want := aws.ToString(ip.Arn), "arn:aws:iam::"+testAccount+":instance-profile/hosts/Web"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if id := aws.ToString(ip.InstanceProfileId); !strings.HasPrefix(id, "AIPA") || len(id) != 21 {
		t.Errorf("InstanceProfileId = %s, want AIPA + 17 characters", id)
	}
	if !ip.CreateDate.Equal(testNow) || len(ip.Roles) != 0 || len(ip.Tags) != 1 {
		t.Errorf("created profile = %+v", ip)
	}
	if got := e.authz.last(); got.Action != "iam:CreateInstanceProfile" || got.Resource != aws.ToString(ip.Arn) ||
		!cmp.Equal(got.Context["aws:RequestTag/tier"], []string{"front"}) {
		t.Errorf("CreateInstanceProfile authorized as %s on %s with %v", got.Action, got.Resource, got.Context)
	}
	must(c.CreateInstanceProfile(ctx, &awsiam.CreateInstanceProfileInput{InstanceProfileName: aws.String("spare")}))(t)

	// Add: the caller also needs iam:PassRole on the role.
	e.authz.mu.Lock()
	before := len(e.authz.got)
	e.authz.mu.Unlock()
	must(c.AddRoleToInstanceProfile(ctx, &awsiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("WEB")}))(t)
	e.authz.mu.Lock()
	asked := e.authz.got[before:]
	e.authz.mu.Unlock()
	if len(asked) != 2 || asked[0].Action != "iam:AddRoleToInstanceProfile" || asked[0].Resource != aws.ToString(ip.Arn) ||
		asked[1].Action != "iam:PassRole" || asked[1].Resource != "arn:aws:iam::"+testAccount+":role/web" ||
		!cmp.Equal(asked[1].Context["iam:PassedToService"], []string{"ec2.amazonaws.com"}) ||
		!cmp.Equal(asked[1].Context["iam:AssociatedResourceArn"], []string{"arn:aws:ec2:*:" + testAccount + ":instance/*"}) {
		for _, a := range asked {
			t.Errorf("asked %s on %s with %v", a.Action, a.Resource, a.Context)
		}
		t.Errorf("AddRoleToInstanceProfile asked %d authorizations, want the profile's then iam:PassRole on the role", len(asked))
	}

	got := must(c.GetInstanceProfile(ctx, &awsiam.GetInstanceProfileInput{InstanceProfileName: aws.String("WEB")}))(t).InstanceProfile
	if len(got.Roles) != 1 || aws.ToString(got.Roles[0].RoleName) != "web" || !strings.HasPrefix(aws.ToString(got.Roles[0].RoleId), "AROA") ||
		aws.ToString(got.Roles[0].AssumeRolePolicyDocument) == "" || len(got.Tags) != 1 {
		t.Errorf("GetInstanceProfile = %+v", got)
	}
	list := must(c.ListInstanceProfiles(ctx, &awsiam.ListInstanceProfilesInput{}))(t)
	if len(list.InstanceProfiles) != 2 || aws.ToString(list.InstanceProfiles[0].InstanceProfileName) != "spare" ||
		len(list.InstanceProfiles[1].Roles) != 1 || list.InstanceProfiles[1].Tags != nil {
		t.Errorf("ListInstanceProfiles = %+v", list.InstanceProfiles)
	}
	paged := must(c.ListInstanceProfiles(ctx, &awsiam.ListInstanceProfilesInput{MaxItems: aws.Int32(1)}))(t)
	if !paged.IsTruncated || len(paged.InstanceProfiles) != 1 {
		t.Errorf("ListInstanceProfiles MaxItems 1: truncated %v, %d profiles", paged.IsTruncated, len(paged.InstanceProfiles))
	}
	byPath := must(c.ListInstanceProfiles(ctx, &awsiam.ListInstanceProfilesInput{PathPrefix: aws.String("/hosts/")}))(t)
	if len(byPath.InstanceProfiles) != 1 {
		t.Errorf("ListInstanceProfiles under /hosts/: %d profiles, want 1", len(byPath.InstanceProfiles))
	}
	forRole := must(c.ListInstanceProfilesForRole(ctx, &awsiam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web")}))(t)
	if len(forRole.InstanceProfiles) != 1 || aws.ToString(forRole.InstanceProfiles[0].InstanceProfileName) != "Web" {
		t.Errorf("ListInstanceProfilesForRole = %+v", forRole.InstanceProfiles)
	}
	details := must(c.GetAccountAuthorizationDetails(ctx, &awsiam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{types.EntityTypeRole}}))(t)
	for _, r := range details.RoleDetailList {
		want := map[string]int{"web": 1, "batch": 0}[aws.ToString(r.RoleName)]
		if len(r.InstanceProfileList) != want {
			t.Errorf("role %s: InstanceProfileList has %d profiles, want %d", aws.ToString(r.RoleName), len(r.InstanceProfileList), want)
		}
	}

	// Tags.
	must(c.TagInstanceProfile(ctx, &awsiam.TagInstanceProfileInput{InstanceProfileName: aws.String("Web"),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))(t)
	must(c.UntagInstanceProfile(ctx, &awsiam.UntagInstanceProfileInput{InstanceProfileName: aws.String("Web"), TagKeys: []string{"tier"}}))(t)
	tags := must(c.ListInstanceProfileTags(ctx, &awsiam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("Web")}))(t)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("ListInstanceProfileTags = %+v", tags.Tags)
	}
	if got := e.authz.last(); !cmp.Equal(got.Context["aws:ResourceTag/env"], []string{"prod"}) {
		t.Errorf("ListInstanceProfileTags context %v, want the profile's tags", got.Context)
	}

	errs := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"create taken in another case", err2(c.CreateInstanceProfile(ctx, &awsiam.CreateInstanceProfileInput{InstanceProfileName: aws.String("WEB")})),
			"EntityAlreadyExists", "Instance Profile WEB already exists."},
		{"create bad name", err2(c.CreateInstanceProfile(ctx, &awsiam.CreateInstanceProfileInput{InstanceProfileName: aws.String("a b")})),
			"ValidationError", ""},
		{"create bad path", err2(c.CreateInstanceProfile(ctx, &awsiam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p"), Path: aws.String("nope")})),
			"ValidationError", ""},
		{"get missing", err2(c.GetInstanceProfile(ctx, &awsiam.GetInstanceProfileInput{InstanceProfileName: aws.String("ghost")})),
			"NoSuchEntity", "Instance Profile ghost cannot be found."},
		{"second role", err2(c.AddRoleToInstanceProfile(ctx, &awsiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("Web"), RoleName: aws.String("batch")})),
			"LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"},
		{"same role again", err2(c.AddRoleToInstanceProfile(ctx, &awsiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("Web"), RoleName: aws.String("web")})),
			"LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"},
		{"add missing role", err2(c.AddRoleToInstanceProfile(ctx, &awsiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("spare"), RoleName: aws.String("ghost")})),
			"NoSuchEntity", "The role with name ghost cannot be found."},
		{"add to missing profile", err2(c.AddRoleToInstanceProfile(ctx, &awsiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ghost"), RoleName: aws.String("web")})),
			"NoSuchEntity", "Instance Profile ghost cannot be found."},
		{"remove role not in it", err2(c.RemoveRoleFromInstanceProfile(ctx, &awsiam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("spare"), RoleName: aws.String("web")})),
			"NoSuchEntity", "Role web in Instance Profile spare cannot be found."},
		{"delete profile with a role", err2(c.DeleteInstanceProfile(ctx, &awsiam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("Web")})),
			"DeleteConflict", "Cannot delete entity, must remove roles from instance profile first."},
		{"delete role in a profile", err2(c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("web")})),
			"DeleteConflict", "Cannot delete entity, must remove roles from instance profile first."},
		{"for missing role", err2(c.ListInstanceProfilesForRole(ctx, &awsiam.ListInstanceProfilesForRoleInput{RoleName: aws.String("ghost")})),
			"NoSuchEntity", "The role with name ghost cannot be found."},
		{"tags of missing profile", err2(c.ListInstanceProfileTags(ctx, &awsiam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("ghost")})),
			"NoSuchEntity", "Instance Profile ghost cannot be found."},
		{"reserved tag", err2(c.TagInstanceProfile(ctx, &awsiam.TagInstanceProfileInput{InstanceProfileName: aws.String("Web"),
			Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}})), "InvalidInput", ""},
		{"delete missing", err2(c.DeleteInstanceProfile(ctx, &awsiam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("ghost")})),
			"NoSuchEntity", "Instance Profile ghost cannot be found."},
	}
	for _, tt := range errs {
		if tt.err == nil {
			t.Errorf("%s: succeeded, want %s", tt.name, tt.code)
			continue
		}
		code, msg := apiError(t, tt.err)
		if code != tt.code || (tt.msg != "" && msg != tt.msg) {
			t.Errorf("%s: got %s %q, want %s %q", tt.name, code, msg, tt.code, tt.msg)
		}
	}

	// Remove, then both deletes succeed.
	must(c.RemoveRoleFromInstanceProfile(ctx, &awsiam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("Web"), RoleName: aws.String("Web")}))(t)
	if got := must(c.GetInstanceProfile(ctx, &awsiam.GetInstanceProfileInput{InstanceProfileName: aws.String("Web")}))(t); len(got.InstanceProfile.Roles) != 0 {
		t.Errorf("roles after Remove: %+v", got.InstanceProfile.Roles)
	}
	must(c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("web")}))(t)
	must(c.DeleteInstanceProfile(ctx, &awsiam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("Web")}))(t)
	summary := must(c.GetAccountSummary(ctx, &awsiam.GetAccountSummaryInput{}))(t)
	if got := summary.SummaryMap["InstanceProfiles"]; got != 1 {
		t.Errorf("GetAccountSummary InstanceProfiles = %d, want 1", got)
	}
}

// err2 keeps the error of a two-valued call.
func err2[T any](_ T, err error) error { return err }
