package iamservice_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/federation/fedtest"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
)

func tags(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func tagPairs(ts []types.Tag) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return out
}

// providerTagOps are the tag actions of one provider kind, so that one
// table runs against both.
type providerTagOps struct {
	tag   func(arn string, t []types.Tag) error
	untag func(arn string, keys ...string) error
	list  func(arn string) ([]types.Tag, error)
}

func oidcTagOps(c *awsiam.Client) providerTagOps {
	ctx := context.Background()
	return providerTagOps{
		tag: func(arn string, t []types.Tag) error {
			_, err := c.TagOpenIDConnectProvider(ctx, &awsiam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, Tags: t})
			return err
		},
		untag: func(arn string, keys ...string) error {
			_, err := c.UntagOpenIDConnectProvider(ctx, &awsiam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, TagKeys: keys})
			return err
		},
		list: func(arn string) ([]types.Tag, error) {
			out, err := c.ListOpenIDConnectProviderTags(ctx, &awsiam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: &arn})
			if err != nil {
				return nil, err
			}
			return out.Tags, nil
		},
	}
}

func samlTagOps(c *awsiam.Client) providerTagOps {
	ctx := context.Background()
	return providerTagOps{
		tag: func(arn string, t []types.Tag) error {
			_, err := c.TagSAMLProvider(ctx, &awsiam.TagSAMLProviderInput{SAMLProviderArn: &arn, Tags: t})
			return err
		},
		untag: func(arn string, keys ...string) error {
			_, err := c.UntagSAMLProvider(ctx, &awsiam.UntagSAMLProviderInput{SAMLProviderArn: &arn, TagKeys: keys})
			return err
		},
		list: func(arn string) ([]types.Tag, error) {
			out, err := c.ListSAMLProviderTags(ctx, &awsiam.ListSAMLProviderTagsInput{SAMLProviderArn: &arn})
			if err != nil {
				return nil, err
			}
			return out.Tags, nil
		},
	}
}

