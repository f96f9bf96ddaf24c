"""Login profiles and the password policy through boto3 against Brevet:
every call's response parsed by botocore against AWS's model, and AWS's
error codes. Run by e2e/loginprofile_test.go with the admin key as the
default profile, AWS_ENDPOINT_URL set, and E2E_ACCOUNT."""
import datetime
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


iam.create_user(UserName="py-user")
lp = iam.create_login_profile(UserName="py-user", Password="Boto3-Password-1")["LoginProfile"]
check(lp["UserName"] == "py-user", f"user {lp['UserName']}")
check(isinstance(lp["CreateDate"], datetime.datetime), "CreateDate is a timestamp")
check(lp["PasswordResetRequired"] is False, f"reset {lp['PasswordResetRequired']}")
iam.update_login_profile(UserName="py-user", PasswordResetRequired=True)
check(iam.get_login_profile(UserName="py-user")["LoginProfile"]["PasswordResetRequired"] is True, "reset after update")

iam.update_account_password_policy(MinimumPasswordLength=20, RequireNumbers=True, PasswordReusePrevention=5)
pp = iam.get_account_password_policy()["PasswordPolicy"]
check(pp["MinimumPasswordLength"] == 20 and pp["RequireNumbers"] and not pp["RequireSymbols"], f"policy {pp}")
check(pp["PasswordReusePrevention"] == 5 and pp["ExpirePasswords"] is False, f"policy {pp}")
got = code(iam.update_login_profile, UserName="py-user", Password="Boto3-Password-2")
check(got == ("PasswordPolicyViolation", "Password should have a minimum length of 20"), f"violation {got}")
iam.delete_account_password_policy()
got = code(iam.get_account_password_policy)
check(got == ("NoSuchEntity", f"The Password Policy with domain name {account} cannot be found."), f"no policy {got}")

got = code(iam.delete_user, UserName="py-user")
check(got[0] == "DeleteConflict", f"delete user {got}")
got = code(iam.create_login_profile, UserName="py-ghost", Password="Boto3-Password-3")
check(got == ("NoSuchEntity", "The user with name py-ghost cannot be found."), f"ghost {got}")
iam.delete_login_profile(UserName="py-user")
got = code(iam.get_login_profile, UserName="py-user")
check(got == ("NoSuchEntity", "Login Profile for User py-user cannot be found."), f"gone {got}")
iam.delete_user(UserName="py-user")
print("ok")
