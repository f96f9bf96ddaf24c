package e2e

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// A user's GetSessionToken session, and the role session made with it, die
// with the user, even for AssumeRole of a role whose trust policy names
// the user (which needs no identity policy): issue 13, finding 1.
func TestDeletedUserSessionRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := startBrevet(t)
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
