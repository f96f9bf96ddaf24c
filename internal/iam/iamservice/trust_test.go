package iamservice_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/iam"
)

func trustDoc(principals ...string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` +
		strings.Join(principals, `","`) + `"]},"Action":"sts:AssumeRole"}]}`
}

// TestTrustPolicyBinding: saving a trust policy binds the users and roles
// it names to their unique ids (stored with the role); a principal that
// names no one is refused as IAM refuses it; once a bound principal is
// deleted, GetRole, ListRoles and GetAccountAuthorizationDetails show its
// unique id in place of its ARN, even after a new one takes its name, and
// the ARN again once the policy is saved again.
func TestTrustPolicyBinding(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	ghost := must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ghost")}))(t).User
	dev := must(c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("dev"), AssumeRolePolicyDocument: aws.String(trustEC2)}))(t).Role
	ghostARN, devARN := aws.ToString(ghost.Arn), aws.ToString(dev.Arn)
	session := iam.AssumedRoleARN(testAccount, "dev", "any-session")
	root := "arn:aws:iam::" + testAccount + ":root"
	doc := trustDoc(ghostARN, devARN, session, root, testAccount, "*")
	must(c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("target"), AssumeRolePolicyDocument: aws.String(doc)}))(t)

	stored, err := e.st.Roles().Get(ctx, testAccount, "target")
	if err != nil {
		t.Fatal(err)
	}
	want := []iam.PrincipalBinding{{ARN: ghostARN, ID: aws.ToString(ghost.UserId)}, {ARN: devARN, ID: aws.ToString(dev.RoleId)},
		{ARN: session, ID: aws.ToString(dev.RoleId)}}
	if d := cmp.Diff(want, stored.TrustBindings); d != "" {
		t.Errorf("stored bindings (-want +got):\n%s", d)
	}

	// Principals that name no one.
	for _, p := range []string{
		iam.UserARN(testAccount, "/", "nobody"),
		iam.RoleARN(testAccount, "/", "nobody"),
		iam.AssumedRoleARN(testAccount, "nobody", "s"),
		iam.UserARN(testAccount, "/other/path/", "ghost"),
		iam.UserARN("999999999999", "/", "ghost"), // an account Brevet does not hold
	} {
		wantMsg := `Invalid principal in policy: "AWS":"` + p + `"`
		_, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(trustDoc(p))})
		if code, msg := apiError(t, err); code != "MalformedPolicyDocument" || msg != wantMsg {
			t.Errorf("CreateRole trusting %s: %s %q, want MalformedPolicyDocument %q", p, code, msg, wantMsg)
		}
		_, err = c.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("target"), PolicyDocument: aws.String(trustDoc(p))})
		if code, msg := apiError(t, err); code != "MalformedPolicyDocument" || msg != wantMsg {
			t.Errorf("UpdateAssumeRolePolicy trusting %s: %s %q, want MalformedPolicyDocument %q", p, code, msg, wantMsg)
		}
	}
	if _, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("bad")}); err == nil {
		t.Error("a role trusting no one was created")
	}

	shown := func(step, want string) {
		t.Helper()
		g := must(c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("target")}))(t)
		if got := decodeDoc(t, g.Role.AssumeRolePolicyDocument); got != want {
			t.Errorf("%s: GetRole trust policy\n got %s\nwant %s", step, got, want)
		}
		l := must(c.ListRoles(ctx, &awsiam.ListRolesInput{}))(t)
		for _, r := range l.Roles {
			if aws.ToString(r.RoleName) == "target" {
				if got := decodeDoc(t, r.AssumeRolePolicyDocument); got != want {
					t.Errorf("%s: ListRoles trust policy\n got %s\nwant %s", step, got, want)
				}
			}
		}
		d := must(c.GetAccountAuthorizationDetails(ctx, &awsiam.GetAccountAuthorizationDetailsInput{}))(t)
		for _, r := range d.RoleDetailList {
			if aws.ToString(r.RoleName) == "target" {
				if got := decodeDoc(t, r.AssumeRolePolicyDocument); got != want {
					t.Errorf("%s: GetAccountAuthorizationDetails trust policy\n got %s\nwant %s", step, got, want)
				}
			}
		}
	}
	shown("all exist", doc)

	must(c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("ghost")}))(t)
	must(c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("dev")}))(t)
	gone := trustDoc(aws.ToString(ghost.UserId), aws.ToString(dev.RoleId), aws.ToString(dev.RoleId), root, testAccount, "*")
	shown("deleted", gone)

	must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ghost")}))(t)
	must(c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("dev"), AssumeRolePolicyDocument: aws.String(trustEC2)}))(t)
	shown("made again under the same names", gone)

	must(c.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("target"), PolicyDocument: aws.String(doc)}))(t)
	shown("saved again", doc)
	stored, err = e.st.Roles().Get(ctx, testAccount, "target")
	if err != nil {
		t.Fatal(err)
	}
	if stored.TrustBindings[0].ID == aws.ToString(ghost.UserId) {
		t.Errorf("saved again: still bound to the old ghost %s", stored.TrustBindings[0].ID)
	}

	// A user renamed since the policy was saved is shown under its name
	// now (the binding follows the unique id, as AWS's does).
	must(c.UpdateUser(ctx, &awsiam.UpdateUserInput{UserName: aws.String("ghost"), NewUserName: aws.String("spectre")}))(t)
	shown("renamed", trustDoc(iam.UserARN(testAccount, "/", "spectre"), devARN, session, root, testAccount, "*"))
}
