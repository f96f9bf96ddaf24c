package iamservice_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// boto3SimScript runs both simulators through boto3 as their users do:
// policies written by json.dumps (the Scott Logic blog's test harness),
// the AWS CLI example's one-object statement, a multi-line CRLF document,
// and SimulatePrincipalPolicy through botocore's paginator, printing what
// botocore parsed.
const boto3SimScript = `
import json, os
import boto3, botocore
c = boto3.client("iam", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                 aws_access_key_id=os.environ["KEY_ID"], aws_secret_access_key=os.environ["SECRET"])
out = {}
def stmts(r):
    return [[m["SourcePolicyId"], m["SourcePolicyType"], m["StartPosition"]["Line"], m["StartPosition"]["Column"],
             m["EndPosition"]["Line"], m["EndPosition"]["Column"]] for m in r["MatchedStatements"]]

role = {"Version": "2012-10-17", "Statement": [{"Sid": "s3", "Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"],
        "Resource": ["arn:aws:s3:::tims-fancy-bucket/only-here/*"]}]}
bucket = {"Version": "2012-10-17", "Statement": [
    {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "*",
     "Resource": ["arn:aws:s3:::tims-fancy-bucket/*", "arn:aws:s3:::tims-fancy-bucket"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "DenyTimDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
     "Resource": "arn:aws:s3:::tims-fancy-bucket/*",
     "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::112233445566:role/tims-test-role"}}}]}
res = c.simulate_custom_policy(PolicyInputList=[json.dumps(role)], CallerArn="arn:aws:iam::112233445566:user/dummy",
    ActionNames=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
    ResourceArns=["arn:aws:s3:::tims-fancy-bucket/only-here/some-obj"],
    ResourcePolicy=json.dumps(bucket, separators=(",", ":")),
    ContextEntries=[{"ContextKeyName": "aws:principalarn", "ContextKeyValues": ["arn:aws:iam::112233445566:role/tims-test-role"], "ContextKeyType": "string"},
                    {"ContextKeyName": "aws:SecureTransport", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"}])
out["blog"] = [[r["EvalActionName"], r["EvalDecision"], stmts(r), r["EvalDecisionDetails"],
                [[x["EvalResourceName"], x["EvalResourceDecision"], stmts(x), x["MissingContextValues"]] for x in r["ResourceSpecificResults"]]]
               for r in res["EvaluationResults"]]
out["truncated"] = res["IsTruncated"]

cli = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}'
r = c.simulate_custom_policy(PolicyInputList=[cli], ActionNames=["dynamodb:CreateBackup"],
    ContextEntries=[{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2019-04-25T11:00:00Z"], "ContextKeyType": "date"}])["EvaluationResults"][0]
out["cli"] = [r["EvalResourceName"], r["EvalDecision"], stmts(r), r["MissingContextValues"], "EvalDecisionDetails" in r, "ResourceSpecificResults" in r]

crlf = '{\r\n    "Version": "2012-10-17",\r\n    "Statement": [\r\n        {\r\n            "Sid": "Grant",\r\n            "Effect": "Allow",\r\n            "Action": "codecommit:ListRepositories",\r\n            "Resource": "*"\r\n        }\r\n    ]\r\n}'
c.create_user(UserName="alejandro")
c.create_group(GroupName="devs")
c.add_user_to_group(GroupName="devs", UserName="alejandro")
c.put_group_policy(GroupName="devs", PolicyName="ec2-read", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}))
c.put_user_policy(UserName="alejandro", PolicyName="deny-delete", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "codecommit:DeleteRepository", "Resource": "*"}]}))
arn = c.create_policy(PolicyName="Grant-Access-To-CodeCommit-ListRepo", PolicyDocument=crlf)["Policy"]["Arn"]
c.attach_user_policy(UserName="alejandro", PolicyArn=arn)
pages = c.get_paginator("simulate_principal_policy").paginate(PolicySourceArn="arn:aws:iam::123456789012:user/alejandro",
    ActionNames=["codecommit:ListRepositories", "ec2:DescribeInstances", "codecommit:DeleteRepository"],
    PaginationConfig={"PageSize": 1})
out["principal"] = [[r["EvalActionName"], r["EvalDecision"], stmts(r)] for p in pages for r in p["EvaluationResults"]]
c.create_role(RoleName="svc", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
try:
    c.simulate_principal_policy(PolicySourceArn="arn:aws:iam::123456789012:role/svc", ActionNames=["s3:GetObject"],
        ResourcePolicy=json.dumps(bucket))
except botocore.exceptions.ClientError as e:
    out["error"] = [e.response["Error"]["Code"], e.response["Error"]["Message"]]
print(json.dumps(out))
`

// TestBoto3Simulate: boto3 parses the simulators' answers, with the
// statements named and placed as AWS names and places them (the blog's
// and the AWS CLI example's positions are AWS's published ones).
func TestBoto3Simulate(t *testing.T) {
	got := runBoto3(t, boto3SimScript)
	wantJSON := `{
	  "blog": [
	    ["s3:GetObject", "allowed", [["PolicyInputList.1", "IAM Policy", 1, 41, 1, 180]], {},
	      [["arn:aws:s3:::tims-fancy-bucket/only-here/some-obj", "allowed", [["PolicyInputList.1", "IAM Policy", 1, 41, 1, 180]], []]]],
	    ["s3:PutObject", "implicitDeny", [], {},
	      [["arn:aws:s3:::tims-fancy-bucket/only-here/some-obj", "implicitDeny", [], []]]],
	    ["s3:DeleteObject", "explicitDeny", [["ResourcePolicy", "Resource Policy", 1, 248, 1, 470]], {},
	      [["arn:aws:s3:::tims-fancy-bucket/only-here/some-obj", "explicitDeny", [["ResourcePolicy", "Resource Policy", 1, 248, 1, 470]], []]]]
	  ],
	  "truncated": false,
	  "cli": ["*", "allowed", [["PolicyInputList.1", "IAM Policy", 1, 38, 1, 167]], [], false, false],
	  "principal": [
	    ["codecommit:ListRepositories", "allowed", [["Grant-Access-To-CodeCommit-ListRepo", "IAM Policy", 3, 19, 9, 10]]],
	    ["ec2:DescribeInstances", "allowed", [["group_devs_ec2-read", "IAM Policy", 1, 41, 1, 104]]],
	    ["codecommit:DeleteRepository", "explicitDeny", [["user_alejandro_deny-delete", "IAM Policy", 1, 41, 1, 117]]]
	  ],
	  "error": ["InvalidInput", "Invalid caller - Caller must be an IAM user in this context."]
	}`
	var want map[string]any
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("boto3 (-want +got):\n%s", diff)
	}
}