func TestProviderTags(t *testing.T) {
	e := newEnv(t)
	c := providerClient(t, e)
	ctx := context.Background()
	oidc := must(c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://idp.example.com"), ClientIDList: []string{"app"}, Tags: tags("team", "ci")}))(t)
	idp := fedtest.NewSAMLIdP(t, "https://idp.example.com/saml")
	saml := must(c.CreateSAMLProvider(ctx, &awsiam.CreateSAMLProviderInput{Name: aws.String("Corp"),
		SAMLMetadataDocument: aws.String(idp.Metadata()), Tags: tags("team", "ci")}))(t)
	kinds := []struct {
		name, arn, missing, missingMsg string
		ops                            providerTagOps
	}{
		{"oidc", aws.ToString(oidc.OpenIDConnectProviderArn), "arn:aws:iam::" + testAccount + ":oidc-provider/nobody.example.com",
			"OpenIDConnect Provider not found for arn arn:aws:iam::" + testAccount + ":oidc-provider/nobody.example.com", oidcTagOps(c)},
		{"saml", aws.ToString(saml.SAMLProviderArn), "arn:aws:iam::" + testAccount + ":saml-provider/Nobody",
			"Manifest not found for arn arn:aws:iam::" + testAccount + ":saml-provider/Nobody", samlTagOps(c)},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			if err := k.ops.tag(k.arn, tags("env", "prod", "team", "sec")); err != nil {
				t.Fatal(err)
			}
			if got := e.authz.last(); got.Resource != k.arn || fmt.Sprint(got.Context["aws:TagKeys"]) != "[env team]" ||
				fmt.Sprint(got.Context["aws:RequestTag/env"]) != "[prod]" || fmt.Sprint(got.Context["aws:ResourceTag/team"]) != "[ci]" {
				t.Errorf("Tag authorized on %s with %v", got.Resource, got.Context)
			}
			got := must(k.ops.list(k.arn))(t)
			// Listed sorted by key, as the model documents for List*ProviderTags.
			if d := cmp.Diff([]string{"env=prod", "team=sec"}, tagPairs(got)); d != "" {
				t.Errorf("tags after Tag (-want +got):\n%s", d)
			}
			if err := k.ops.untag(k.arn, "team", "absent"); err != nil {
				t.Fatal(err)
			}
			if got := e.authz.last(); fmt.Sprint(got.Context["aws:TagKeys"]) != "[team absent]" {
				t.Errorf("Untag authorized with %v", got.Context)
			}
			got = must(k.ops.list(k.arn))(t)
			if d := cmp.Diff([]string{"env=prod"}, tagPairs(got)); d != "" {
				t.Errorf("tags after Untag (-want +got):\n%s", d)
			}
			must(0, k.ops.untag(k.arn, "env"))(t)
			if got := must(k.ops.list(k.arn))(t); got == nil || len(got) != 0 {
				t.Errorf("no tags listed as %#v, want an empty list", got)
			}

			rejects := []struct {
				name, code, msg string
				err             error
			}{
				{"unknown provider: Tag", "NoSuchEntity", k.missingMsg, k.ops.tag(k.missing, tags("a", "b"))},
				{"unknown provider: Untag", "NoSuchEntity", k.missingMsg, k.ops.untag(k.missing, "a")},
				{"unknown provider: List", "NoSuchEntity", k.missingMsg, func() error { _, err := k.ops.list(k.missing); return err }()},
				{"duplicate keys", "InvalidInput", "", k.ops.tag(k.arn, tags("dup", "1", "dup", "2"))},
				{"reserved prefix", "InvalidInput", "", k.ops.tag(k.arn, tags("aws:x", "1"))},
				{"key too long", "ValidationError", "", k.ops.tag(k.arn, tags(string(make([]byte, 129)), "1"))},
			}
			for _, r := range rejects {
				if r.err == nil {
					t.Errorf("%s: accepted", r.name)
					continue
				}
				code, msg := apiError(t, r.err)
				if code != r.code || (r.msg != "" && msg != r.msg) {
					t.Errorf("%s: %s %q, want %s %q", r.name, code, msg, r.code, r.msg)
				}
			}

			var fifty []string
			for i := range 50 {
				fifty = append(fifty, fmt.Sprintf("k%02d", i), "v")
			}
			must(0, k.ops.tag(k.arn, tags(fifty...)))(t)
			code, msg := apiError(t, k.ops.tag(k.arn, tags("one-more", "v")))
			if code != "LimitExceeded" || msg != "The number of tags has reached the maximum limit." {
				t.Errorf("51st tag: %s %q", code, msg)
			}
			must(0, k.ops.tag(k.arn, tags("k00", "replaced")))(t)
		})
	}
}

