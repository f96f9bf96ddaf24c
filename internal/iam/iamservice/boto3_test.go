package iamservice_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// boto3Script drives the endpoint with boto3 and prints what botocore
// parsed, including the policy documents it URL-decodes and loads as JSON.
const boto3Script = `
import base64, json, os, sys
import boto3, botocore
c = boto3.client("iam", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                 aws_access_key_id=os.environ["KEY_ID"], aws_secret_access_key=os.environ["SECRET"])
out = {}
u = c.create_user(UserName="zoe", Path="/b/", Tags=[{"Key": "t", "Value": "1"}])["User"]
out["user"] = [u["UserName"], u["Arn"], u["Path"], u["CreateDate"].isoformat(), u["Tags"]]
c.put_user_policy(UserName="zoe", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/a key+plus"}]}))
out["inline"] = c.get_user_policy(UserName="zoe", PolicyName="p")["PolicyDocument"]
r = c.create_role(RoleName="svc", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
out["trust"] = c.get_role(RoleName="svc")["Role"]["AssumeRolePolicyDocument"]
out["users"] = [x["UserName"] for x in c.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 1}).build_full_result()["Users"]]
v = c.get_policy_version(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess", VersionId="v1")["PolicyVersion"]
out["admin"] = [v["Document"], v["IsDefaultVersion"]]
m = c.create_virtual_mfa_device(VirtualMFADeviceName="dev")["VirtualMFADevice"]
out["mfa"] = [m["SerialNumber"], len(m["Base32StringSeed"]), m["QRCodePNG"][:4] == b"\x89PNG"]
try:
    c.get_user(UserName="nobody")
except botocore.exceptions.ClientError as e:
    out["error"] = [e.response["Error"]["Code"], e.response["Error"]["Message"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
s = c.get_account_summary()["SummaryMap"]
out["summary"] = [s["Users"], s["Roles"]]
print(json.dumps(out))
`

// runBoto3 runs script (Python with boto3) against a fresh env's server
// as the admin, and returns the JSON object it prints. Without python3 or
// boto3 the test skips, or fails under CI.
func runBoto3(t *testing.T, script string) map[string]any {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		skipOrFail(t, "python3 is not installed")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		skipOrFail(t, "boto3 is not installed")
	}
	e := newEnv(t)
	cmd := exec.CommandContext(context.Background(), "python3", "-c", script)
	cmd.Env = append(os.Environ(), "ENDPOINT="+e.srv.URL, "KEY_ID="+adminKeyID, "SECRET="+adminSecret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	raw, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("boto3: %v\n%s", err, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("boto3 output %q: %v", raw, err)
	}
	return got
}

func TestBoto3(t *testing.T) {
	got := runBoto3(t, boto3Script)
	var want map[string]any
	wantJSON := `{
	  "user": ["zoe", "arn:aws:iam::123456789012:user/b/zoe", "/b/", "2026-03-01T12:00:00+00:00", [{"Key": "t", "Value": "1"}]],
	  "inline": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/a key+plus"}]},
	  "trust": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
	  "users": ["admin", "zoe"],
	  "admin": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, true],
	  "mfa": ["arn:aws:iam::123456789012:mfa/dev", 64, true],
	  "error": ["NoSuchEntity", "The user with name nobody cannot be found.", 404],
	  "summary": [2, 1]
	}`
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("boto3 results (-want +got):\n%s", diff)
	}
}

// skipOrFail skips a test whose tool is missing, except in CI, which must
// have it.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// boto3ReportScript generates the credential report until COMPLETE, as
// AWS's examples do, and prints the report's lines and what botocore made
// of the calls before it.
const boto3ReportScript = `
import json, os, time
import boto3, botocore
c = boto3.client("iam", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                 aws_access_key_id=os.environ["KEY_ID"], aws_secret_access_key=os.environ["SECRET"])
out = {}
try:
    c.get_credential_report()
except c.exceptions.CredentialReportNotPresentException as e:
    out["before"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
states = []
while True:
    s = c.generate_credential_report()["State"]
    states.append(s)
    if s == "COMPLETE":
        break
out["states"] = states
r = c.get_credential_report()
out["format"] = r["ReportFormat"]
out["lines"] = [l.split(",")[:4] for l in r["Content"].decode().splitlines()]
print(json.dumps(out))
`

func TestBoto3CredentialReport(t *testing.T) {
	got := runBoto3(t, boto3ReportScript)
	var want map[string]any
	wantJSON := `{
	  "before": ["ReportNotPresent", 410],
	  "states": ["STARTED", "COMPLETE"],
	  "format": "text/csv",
	  "lines": [["user", "arn", "user_creation_time", "password_enabled"],
	            ["<root_account>", "arn:aws:iam::123456789012:root", "2026-03-01T12:00:00+00:00", "not_supported"],
	            ["admin", "arn:aws:iam::123456789012:user/admin", "2026-03-01T12:00:00+00:00", "false"]]
	}`
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("boto3 results (-want +got):\n%s", diff)
	}
}

// boto3CoreScript tags an OIDC provider and creates, protects and deletes
// a service-linked role with boto3, as Terraform-like tools do.
const boto3CoreScript = `
import json, os
import boto3, botocore
c = boto3.client("iam", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                 aws_access_key_id=os.environ["KEY_ID"], aws_secret_access_key=os.environ["SECRET"])
out = {}
arn = c.create_open_id_connect_provider(Url="https://idp.example.com", ClientIDList=["app"])["OpenIDConnectProviderArn"]
c.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "ci"}])
c.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["team"])
out["oidc_tags"] = c.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"]
r = c.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]
out["slr"] = [r["RoleName"], r["Path"], r["Arn"]]
out["slr_trust"] = c.get_role(RoleName=r["RoleName"])["Role"]["AssumeRolePolicyDocument"]
try:
    c.delete_role(RoleName=r["RoleName"])
except c.exceptions.UnmodifiableEntityException as e:
    out["delete_role"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
try:
    c.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
except c.exceptions.InvalidInputException as e:
    out["again"] = e.response["Error"]["Message"]
task = c.delete_service_linked_role(RoleName=r["RoleName"])["DeletionTaskId"]
out["task"] = task.rsplit("/", 1)[0]
out["status"] = c.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"]
c.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
out["token_version"] = c.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"]
print(json.dumps(out))
`

func TestBoto3ProviderTagsAndServiceLinkedRoles(t *testing.T) {
	got := runBoto3(t, boto3CoreScript)
	var want map[string]any
	wantJSON := `{
	  "oidc_tags": [{"Key": "env", "Value": "prod"}],
	  "slr": ["AWSServiceRoleForECS", "/aws-service-role/ecs.amazonaws.com/", "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"],
	  "slr_trust": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": ["ecs.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]},
	  "delete_role": ["UnmodifiableEntity", 400],
	  "again": "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.",
	  "task": "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
	  "status": "SUCCEEDED",
	  "token_version": 2
	}`
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("boto3 results (-want +got):\n%s", diff)
	}
}
