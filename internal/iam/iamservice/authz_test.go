package iamservice_test

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/brevet-dev/brevet/internal/authn"
	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/iam/managed"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

// TestRealAuthorization runs the IAM API behind the real SigV4
// authenticator and policy authorizer: keys the service creates
// authenticate, and the resource ARNs and condition keys it names are the
// ones policies are evaluated against.
func TestRealAuthorization(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "brevet.db"), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	if err := st.Accounts().Create(ctx, iam.Account{ID: testAccount, Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := managed.Seed(ctx, st, now); err != nil {
		t.Fatal(err)
	}
	mk := must(masterkey.Generate(rand.Reader, now))(t)
	tokens := must(credential.NewTokenKeyRing(rand.Reader, now))(t)
	svc := must(iamservice.New(iamservice.Config{Store: st, MasterKey: mk}))(t)
	an := must(authn.New(ctx, authn.Config{Keys: st.Principals(), Changes: st.Changes(), Secrets: mk, Tokens: tokens}))(t)
	az := must(authz.New(ctx, authz.Config{Store: st, MessageKey: make([]byte, 32), PollInterval: time.Millisecond}))(t)
	d := must(awsquery.New(awsquery.Config{Pipeline: &request.Pipeline{Authenticator: an, Authorizer: az, Auditor: nopAudit{}},
		ErrorMappers: []awsquery.ErrorMapper{iamservice.WireError}}))(t)
	iamservice.Register(d, svc)
	srv := httptest.NewServer(d)
	defer srv.Close()

	// The first admin is made directly, as brevet serve's bootstrap does;
	// its key comes from the service.
	root := &identity.Principal{Type: identity.Root, Account: testAccount, CallerARN: iam.RootARN(testAccount)}
	must(svc.CreateUser(ctx, root, &iamapi.CreateUserRequest{UserName: "boss"}, now))(t)
	must(svc.AttachUserPolicy(ctx, root, &iamapi.AttachUserPolicyRequest{UserName: "boss", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"}, now))(t)
	client := func(k *iamapi.CreateAccessKeyResponse) *awsiam.Client {
		return awsiam.New(awsiam.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(k.AccessKey.AccessKeyId, k.AccessKey.SecretAccessKey, "")})
	}
	admin := client(must(svc.CreateAccessKey(ctx, root, &iamapi.CreateAccessKeyRequest{UserName: "boss"}, now))(t))

	scoped := `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"},
	  {"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"arn:aws:iam::*:user/*",
	   "Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
	  {"Effect":"Allow","Action":"iam:CreateUser","Resource":"*",
	   "Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::aws:policy/AWSDenyAll"}}},
	  {"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
	  {"Effect":"Allow","Action":"iam:AddRoleToInstanceProfile","Resource":"arn:aws:iam::*:instance-profile/*"},
	  {"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/passable",
	   "Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}]}`
	pol := must(admin.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("scoped"), PolicyDocument: aws.String(scoped)}))(t)
	must(admin.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("limited")}))(t)
	must(admin.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("limited"), PolicyArn: pol.Policy.Arn}))(t)
	for _, u := range []struct{ name, team string }{{"blue", "blue"}, {"red", "red"}} {
		must(admin.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(u.name),
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String(u.team)}}}))(t)
	}
	k := must(admin.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("limited")}))(t)
	limited := awsiam.New(awsiam.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")})
	time.Sleep(5 * time.Millisecond) // past the authorizer's poll interval

	denied := func(name string, err error, resource string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: allowed, want AccessDenied", name)
			return
		}
		code, msg := apiError(t, err)
		if code != "AccessDenied" || !strings.Contains(msg, "on resource: "+resource) {
			t.Errorf("%s: %s %q, want AccessDenied on %s", name, code, msg, resource)
		}
	}
	allowed := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err = limited.ListUsers(ctx, &awsiam.ListUsersInput{})
	allowed("ListUsers", err)
	_, err = limited.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("x")})
	denied("CreateUser without the boundary", err, "arn:aws:iam::123456789012:user/x")
	_, err = limited.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("x"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/AWSDenyAll")})
	allowed("CreateUser with the boundary", err)
	_, err = limited.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("blue")})
	allowed("GetUser of a blue user", err)
	_, err = limited.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("red")})
	denied("GetUser of a red user", err, "arn:aws:iam::123456789012:user/red")
	_, err = limited.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("blue"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	allowed("attaching ReadOnlyAccess", err)
	_, err = limited.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("blue"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	denied("attaching AdministratorAccess", err, "arn:aws:iam::123456789012:user/blue")

	// AddRoleToInstanceProfile needs iam:PassRole on the role as well.
	for _, name := range []string{"passable", "secret"} {
		must(admin.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
		must(admin.CreateInstanceProfile(ctx, &awsiam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)}))(t)
	}
	_, err = limited.AddRoleToInstanceProfile(ctx, &awsiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("passable"), RoleName: aws.String("passable")})
	allowed("adding a role the caller may pass", err)
	_, err = limited.AddRoleToInstanceProfile(ctx, &awsiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("secret"), RoleName: aws.String("secret")})
	denied("adding a role the caller may not pass", err, "arn:aws:iam::123456789012:role/secret")
	if got := must(admin.GetInstanceProfile(ctx, &awsiam.GetInstanceProfileInput{InstanceProfileName: aws.String("secret")}))(t); len(got.InstanceProfile.Roles) != 0 {
		t.Errorf("a refused AddRoleToInstanceProfile added %d roles", len(got.InstanceProfile.Roles))
	}

	// The key is refused once the admin deletes it.
	must(admin.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String("limited"), AccessKeyId: k.AccessKey.AccessKeyId, Status: types.StatusTypeInactive}))(t)
	if _, err := an.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = limited.ListUsers(ctx, &awsiam.ListUsersInput{})
	if err == nil {
		t.Error("an inactive key still authenticates")
	}
}