func TestServiceLinkedRoles(t *testing.T) {
	e := newEnv(t)
	c := e.client
	ctx := context.Background()
	out := must(c.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("elasticloadbalancing.amazonaws.com"),
		Description: aws.String("load balancers")}))(t)
	r := out.Role
	want := []string{"AWSServiceRoleForElasticLoadBalancing", "/aws-service-role/elasticloadbalancing.amazonaws.com/",
		"arn:aws:iam::" + testAccount + ":role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing"}
	if d := cmp.Diff(want, []string{aws.ToString(r.RoleName), aws.ToString(r.Path), aws.ToString(r.Arn)}); d != "" {
		t.Errorf("CreateServiceLinkedRole (-want +got):\n%s", d)
	}
	if r.Description != nil || r.MaxSessionDuration != nil {
		t.Errorf("CreateServiceLinkedRole answered Description %v, MaxSessionDuration %v; AWS leaves both out", r.Description, r.MaxSessionDuration)
	}
	if got := e.authz.last(); got.Resource != aws.ToString(r.Arn) || fmt.Sprint(got.Context["iam:AWSServiceName"]) != "[elasticloadbalancing.amazonaws.com]" {
		t.Errorf("authorized on %s with %v", got.Resource, got.Context)
	}
	role := must(c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: r.RoleName}))(t).Role
	if want := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["elasticloadbalancing.amazonaws.com"]},"Action":["sts:AssumeRole"]}]}`; decodeDoc(t, role.AssumeRolePolicyDocument) != want {
		t.Errorf("trust policy = %s", aws.ToString(role.AssumeRolePolicyDocument))
	}
	if got := aws.ToString(role.Description); got != "load balancers" {
		t.Errorf("GetRole Description = %q, want the one CreateServiceLinkedRole was given", got)
	}
	suffixed := must(c.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com"),
		CustomSuffix: aws.String("blue")}))(t).Role
	if got := aws.ToString(suffixed.RoleName); got != "AWSServiceRoleForAutoScaling_blue" {
		t.Errorf("suffixed name = %s", got)
	}

	const protected = "Cannot perform the operation on the protected role 'AWSServiceRoleForElasticLoadBalancing' - this role is only modifiable by AWS"
	name := r.RoleName
	trust := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	doc := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	rejects := []struct {
		name, code, msg string
		err             error
	}{
		{"again", "InvalidInput", "Service role name AWSServiceRoleForElasticLoadBalancing has been taken in this account, please try a different suffix.",
			err(c.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("elasticloadbalancing.amazonaws.com")}))},
		{"suffix not taken", "InvalidInput", "Custom suffix is not allowed for ecs.amazonaws.com",
			err(c.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com"), CustomSuffix: aws.String("x")}))},
		{"unknown service", "InvalidInput", "",
			err(c.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("nothing.example.com")}))},
		{"bad service name", "ValidationError", "",
			err(c.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("a/b")}))},
		{"DeleteRole", "UnmodifiableEntity", protected, err(c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: name}))},
		{"UpdateAssumeRolePolicy", "UnmodifiableEntity", protected,
			err(c.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: trust}))},
		{"PutRolePolicy", "UnmodifiableEntity", protected,
			err(c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: name, PolicyName: aws.String("p"), PolicyDocument: doc}))},
		{"DeleteRolePolicy", "UnmodifiableEntity", protected,
			err(c.DeleteRolePolicy(ctx, &awsiam.DeleteRolePolicyInput{RoleName: name, PolicyName: aws.String("p")}))},
		{"AttachRolePolicy", "UnmodifiableEntity", protected,
			err(c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: name, PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))},
		{"DetachRolePolicy", "UnmodifiableEntity", protected,
			err(c.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: name, PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))},
		{"DeleteServiceLinkedRole of nobody", "NoSuchEntity", "The role with name nobody cannot be found.",
			err(c.DeleteServiceLinkedRole(ctx, &awsiam.DeleteServiceLinkedRoleInput{RoleName: aws.String("nobody")}))},
		{"unknown task", "NoSuchEntity", "",
			err(c.GetServiceLinkedRoleDeletionStatus(ctx, &awsiam.GetServiceLinkedRoleDeletionStatusInput{
				DeletionTaskId: aws.String("task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/0b6fd2a4-1a3e-4e4a-9a51-fc0e1f2d9a20")}))},
		{"malformed task", "InvalidInput", "",
			err(c.GetServiceLinkedRoleDeletionStatus(ctx, &awsiam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String("task-1")}))},
	}
	for _, r := range rejects {
		if r.err == nil {
			t.Errorf("%s: accepted", r.name)
			continue
		}
		code, msg := apiError(t, r.err)
		if code != r.code || (r.msg != "" && msg != r.msg) {
			t.Errorf("%s: %s %q, want %s %q", r.name, code, msg, r.code, r.msg)
		}
	}

	// An ordinary role is deleted with DeleteRole, not DeleteServiceLinkedRole.
	must(c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("plain"), AssumeRolePolicyDocument: trust}))(t)
	if code, _ := apiError(t, err(c.DeleteServiceLinkedRole(ctx, &awsiam.DeleteServiceLinkedRoleInput{RoleName: aws.String("plain")}))); code != "InvalidInput" {
		t.Errorf("DeleteServiceLinkedRole of an ordinary role: %s", code)
	}

	del := must(c.DeleteServiceLinkedRole(ctx, &awsiam.DeleteServiceLinkedRoleInput{RoleName: name}))(t)
	task := aws.ToString(del.DeletionTaskId)
	if !regexp.MustCompile(`^task/aws-service-role/elasticloadbalancing\.amazonaws\.com/AWSServiceRoleForElasticLoadBalancing/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(task) {
		t.Errorf("DeletionTaskId = %s", task)
	}
	st := must(c.GetServiceLinkedRoleDeletionStatus(ctx, &awsiam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: &task}))(t)
	if st.Status != types.DeletionTaskStatusTypeSucceeded || st.Reason != nil {
		t.Errorf("status = %s %+v", st.Status, st.Reason)
	}
	if got, want := e.authz.last().Resource, aws.ToString(r.Arn); got != want {
		t.Errorf("deletion status authorized on %s, want %s", got, want)
	}
	if code, _ := apiError(t, err(c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: name}))); code != "NoSuchEntity" {
		t.Errorf("GetRole after delete: %s", code)
	}
	// The name is free again.
	must(c.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("elasticloadbalancing.amazonaws.com")}))(t)

	// A role an instance profile holds stays: the task FAILED, with why.
	must(c.CreateInstanceProfile(ctx, &awsiam.CreateInstanceProfileInput{InstanceProfileName: aws.String("holder")}))(t)
	must(c.AddRoleToInstanceProfile(ctx, &awsiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("holder"), RoleName: name}))(t)
	task = aws.ToString(must(c.DeleteServiceLinkedRole(ctx, &awsiam.DeleteServiceLinkedRoleInput{RoleName: name}))(t).DeletionTaskId)
	st = must(c.GetServiceLinkedRoleDeletionStatus(ctx, &awsiam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: &task}))(t)
	if st.Status != types.DeletionTaskStatusTypeFailed || st.Reason == nil ||
		aws.ToString(st.Reason.Reason) != "Cannot delete entity, must remove roles from instance profile first." {
		t.Errorf("status of a held role's deletion = %s %+v", st.Status, st.Reason)
	}
	must(c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: name}))(t)
}

