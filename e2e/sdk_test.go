package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// adminKey reads the admin key from the credentials file the first start
// wrote.
func (b *brevet) adminKey(t *testing.T) (id, secret string) {
	t.Helper()
	f, err := os.Open(b.CredentialsFile())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " = ")
		switch {
		case !ok:
		case k == "aws_access_key_id":
			id = v
		case k == "aws_secret_access_key":
			secret = v
		}
	}
	if id == "" || secret == "" {
		t.Fatal("admin-credentials holds no key")
	}
	return id, secret
}

// goConfig is an aws-sdk-go-v2 configuration for the server.
func (b *brevet) goConfig(id, secret, token string) aws.Config {
	suiteSecrets.add(secret, token)
	return aws.Config{
		HTTPClient:   recordingClient(), // secrets_test.go
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, token),
		BaseEndpoint: aws.String(b.URL),
	}
}

func (b *brevet) goAdmin(t *testing.T) aws.Config {
	id, secret := b.adminKey(t)
	return b.goConfig(id, secret, "")
}

func fromSTS(b *brevet, c *ststypes.Credentials) aws.Config {
	return b.goConfig(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

// sdkRole creates the role the SDK scenarios assume: the account may
// assume and tag it, and it can read S3.
func sdkRole(t *testing.T, b *brevet) string {
	t.Helper()
	ctx := context.Background()
	ic := iam.NewFromConfig(b.goAdmin(t))
	out, err := ic.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("sdk_role"),
		AssumeRolePolicyDocument: aws.String(trustPolicy(`{"AWS":"arn:aws:iam::`+b.Account+`:root"}`, "")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("sdk_role"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Role.Arn)
}

// Scenario 3: boto3, aws-sdk-go-v2 and the JavaScript SDK each run the
// STS actions and a handful of IAM calls against one server.
func TestSDKs(t *testing.T) {
	t.Parallel()
	b := startBrevet(t)
	roleARN := sdkRole(t, b)
	c := newClient(t, b).with("E2E_ACCOUNT="+b.Account, "E2E_ROLE_ARN="+roleARN)

	t.Run("aws-sdk-go-v2", func(t *testing.T) { goScenario(t, b, roleARN, "go") })
	t.Run("boto3", func(t *testing.T) {
		need(t, "python3 with boto3", haveBoto3())
		wd, _ := os.Getwd()
		out, err := c.with("E2E_PREFIX=py").exec("python3", wd+"/testdata/sdk_boto3.py")
		if err != nil || strings.TrimSpace(out) != "ok" {
			t.Fatalf("boto3 scenario: %v\n%s", err, out)
		}
	})
	t.Run("javascript", func(t *testing.T) {
		wd, _ := os.Getwd()
		_, statErr := os.Stat(jsSDK)
		need(t, "node with e2e/js/node_modules (npm ci --prefix e2e/js)", have("node") && statErr == nil)
		out, err := c.with("E2E_PREFIX=js").exec("node", wd+"/js/sdk.mjs")
		if err != nil || strings.TrimSpace(out) != "ok" {
			t.Fatalf("JavaScript scenario: %v\n%s", err, out)
		}
	})
}

func goScenario(t *testing.T, b *brevet, roleARN, prefix string) {
	ctx := context.Background()
	admin := b.goAdmin(t)
	sc := sts.NewFromConfig(admin)
	acct := b.Account
	callerARN := func(cfg aws.Config) string {
		t.Helper()
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Arn)
	}
	if got, want := callerARN(admin), "arn:aws:iam::"+acct+":user/admin"; got != want {
		t.Fatalf("admin: got %s, want %s", got, want)
	}

	st, err := sc.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Credentials.Expiration == nil || !strings.HasPrefix(aws.ToString(st.Credentials.AccessKeyId), "ASIA") {
		t.Errorf("session credentials: %+v", st.Credentials)
	}
	if got, want := callerARN(fromSTS(b, st.Credentials)), "arn:aws:iam::"+acct+":user/admin"; got != want {
		t.Errorf("session: got %s, want %s", got, want)
	}

	sessionPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	ar, err := sc.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String(prefix + "-session"), DurationSeconds: aws.Int32(900),
		Policy: aws.String(sessionPolicy), Tags: []ststypes.Tag{{Key: aws.String("project"), Value: aws.String("e2e")}},
		TransitiveTagKeys: []string{"project"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantRole := "arn:aws:sts::" + acct + ":assumed-role/sdk_role/" + prefix + "-session"
	packed := ar.PackedPolicySize //lint:ignore SA1019 the STS model Brevet implements returns it; SessionTokenUtilization is newer
	if got := aws.ToString(ar.AssumedRoleUser.Arn); got != wantRole || packed == nil {
		t.Errorf("assumed role: %s (packed %v), want %s", got, packed, wantRole)
	}
	role := fromSTS(b, ar.Credentials)
	if got := callerARN(role); got != wantRole {
		t.Errorf("role caller: got %s, want %s", got, wantRole)
	}

	_, err = iam.NewFromConfig(role).ListUsers(ctx, &iam.ListUsersInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("ListUsers as the role: got %v, want AccessDenied", err)
	}
	const marker = "Encoded authorization failure message: "
	_, encoded, ok := strings.Cut(ae.ErrorMessage(), marker)
	if !ok {
		t.Fatalf("no encoded message in %q", ae.ErrorMessage())
	}
	dec, err := sc.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Allowed bool `json:"allowed"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(dec.DecodedMessage)), &msg); err != nil || msg.Allowed {
		t.Errorf("decoded message: %v %s", err, aws.ToString(dec.DecodedMessage))
	}

	ft, err := sc.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String(prefix + "-fed"), DurationSeconds: aws.Int32(900), Policy: aws.String(sessionPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	wantFed := "arn:aws:sts::" + acct + ":federated-user/" + prefix + "-fed"
	if got := aws.ToString(ft.FederatedUser.Arn); got != wantFed {
		t.Errorf("federated user: got %s, want %s", got, wantFed)
	}
	if got := callerARN(fromSTS(b, ft.Credentials)); got != wantFed {
		t.Errorf("federated caller: got %s, want %s", got, wantFed)
	}

	ic := iam.NewFromConfig(admin)
	user := aws.String(prefix + "-user")
	cu, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: user, Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("e2e")}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(cu.User.Arn), "arn:aws:iam::"+acct+":user/"+*user; got != want || cu.User.CreateDate == nil {
		t.Errorf("CreateUser: got %s, want %s", got, want)
	}
	gu, err := ic.GetUser(ctx, &iam.GetUserInput{UserName: user})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("e2e")}}, gu.User.Tags, cmp.AllowUnexported(iamtypes.Tag{})); diff != "" {
		t.Errorf("user tags (-want +got):\n%s", diff)
	}
	ck, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})
	if err != nil {
		t.Fatal(err)
	}
	// The new key works at once.
	if got := callerARN(b.goConfig(aws.ToString(ck.AccessKey.AccessKeyId), aws.ToString(ck.AccessKey.SecretAccessKey), "")); got != aws.ToString(cu.User.Arn) {
		t.Errorf("new key's caller: got %s", got)
	}
	// Its use is recorded (off the request path, within a moment).
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		lu, err := ic.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: ck.AccessKey.AccessKeyId})
		if err != nil {
			t.Fatal(err)
		}
		if u := lu.AccessKeyLastUsed; u != nil && u.LastUsedDate != nil {
			if aws.ToString(u.ServiceName) != "sts" || aws.ToString(u.Region) != "us-east-1" {
				t.Errorf("last used: service %q, region %q; want sts, us-east-1", aws.ToString(u.ServiceName), aws.ToString(u.Region))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("GetAccessKeyLastUsed: no use recorded 5s after the key was used")
		}
	}
	if _, err := ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: ck.AccessKey.AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	cp, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(prefix + "-policy"), PolicyDocument: aws.String(sessionPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: user, PolicyArn: cp.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	lp, err := ic.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: user})
	if err != nil || len(lp.AttachedPolicies) != 1 || aws.ToString(lp.AttachedPolicies[0].PolicyArn) != aws.ToString(cp.Policy.Arn) {
		t.Errorf("ListAttachedUserPolicies: %v %+v", err, lp)
	}
	if _, err := ic.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: user, PolicyArn: cp.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: cp.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: user}); err != nil {
		t.Fatal(err)
	}
	_, err = ic.GetUser(ctx, &iam.GetUserInput{UserName: user})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("GetUser after delete: got %v, want NoSuchEntity", err)
	}
	lu, err := ic.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil || len(lu.Users) == 0 {
		t.Errorf("ListUsers: %v", err)
	}
}
