"""IAM Roles Anywhere's control plane through boto3 against Brevet.

Reads the CA bundle and CRL paths from argv, checks the calls and their
errors, and prints the trust anchor and profile ARNs on success.
"""
import sys

import boto3
from botocore.exceptions import ClientError

ca_pem, crl_der = sys.argv[1], sys.argv[2]
ra = boto3.client("rolesanywhere")


def code(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise SystemExit(f"{fn.__name__} succeeded, want an error")


pem = open(ca_pem).read()
ta = ra.create_trust_anchor(
    name="boto3 anchor",
    source={"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": pem}},
    enabled=True,
    tags=[{"key": "owner", "value": "boto3"}],
)["trustAnchor"]
assert ta["enabled"] and ta["source"]["sourceType"] == "CERTIFICATE_BUNDLE", ta
assert ta["createdAt"].year >= 2024, ta["createdAt"]

for i in range(3):
    ra.create_profile(name=f"boto3-{i}", roleArns=["arn:aws:iam::123456789012:role/device"])
pages = list(ra.get_paginator("list_profiles").paginate(pageSize=2))
names = [p["name"] for page in pages for p in page["profiles"]]
assert len(pages) >= 2 and sum(n.startswith("boto3-") for n in names) == 3, (len(pages), names)

prof = ra.create_profile(
    name="boto3", roleArns=["arn:aws:iam::123456789012:role/device"], durationSeconds=900, enabled=True,
    sessionPolicy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
)["profile"]
assert prof["durationSeconds"] == 900 and len(prof["attributeMappings"]) == 3, prof
prof = ra.put_attribute_mapping(profileId=prof["profileId"], certificateField="x509Subject", mappingRules=[{"specifier": "CN"}])["profile"]
prof = ra.delete_attribute_mapping(profileId=prof["profileId"], certificateField="x509Issuer")["profile"]
assert [m["certificateField"] for m in prof["attributeMappings"]] == ["x509Subject", "x509SAN"], prof["attributeMappings"]

crl = ra.import_crl(name="boto3 crl", crlData=open(crl_der, "rb").read(), trustAnchorArn=ta["trustAnchorArn"], enabled=True)["crl"]
assert crl["enabled"] and crl["crlData"] == open(crl_der, "rb").read()
ra.disable_crl(crlId=crl["crlId"])
assert not ra.get_crl(crlId=crl["crlId"])["crl"]["enabled"]

ra.tag_resource(resourceArn=prof["profileArn"], tags=[{"key": "env", "value": "test"}])
assert ra.list_tags_for_resource(resourceArn=prof["profileArn"])["tags"] == [{"key": "env", "value": "test"}]
ra.untag_resource(resourceArn=prof["profileArn"], tagKeys=["env"])
assert ra.list_tags_for_resource(resourceArn=prof["profileArn"])["tags"] == []

assert code(ra.get_profile, profileId="00000000-0000-4000-8000-000000000000") == ("ResourceNotFoundException", 404)
assert code(ra.create_trust_anchor, name="pca", source={"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x"}}) == ("ValidationException", 400)
too_many = [{"key": f"k{i}", "value": "v"} for i in range(51)]
assert code(ra.tag_resource, resourceArn=prof["profileArn"], tags=too_many) == ("TooManyTagsException", 400)

ra.delete_crl(crlId=crl["crlId"])
print(ta["trustAnchorArn"], prof["profileArn"])