func TestSTSPreferencesInAccountSummary(t *testing.T) {
	e := newEnv(t)
	c := e.client
	ctx := context.Background()
	version := func() int32 {
		t.Helper()
		return must(c.GetAccountSummary(ctx, &awsiam.GetAccountSummaryInput{}))(t).SummaryMap["GlobalEndpointTokenVersion"]
	}
	if got := version(); got != 1 {
		t.Errorf("default GlobalEndpointTokenVersion = %d, want 1", got)
	}
	for _, tc := range []struct {
		set  types.GlobalEndpointTokenVersion
		want int32
	}{{types.GlobalEndpointTokenVersionV2Token, 2}, {types.GlobalEndpointTokenVersionV2Token, 2}, {types.GlobalEndpointTokenVersionV1Token, 1}} {
		must(c.SetSecurityTokenServicePreferences(ctx, &awsiam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: tc.set}))(t)
		if got := version(); got != tc.want {
			t.Errorf("after %s: GlobalEndpointTokenVersion = %d, want %d", tc.set, got, tc.want)
		}
	}
	_, err := c.SetSecurityTokenServicePreferences(ctx, &awsiam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: "v3Token"})
	if code, _ := apiError(t, err); code != "ValidationError" {
		t.Errorf("v3Token: %s, want ValidationError", code)
	}
	summary := must(c.GetAccountSummary(ctx, &awsiam.GetAccountSummaryInput{}))(t).SummaryMap
	var keys []string
	for _, k := range types.SummaryKeyType("").Values() {
		if _, ok := summary[string(k)]; !ok {
			keys = append(keys, string(k))
		}
	}
	if len(keys) > 0 {
		t.Errorf("GetAccountSummary lacks %v", keys)
	}
}

// err keeps the error of a call that returns (value, error).
func err[T any](_ T, e error) error { return e }

