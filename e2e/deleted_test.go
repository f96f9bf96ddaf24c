package e2e

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// TestDeletedPrincipals runs the deleted-principal scenarios of issue 13
// on one server.
func TestDeletedPrincipals(t *testing.T) {
	t.Parallel()
	b := startBrevet(t)
	t.Run("sessions of a deleted user are refused", func(t *testing.T) { deletedUserSessionRefused(t, b) })
	t.Run("trust is bound to the unique id", func(t *testing.T) { trustBoundToUniqueID(t, b) })
}

// A user's GetSessionToken session, and the role session made with it, die
// with the user, even for AssumeRole of a role whose trust policy names
// the user (which needs no identity policy): issue 13, finding 1.
func deletedUserSessionRefused(t *testing.T, b *brevet) {
	ctx := context.Background()
	ic := iam.NewFromConfig(b.goAdmin(t))
	userARN := "arn:aws:iam::" + b.Account + ":user/ghost"
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ghost")}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ghost")})
	if err != nil {
		t.Fatal(err)
	}
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ghost_target"),
		AssumeRolePolicyDocument: aws.String(trustPolicy(`{"AWS":"`+userARN+`"}`, ""))})
	if err != nil {
		t.Fatal(err)
	}
	assume := func(c aws.Config, name string) (*sts.AssumeRoleOutput, error) {
		return sts.NewFromConfig(c).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String(name)})
	}
	gst, err := sts.NewFromConfig(b.goConfig(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")).
		GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	session := fromSTS(b, gst.Credentials)
	before, err := assume(session, "before")
	if err != nil {
		t.Fatalf("AssumeRole with the user's session before the deletion: %v", err)
	}
	roleSession := fromSTS(b, before.Credentials)

	if _, err := ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("ghost"), AccessKeyId: key.AccessKey.AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("ghost")}); err != nil {
		t.Fatal(err)
	}

	wantInvalid := func(name string, err error) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidClientTokenId" || ae.ErrorMessage() != "The security token included in the request is invalid." {
			t.Errorf("%s after the user was deleted: got %v, want InvalidClientTokenId", name, err)
		}
	}
	_, err = assume(session, "after")
	wantInvalid("AssumeRole with the user's session", err)
	_, err = sts.NewFromConfig(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantInvalid("GetCallerIdentity with the user's session", err)
	_, err = sts.NewFromConfig(roleSession).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantInvalid("GetCallerIdentity with the role session made from it", err)
	if _, err := sts.NewFromConfig(b.goAdmin(t)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("the admin after the deletion: %v", err)
	}
}

// A role's trust policy naming a user is bound to that user's unique id
// when it is saved: deleted and made again under the same name, the user
// is refused, GetRole shows the old user's unique id in place of the ARN,
// and saving the policy again trusts the new user (issue 13, finding 2).
func trustBoundToUniqueID(t *testing.T, b *brevet) {
	ctx := context.Background()
	ic := iam.NewFromConfig(b.goAdmin(t))
	const name = "casper"
	userARN := "arn:aws:iam::" + b.Account + ":user/" + name
	doc := trustPolicy(`{"AWS":"`+userARN+`"}`, "")
	newUser := func() (id string, c aws.Config) {
		t.Helper()
		u, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ic.DeleteAccessKey(context.Background(), &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKey.AccessKeyId})
		})
		return aws.ToString(u.User.UserId), b.goConfig(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	}
	oldID, oldUser := newUser()
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("casper_target"), AssumeRolePolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	assume := func(c aws.Config) error {
		_, err := sts.NewFromConfig(c).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("casper-session")})
		return err
	}
	if err := assume(oldUser); err != nil {
		t.Fatalf("AssumeRole by the user the trust policy was saved for: %v", err)
	}
	keys, err := ic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys.AccessKeyMetadata {
		if _, err := ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKeyId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	newID, newUserCfg := newUser()

	var ae smithy.APIError
	if err := assume(newUserCfg); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("AssumeRole by a new user of the same name: got %v, want AccessDenied", err)
	}
	g, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("casper_target")})
	if err != nil {
		t.Fatal(err)
	}
	shown, err := url.QueryUnescape(aws.ToString(g.Role.AssumeRolePolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(doc, userARN, oldID, 1); shown != want {
		t.Errorf("GetRole after the user was deleted:\n got %s\nwant %s (the old user's unique id)", shown, want)
	}

	if _, err := ic.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("casper_target"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	if err := assume(newUserCfg); err != nil {
		t.Errorf("AssumeRole by the new user %s once the trust policy is saved again: %v", newID, err)
	}
}
