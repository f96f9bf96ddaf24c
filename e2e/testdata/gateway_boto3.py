# boto3 through Brevet's S3 gateway: a threaded multipart upload_file, a
# download_file, and presigned URLs fetched with a plain HTTP client (urllib):
# GET, PUT, expired, and with a changed query parameter. Run by
# e2e/gateway_sdk_test.go with the admin key as the default profile,
# AWS_ENDPOINT_URL_S3 set to the gateway, E2E_BUCKET (an existing bucket) and
# E2E_TMP (a scratch directory). Prints "ok".
import os
import sys
import time
import urllib.error
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

bucket = os.environ["E2E_BUCKET"]
tmp = os.environ["E2E_TMP"]
# SigV4 for presigned URLs too: botocore still presigns with SigV2 by
# default in us-east-1, which the gateway (as S3) refuses.
s3 = boto3.client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def check(cond, what):
    if not cond:
        sys.exit("boto3: " + what)


def fetch(url, method="GET", data=None):
    # urllib would send data as application/x-www-form-urlencoded.
    headers = {"Content-Type": "application/octet-stream"} if data is not None else {}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


data = os.urandom(24 << 20)
src = os.path.join(tmp, "big.bin")
with open(src, "wb") as f:
    f.write(data)
cfg = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=8 << 20, max_concurrency=4, use_threads=True)
s3.upload_file(src, bucket, "py/big.bin", Config=cfg)
head = s3.head_object(Bucket=bucket, Key="py/big.bin")
check(head["ContentLength"] == len(data), "head_object: %d bytes" % head["ContentLength"])
check(head["ETag"].endswith('-3"'), "upload_file was not a 3-part upload: ETag %s" % head["ETag"])

dst = os.path.join(tmp, "big.down")
s3.download_file(bucket, "py/big.bin", dst, Config=cfg)
with open(dst, "rb") as f:
    check(f.read() == data, "download_file: bytes differ")

url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "py/big.bin"}, ExpiresIn=300)
check("X-Amz-Signature=" in url and "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url, "presigned URL is not SigV4: " + url.split("?")[0])
status, body = fetch(url)
check(status == 200 and body == data, "presigned GET: status %d, %d bytes" % (status, len(body)))

put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "py/put.txt"}, ExpiresIn=300)
status, body = fetch(put_url, "PUT", b"put through a presigned URL")
check(status == 200, "presigned PUT: status %d: %s" % (status, body[:500]))
got = s3.get_object(Bucket=bucket, Key="py/put.txt")["Body"].read()
check(got == b"put through a presigned URL", "object put through a presigned URL: %r" % got)

short = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "py/put.txt"}, ExpiresIn=1)
time.sleep(2)
status, body = fetch(short)
check(status == 403 and b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body,
      "expired presigned URL: status %d: %s" % (status, body[:500]))

typed = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "py/put.txt", "ResponseContentType": "text/plain"}, ExpiresIn=300)
status, body = fetch(typed)
check(status == 200 and body == b"put through a presigned URL", "presigned GET with response-content-type: status %d" % status)
changed = typed.replace("response-content-type=text%2Fplain", "response-content-type=text%2Fhtml")
check(changed != typed, "no response-content-type in " + typed.split("?")[0])
status, body = fetch(changed)
check(status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body,
      "presigned URL with a changed query: status %d: %s" % (status, body[:500]))
print("ok")