// TestCreateRoleRefusesServiceLinkedPath: /aws-service-role/ is AWS's for
// service-linked roles alone. An ordinary role under it would pass for
// one: protected from DeleteRole and the policy actions (so from the
// administrators who would remove it), with whatever trust its creator
// chose. AWS refuses it (InvalidInput "Path prefix '/aws-service-role/'
// can only be used for AWS Service linked Roles", quoted in
// tilfin/aws-iam-policy-tool#9).
func TestCreateRoleRefusesServiceLinkedPath(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	trust := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}]}`)
	for _, path := range []string{"/aws-service-role/", "/aws-service-role/ecs.amazonaws.com/", "/aws-service-role/x/y/"} {
		_, err := e.client.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("AWSServiceRoleForECS"), Path: aws.String(path), AssumeRolePolicyDocument: trust})
		if err == nil {
			t.Errorf("CreateRole at %s accepted", path)
			continue
		}
		code, msg := apiError(t, err)
		if want := "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles"; code != "InvalidInput" || msg != want {
			t.Errorf("CreateRole at %s: %s %q, want InvalidInput %q", path, code, msg, want)
		}
	}
	// Paths that only resemble it are ordinary.
	for _, path := range []string{"/aws-service-roles/", "/team/aws-service-role/"} {
		must(e.client.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("r" + fmt.Sprint(len(path))), Path: aws.String(path), AssumeRolePolicyDocument: trust}))(t)
	}
	// The service-linked role can still be created after a refused attempt.
	must(e.client.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")}))(t)
}

// TestServiceLinkedRoleBoundary: the model says of PutRolePermissionsBoundary
// and DeleteRolePermissionsBoundary "You cannot set the boundary for a
// service-linked role" (botocore iam service-2.json); they are refused as
// the other ordinary role changes are, and the role is left as it was.
func TestServiceLinkedRoleBoundary(t *testing.T) {
	e := newEnv(t)
	c := e.client
	ctx := context.Background()
	name := must(c.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")}))(t).Role.RoleName
	const protected = "Cannot perform the operation on the protected role 'AWSServiceRoleForECS' - this role is only modifiable by AWS"
	for _, r := range []struct {
		name string
		err  error
	}{
		{"PutRolePermissionsBoundary", err(c.PutRolePermissionsBoundary(ctx, &awsiam.PutRolePermissionsBoundaryInput{RoleName: name,
			PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))},
		{"DeleteRolePermissionsBoundary", err(c.DeleteRolePermissionsBoundary(ctx, &awsiam.DeleteRolePermissionsBoundaryInput{RoleName: name}))},
	} {
		if r.err == nil {
			t.Errorf("%s of a service-linked role accepted", r.name)
			continue
		}
		if code, msg := apiError(t, r.err); code != "UnmodifiableEntity" || msg != protected {
			t.Errorf("%s: %s %q, want UnmodifiableEntity %q", r.name, code, msg, protected)
		}
	}
	if b := must(c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: name}))(t).Role.PermissionsBoundary; b != nil {
		t.Errorf("service-linked role has boundary %s", aws.ToString(b.PermissionsBoundaryArn))
	}
	// An ordinary role still takes and loses one.
	trust := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	must(c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("plain"), AssumeRolePolicyDocument: trust}))(t)
	must(c.PutRolePermissionsBoundary(ctx, &awsiam.PutRolePermissionsBoundaryInput{RoleName: aws.String("plain"),
		PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	must(c.DeleteRolePermissionsBoundary(ctx, &awsiam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("plain")}))(t)
}

// TestOtherAccountsTagsStayOut: an action naming another account's
// provider or managed policy is authorized without that entity's tags. The
// caller writes its own account's policies, so a condition on
// aws:ResourceTag/K would otherwise tell AccessDenied (no match) from
// NoSuchEntity (a match) and read another account's tags key by key.
func TestOtherAccountsTagsStayOut(t *testing.T) {
	e := newEnv(t)
	c := providerClient(t, e)
	ctx := context.Background()
	const other = "210987654321"
	must(0, e.st.Accounts().Create(ctx, iam.Account{ID: other, Created: testNow}))(t)
	secret := []iam.Tag{{Key: "team", Value: "secret-project"}}
	oidc := iam.Provider{Kind: iam.ProviderOIDC, Account: other, Name: "idp.other.example", URL: "https://idp.other.example",
		ClientIDs: []string{"app"}, Thumbprints: []string{strings.Repeat("a", 40)}, Tags: secret, Created: testNow, Updated: testNow}
	must(0, e.st.Providers().Create(ctx, oidc))(t)
	pol := iam.ManagedPolicy{Account: other, ID: "ANPAOTHERACCOUNT00001", Name: "theirs", Path: "/", Tags: secret, Created: testNow, Updated: testNow}
	must(0, e.st.Policies().Create(ctx, pol, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`))(t)
	dev := iam.VirtualMFADevice{Account: other, SerialNumber: "arn:aws:iam::" + other + ":mfa/theirs", Path: "/", Name: "theirs",
		SeedCiphertext: []byte("sealed"), Tags: secret, Created: testNow}
	must(0, e.st.MFADevices().Create(ctx, dev))(t)

	calls := []struct {
		name, resource string
		call           func() error
	}{
		{"ListOpenIDConnectProviderTags", oidc.ARN(), func() error {
			return err(c.ListOpenIDConnectProviderTags(ctx, &awsiam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(oidc.ARN())}))
		}},
		{"TagOpenIDConnectProvider", oidc.ARN(), func() error {
			return err(c.TagOpenIDConnectProvider(ctx, &awsiam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(oidc.ARN()), Tags: tags("a", "b")}))
		}},
		{"GetOpenIDConnectProvider", oidc.ARN(), func() error {
			return err(c.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(oidc.ARN())}))
		}},
		{"DeleteVirtualMFADevice", dev.SerialNumber, func() error {
			return err(c.DeleteVirtualMFADevice(ctx, &awsiam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(dev.SerialNumber)}))
		}},
		{"GetPolicy", pol.ARN(), func() error { return err(c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(pol.ARN())})) }},
		{"ListPolicyTags", pol.ARN(), func() error {
			return err(c.ListPolicyTags(ctx, &awsiam.ListPolicyTagsInput{PolicyArn: aws.String(pol.ARN())}))
		}},
	}
	for _, k := range calls {
		if code, _ := apiError(t, k.call()); code != "NoSuchEntity" {
			t.Errorf("%s of another account's entity: %s, want NoSuchEntity", k.name, code)
		}
		got := e.authz.last()
		if got.Resource != k.resource {
			t.Errorf("%s authorized on %s, want %s", k.name, got.Resource, k.resource)
		}
		for key := range got.Context {
			if strings.Contains(key, "ResourceTag/") {
				t.Errorf("%s authorized with another account's tag %s=%v", k.name, key, got.Context[key])
			}
		}
	}
}

