"""Instance profiles through boto3 against Brevet: every call's response
parsed by botocore against AWS's model, and AWS's error codes. Run by
e2e/instanceprofile_test.go with the admin key as the default profile,
AWS_ENDPOINT_URL set, and E2E_ACCOUNT."""
import datetime
import json
import os
import sys

import boto3
from botocore.exceptions import ClientError

account = os.environ["E2E_ACCOUNT"]
iam = boto3.client("iam")


def check(cond, what):
    if not cond:
        sys.exit("boto3: " + what)


def code(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    sys.exit(f"boto3: {fn.__name__} succeeded, want an error")


trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
iam.create_role(RoleName="py-role", AssumeRolePolicyDocument=json.dumps(trust))
ip = iam.create_instance_profile(InstanceProfileName="py-profile",
                                 Tags=[{"Key": "owner", "Value": "boto3"}])["InstanceProfile"]
check(ip["Arn"] == f"arn:aws:iam::{account}:instance-profile/py-profile", f"arn {ip['Arn']}")
check(ip["InstanceProfileId"].startswith("AIPA"), f"id {ip['InstanceProfileId']}")
check(isinstance(ip["CreateDate"], datetime.datetime), "CreateDate is a timestamp")
check(ip["Roles"] == [], f"roles {ip['Roles']}")

iam.add_role_to_instance_profile(InstanceProfileName="py-profile", RoleName="py-role")
got = iam.get_instance_profile(InstanceProfileName="py-profile")["InstanceProfile"]
role = got["Roles"][0]
check(role["RoleName"] == "py-role" and role["RoleId"].startswith("AROA"), f"role {role}")
# botocore decodes the URL-encoded trust policy into a dict, as from AWS.
check(role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == "ec2.amazonaws.com",
      f"trust policy {role['AssumeRolePolicyDocument']}")
check(got["Tags"] == [{"Key": "owner", "Value": "boto3"}], f"tags {got['Tags']}")

pages = iam.get_paginator("list_instance_profiles").paginate(PaginationConfig={"PageSize": 1})
names = [p["InstanceProfileName"] for page in pages for p in page["InstanceProfiles"]]
check(names == ["py-profile"], f"listed {names}")
for_role = iam.list_instance_profiles_for_role(RoleName="py-role")["InstanceProfiles"]
check([p["InstanceProfileName"] for p in for_role] == ["py-profile"], f"for role {for_role}")

iam.tag_instance_profile(InstanceProfileName="py-profile", Tags=[{"Key": "env", "Value": "dev"}])
iam.untag_instance_profile(InstanceProfileName="py-profile", TagKeys=["owner"])
tags = iam.list_instance_profile_tags(InstanceProfileName="py-profile")
check(tags["Tags"] == [{"Key": "env", "Value": "dev"}] and tags["IsTruncated"] is False, f"tags {tags}")

iam.create_role(RoleName="py-other", AssumeRolePolicyDocument=json.dumps(trust))
check(code(iam.add_role_to_instance_profile, InstanceProfileName="py-profile", RoleName="py-other")[0] == "LimitExceeded",
      "a second role is refused")
check(code(iam.delete_role, RoleName="py-role") ==
      ("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first."),
      "a role in a profile cannot be deleted")
check(code(iam.delete_instance_profile, InstanceProfileName="py-profile")[0] == "DeleteConflict",
      "a profile holding a role cannot be deleted")
check(code(iam.get_instance_profile, InstanceProfileName="nope")[0] == "NoSuchEntity", "missing profile")
try:
    iam.get_instance_profile(InstanceProfileName="nope")
except iam.exceptions.NoSuchEntityException:
    pass

iam.remove_role_from_instance_profile(InstanceProfileName="py-profile", RoleName="py-role")
check(code(iam.remove_role_from_instance_profile, InstanceProfileName="py-profile", RoleName="py-role")[0] == "NoSuchEntity",
      "removing a role not in the profile")
iam.delete_instance_profile(InstanceProfileName="py-profile")
iam.delete_role(RoleName="py-role")
print("ok")
