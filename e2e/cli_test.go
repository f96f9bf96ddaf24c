package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// callerARN runs get-caller-identity and returns the Arn.
func (c *client) callerARN(args ...string) string {
	c.t.Helper()
	var out struct{ Arn, Account, UserId string }
	c.json(&out, append([]string{"sts", "get-caller-identity"}, args...)...)
	return out.Arn
}

// json runs the CLI and decodes its JSON output.
func (c *client) json(v any, args ...string) {
	c.t.Helper()
	out := c.aws(append(args, "--output", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

type stsCredentials struct {
	AccessKeyId, SecretAccessKey, SessionToken, Expiration string
}

// assumeRole runs sts assume-role and returns the credentials.
func (c *client) assumeRole(args ...string) stsCredentials {
	c.t.Helper()
	var out struct {
		Credentials     stsCredentials
		AssumedRoleUser struct{ Arn, AssumedRoleId string }
	}
	c.json(&out, append([]string{"sts", "assume-role"}, args...)...)
	if out.Credentials.SessionToken == "" {
		c.t.Fatalf("assume-role returned no session token")
	}
	return out.Credentials
}

// as returns the client using temporary credentials from the environment,
// as the walkthrough exports them.
func (c *client) as(cr stsCredentials) *client {
	return c.with("AWS_ACCESS_KEY_ID="+cr.AccessKeyId, "AWS_SECRET_ACCESS_KEY="+cr.SecretAccessKey, "AWS_SESSION_TOKEN="+cr.SessionToken)
}

// newUserProfile creates an IAM user with an access key and configures it
// as a CLI profile of the same name, with `aws configure set`.
func (c *client) newUserProfile(name string) (keyID string) {
	c.t.Helper()
	c.aws("iam", "create-user", "--user-name", name)
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	c.json(&key, "iam", "create-access-key", "--user-name", name)
	c.aws("configure", "set", "aws_access_key_id", key.AccessKey.AccessKeyId, "--profile", name)
	c.aws("configure", "set", "aws_secret_access_key", key.AccessKey.SecretAccessKey, "--profile", name)
	c.aws("configure", "set", "region", "us-east-1", "--profile", name)
	return key.AccessKey.AccessKeyId
}

func trustPolicy(principal, condition string) string {
	p := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Principal":` + principal
	if condition != "" {
		p += `,"Condition":` + condition
	}
	return p + `}]}`
}

func allowAssume(roleARN string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + roleARN + `"}]}`
}

const accessDenied = "An error occurred (AccessDenied) when calling the AssumeRole operation: "

// The AWS CLI walkthrough "assume an IAM role using the AWS CLI", and what
// happens when either half of the permission is missing.
func TestCLIAssumeRoleWalkthrough(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	b := startBrevet(t)
	c := newClient(t, b)
	acct := b.Account
	userARN := "arn:aws:iam::" + acct + ":user/sts-user"
	roleARN := "arn:aws:iam::" + acct + ":role/sts_role"
	rootTrust := trustPolicy(`{"AWS":"arn:aws:iam::`+acct+`:root"}`, "")

	if got, want := c.callerARN(), "arn:aws:iam::"+acct+":user/admin"; got != want {
		t.Fatalf("admin: got %s, want %s", got, want)
	}
	keyID := c.newUserProfile("sts-user")
	c.aws("iam", "create-role", "--role-name", "sts_role", "--assume-role-policy-document", rootTrust)
	c.aws("iam", "attach-role-policy", "--role-name", "sts_role", "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
	c.aws("iam", "put-user-policy", "--user-name", "sts-user", "--policy-name", "assume-sts_role", "--policy-document", allowAssume(roleARN))
	if got := c.callerARN("--profile", "sts-user"); got != userARN {
		t.Fatalf("sts-user: got %s, want %s", got, userARN)
	}

	t.Run("assume role", func(t *testing.T) {
		cr := c.assumeRole("--profile", "sts-user", "--role-arn", roleARN, "--role-session-name", "Session1")
		if got, want := c.as(cr).callerARN(), "arn:aws:sts::"+acct+":assumed-role/sts_role/Session1"; got != want {
			t.Errorf("assumed role: got %s, want %s", got, want)
		}
		// The session has the role's permissions only: S3 read, not IAM.
		msg := c.as(cr).awsErr("iam", "list-users")
		if !strings.Contains(msg, "(AccessDenied) when calling the ListUsers operation: User: arn:aws:sts::"+acct+":assumed-role/sts_role/Session1 is not authorized to perform: iam:ListUsers") {
			t.Errorf("list-users as the role: %s", msg)
		}
	})
	t.Run("without the user's policy", func(t *testing.T) {
		c.aws("iam", "delete-user-policy", "--user-name", "sts-user", "--policy-name", "assume-sts_role")
		defer c.aws("iam", "put-user-policy", "--user-name", "sts-user", "--policy-name", "assume-sts_role", "--policy-document", allowAssume(roleARN))
		msg := c.awsErr("sts", "assume-role", "--profile", "sts-user", "--role-arn", roleARN, "--role-session-name", "Session1")
		want := accessDenied + "User: " + userARN + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN
		if !strings.Contains(msg, want) {
			t.Errorf("got %s\nwant %s", msg, want)
		}
	})
	t.Run("without the trust statement", func(t *testing.T) {
		c.aws("iam", "update-assume-role-policy", "--role-name", "sts_role", "--policy-document",
			trustPolicy(`{"Service":"ec2.amazonaws.com"}`, ""))
		defer c.aws("iam", "update-assume-role-policy", "--role-name", "sts_role", "--policy-document", rootTrust)
		msg := c.awsErr("sts", "assume-role", "--profile", "sts-user", "--role-arn", roleARN, "--role-session-name", "Session1")
		want := accessDenied + "User: " + userARN + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN
		if !strings.Contains(msg, want) {
			t.Errorf("got %s\nwant %s", msg, want)
		}
	})
	t.Run("trust policy names the user", func(t *testing.T) {
		direct := "arn:aws:iam::" + acct + ":role/direct_role"
		c.aws("iam", "create-role", "--role-name", "direct_role", "--assume-role-policy-document", trustPolicy(`{"AWS":"`+userARN+`"}`, ""))
		// No identity policy is needed: in the same account, a trust
		// policy that names the user grants the access by itself.
		cr := c.assumeRole("--profile", "sts-user", "--role-arn", direct, "--role-session-name", "direct")
		if got, want := c.as(cr).callerARN(), "arn:aws:sts::"+acct+":assumed-role/direct_role/direct"; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
		// Another user, not named in the trust policy, may not.
		c.newUserProfile("other-user")
		c.aws("iam", "put-user-policy", "--user-name", "other-user", "--policy-name", "assume-direct", "--policy-document", allowAssume(direct))
		msg := c.awsErr("sts", "assume-role", "--profile", "other-user", "--role-arn", direct, "--role-session-name", "direct")
		if !strings.Contains(msg, "(AccessDenied)") {
			t.Errorf("other user: got %s, want AccessDenied", msg)
		}
	})
	t.Run("deleted access key", func(t *testing.T) {
		c.aws("iam", "update-access-key", "--user-name", "sts-user", "--access-key-id", keyID, "--status", "Inactive")
		msg := c.awsErr("sts", "get-caller-identity", "--profile", "sts-user")
		want := "An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: The security token included in the request is invalid."
		if !strings.Contains(msg, want) {
			t.Errorf("inactive key: got %s\nwant %s", msg, want)
		}
		c.aws("iam", "update-access-key", "--user-name", "sts-user", "--access-key-id", keyID, "--status", "Active")
		c.callerARN("--profile", "sts-user")
		c.aws("iam", "delete-access-key", "--user-name", "sts-user", "--access-key-id", keyID)
		if msg := c.awsErr("sts", "get-caller-identity", "--profile", "sts-user"); !strings.Contains(msg, want) {
			t.Errorf("deleted key: got %s\nwant %s", msg, want)
		}
	})
}

// A profile with role_arn and source_profile (and external_id,
// duration_seconds, role_session_name) makes the CLI and boto3 assume the
// role by themselves.
func TestRoleProfile(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	b := startBrevet(t)
	c := newClient(t, b)
	acct := b.Account
	roleARN := "arn:aws:iam::" + acct + ":role/ext_role"
	c.newUserProfile("sts-user")
	c.aws("iam", "create-role", "--role-name", "ext_role", "--assume-role-policy-document",
		trustPolicy(`{"AWS":"arn:aws:iam::`+acct+`:root"}`, `{"StringEquals":{"sts:ExternalId":"e2e-external-id"}}`))
	c.aws("iam", "put-user-policy", "--user-name", "sts-user", "--policy-name", "assume-ext", "--policy-document", allowAssume(roleARN))
	config := "\n[profile via-role]\nrole_arn = " + roleARN + "\nsource_profile = sts-user\nexternal_id = e2e-external-id\n" +
		"duration_seconds = 900\nrole_session_name = via-profile\nregion = us-east-1\n" +
		"\n[profile wrong-id]\nrole_arn = " + roleARN + "\nsource_profile = sts-user\nexternal_id = not-it\nregion = us-east-1\n"
	f, err := os.OpenFile(filepath.Join(c.home, "config"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(config); err != nil {
		t.Fatal(err)
	}
	f.Close()
	want := "arn:aws:sts::" + acct + ":assumed-role/ext_role/via-profile"

	t.Run("cli", func(t *testing.T) {
		if got := c.callerARN("--profile", "via-role"); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
		if msg := c.awsErr("sts", "get-caller-identity", "--profile", "wrong-id"); !strings.Contains(msg, "(AccessDenied) when calling the AssumeRole operation") {
			t.Errorf("wrong external id: %s", msg)
		}
	})
	t.Run("boto3", func(t *testing.T) {
		need(t, "python3 with boto3", haveBoto3())
		out, err := c.exec("python3", "-c", `
import boto3, botocore.exceptions, sys
arn = boto3.Session(profile_name="via-role").client("sts").get_caller_identity()["Arn"]
print(arn)
try:
    boto3.Session(profile_name="wrong-id").client("sts").get_caller_identity()
    sys.exit("wrong external id: no error")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "AccessDenied", e.response
`)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
}