// TestDeletionTasksBounded: every DeleteServiceLinkedRole leaves a task,
// and a role an instance profile holds can be asked for again and again
// (each task FAILED): the account keeps its latest MaxDeletionTasks tasks,
// not one more row per call for as long as a caller cares to call.
func TestDeletionTasksBounded(t *testing.T) {
	e := newEnv(t)
	c := e.client
	ctx := context.Background()
	name := must(c.CreateServiceLinkedRole(ctx, &awsiam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")}))(t).Role.RoleName
	must(c.CreateInstanceProfile(ctx, &awsiam.CreateInstanceProfileInput{InstanceProfileName: aws.String("holder")}))(t)
	must(c.AddRoleToInstanceProfile(ctx, &awsiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("holder"), RoleName: name}))(t)
	var last string
	for i := 0; i < iamservice.MaxDeletionTasks+20; i++ {
		e.advance(time.Second)
		last = aws.ToString(must(c.DeleteServiceLinkedRole(ctx, &awsiam.DeleteServiceLinkedRoleInput{RoleName: name}))(t).DeletionTaskId)
	}
	objs := must(e.st.Objects().List(ctx, testAccount, iamservice.KindDeletionTask, "", 0))(t)
	if len(objs) != iamservice.MaxDeletionTasks {
		t.Errorf("%d deletion tasks kept, want %d", len(objs), iamservice.MaxDeletionTasks)
	}
	// The latest task still answers.
	st := must(c.GetServiceLinkedRoleDeletionStatus(ctx, &awsiam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: &last}))(t)
	if st.Status != types.DeletionTaskStatusTypeFailed {
		t.Errorf("latest task: %s", st.Status)
	}
}

