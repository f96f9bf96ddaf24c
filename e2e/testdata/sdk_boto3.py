"""Scenario 3 through boto3: STS and a handful of IAM calls, every response
parsed. Run by e2e/sdk_test.go with the admin key as the default profile,
AWS_ENDPOINT_URL set, and E2E_ACCOUNT, E2E_ROLE_ARN and E2E_PREFIX."""
import json
import os
import sys

import boto3
import botocore.exceptions

account = os.environ["E2E_ACCOUNT"]
role_arn = os.environ["E2E_ROLE_ARN"]
prefix = os.environ["E2E_PREFIX"]


def check(cond, what):
    if not cond:
        sys.exit("boto3: " + what)


def client(service, creds=None):
    if creds is None:
        return boto3.client(service)
    return boto3.client(service, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


sts = client("sts")
me = sts.get_caller_identity()
check(me["Arn"] == f"arn:aws:iam::{account}:user/admin", f"caller {me}")
check(me["Account"] == account, f"account {me}")

# GetSessionToken: the session is the same user.
st = sts.get_session_token(DurationSeconds=900)["Credentials"]
check(st["AccessKeyId"].startswith("ASIA"), f"session key {st['AccessKeyId']}")
check(st["Expiration"].tzinfo is not None, "expiration is a timestamp")
check(client("sts", st).get_caller_identity()["Arn"] == me["Arn"], "session caller")

# AssumeRole with a session policy and session tags.
session_policy = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
ar = sts.assume_role(RoleArn=role_arn, RoleSessionName=prefix + "-session", DurationSeconds=900,
                     Policy=session_policy, Tags=[{"Key": "project", "Value": "e2e"}],
                     TransitiveTagKeys=["project"])
check(ar["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/sdk_role/{prefix}-session",
      f"assumed role {ar['AssumedRoleUser']}")
check(ar["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA"), "assumed role id")
check(isinstance(ar.get("PackedPolicySize"), int), f"packed policy size {ar.get('PackedPolicySize')}")
role_creds = ar["Credentials"]
check(client("sts", role_creds).get_caller_identity()["Arn"] == ar["AssumedRoleUser"]["Arn"], "role caller")

# The session may not call IAM: AccessDenied with an encoded message that
# the admin can decode.
try:
    client("iam", role_creds).list_users()
    sys.exit("boto3: list_users as the role succeeded")
except botocore.exceptions.ClientError as e:
    err = e.response["Error"]
    check(err["Code"] == "AccessDenied", f"error {err}")
    msg = err["Message"]
marker = "Encoded authorization failure message: "
check(marker in msg, f"no encoded message in {msg!r}")
decoded = sts.decode_authorization_message(EncodedMessage=msg.split(marker, 1)[1])
doc = json.loads(decoded["DecodedMessage"])
check(doc["allowed"] is False, f"decoded {doc}")

# GetFederationToken.
ft = sts.get_federation_token(Name=prefix + "-fed", DurationSeconds=900, Policy=session_policy)
check(ft["FederatedUser"]["Arn"] == f"arn:aws:sts::{account}:federated-user/{prefix}-fed", f"federated {ft['FederatedUser']}")
check(ft["FederatedUser"]["FederatedUserId"] == f"{account}:{prefix}-fed", f"federated id {ft['FederatedUser']}")
check(client("sts", ft["Credentials"]).get_caller_identity()["Arn"] == ft["FederatedUser"]["Arn"], "federated caller")

# A handful of IAM calls.
iam = client("iam")
user = prefix + "-user"
u = iam.create_user(UserName=user, Tags=[{"Key": "team", "Value": "e2e"}])["User"]
check(u["Arn"] == f"arn:aws:iam::{account}:user/{user}" and u["UserId"].startswith("AIDA"), f"user {u}")
check(any(x["UserName"] == user for x in iam.list_users()["Users"]), "list_users")
check(iam.get_user(UserName=user)["User"]["Tags"] == [{"Key": "team", "Value": "e2e"}], "get_user tags")
key = iam.create_access_key(UserName=user)["AccessKey"]
check(key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40, "create_access_key")
check([k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]] == [key["AccessKeyId"]], "list_access_keys")
iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
pol = iam.create_policy(PolicyName=prefix + "-policy", PolicyDocument=session_policy)["Policy"]
check(pol["Arn"] == f"arn:aws:iam::{account}:policy/{prefix}-policy" and pol["DefaultVersionId"] == "v1", f"policy {pol}")
iam.attach_user_policy(UserName=user, PolicyArn=pol["Arn"])
att = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
check(att == [{"PolicyName": prefix + "-policy", "PolicyArn": pol["Arn"]}], f"attached {att}")
iam.detach_user_policy(UserName=user, PolicyArn=pol["Arn"])
iam.delete_policy(PolicyArn=pol["Arn"])
iam.delete_user(UserName=user)
try:
    iam.get_user(UserName=user)
    sys.exit("boto3: get_user after delete succeeded")
except iam.exceptions.NoSuchEntityException as e:
    check("cannot be found" in e.response["Error"]["Message"], f"no such entity {e.response['Error']}")
role = iam.get_role(RoleName="sdk_role")["Role"]
check(role["Arn"] == role_arn, f"role {role}")
check(isinstance(role["AssumeRolePolicyDocument"], dict), "trust policy is decoded JSON")
print("ok")