// TestServiceRolePoliciesNotAttachable: an AWS managed policy under
// /aws-service-role/ (339 of them in the corpus brevet import
// --aws-managed-policies loads, some granting iam:CreateRole and
// iam:AttachRolePolicy) is for its service-linked role alone. AWS refuses
// it to any user, group or role (IAM User Guide, "Attaching or detaching a
// policy in an IAM account"; the model's PolicyNotAttachable on the attach
// and boundary actions), for a role with "Cannot attach a Service Role
// Policy to a Customer Role." (aws/aws-cdk#6131). Otherwise a caller
// allowed to attach AWS managed policies gains a service's rights.
func TestServiceRolePoliciesNotAttachable(t *testing.T) {
	e := newEnv(t)
	c := e.client
	ctx := context.Background()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateRole","iam:AttachRolePolicy"],"Resource":"*"}]}`
	for _, p := range []iam.ManagedPolicy{
		{Account: iam.AWSAccount, ID: "ANPASERVICEROLEPOL001", Name: "SomeServiceRolePolicy", Path: "/aws-service-role/", Created: testNow, Updated: testNow},
		{Account: iam.AWSAccount, ID: "ANPASERVICEROLEPOL002", Name: "SomeServiceRole", Path: "/service-role/", Created: testNow, Updated: testNow},
	} {
		must(0, e.st.Policies().Create(ctx, p, doc))(t)
	}
	linked := aws.String("arn:aws:iam::aws:policy/aws-service-role/SomeServiceRolePolicy")
	plain := aws.String("arn:aws:iam::aws:policy/service-role/SomeServiceRole")
	trust := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	must(c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: trust}))(t)
	must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("u")}))(t)
	must(c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	for _, r := range []struct {
		name, msg string
		err       error
	}{
		{"AttachRolePolicy", "Cannot attach a Service Role Policy to a Customer Role.",
			err(c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: linked}))},
		{"AttachUserPolicy", "", err(c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: linked}))},
		{"AttachGroupPolicy", "", err(c.AttachGroupPolicy(ctx, &awsiam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: linked}))},
		{"PutRolePermissionsBoundary", "",
			err(c.PutRolePermissionsBoundary(ctx, &awsiam.PutRolePermissionsBoundaryInput{RoleName: aws.String("r"), PermissionsBoundary: linked}))},
		{"PutUserPermissionsBoundary", "",
			err(c.PutUserPermissionsBoundary(ctx, &awsiam.PutUserPermissionsBoundaryInput{UserName: aws.String("u"), PermissionsBoundary: linked}))},
		{"CreateRole with the boundary", "",
			err(c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("r2"), AssumeRolePolicyDocument: trust, PermissionsBoundary: linked}))},
	} {
		if r.err == nil {
			t.Errorf("%s with a service role policy accepted", r.name)
			continue
		}
		if code, msg := apiError(t, r.err); code != "PolicyNotAttachable" || (r.msg != "" && msg != r.msg) {
			t.Errorf("%s: %s %q, want PolicyNotAttachable %q", r.name, code, msg, r.msg)
		}
	}
	for _, owner := range []string{"role", "user", "group"} {
		var n int
		switch owner {
		case "role":
			n = len(must(c.ListAttachedRolePolicies(ctx, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("r")}))(t).AttachedPolicies)
		case "user":
			n = len(must(c.ListAttachedUserPolicies(ctx, &awsiam.ListAttachedUserPoliciesInput{UserName: aws.String("u")}))(t).AttachedPolicies)
		case "group":
			n = len(must(c.ListAttachedGroupPolicies(ctx, &awsiam.ListAttachedGroupPoliciesInput{GroupName: aws.String("g")}))(t).AttachedPolicies)
		}
		if n != 0 {
			t.Errorf("the %s holds %d attached policies after the refusals", owner, n)
		}
	}
	// A service role policy (/service-role/) is an ordinary AWS managed
	// policy: it attaches.
	must(c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: plain}))(t)
}
