package action

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const sha = "UNSIGNED-PAYLOAD"

// req builds a Request from a raw query and header pairs.
func req(method, bucket, key, rawQuery string, headers ...string) Request {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Add(headers[i], headers[i+1])
	}
	return Request{Method: method, Bucket: bucket, Key: key, Query: q, Header: h}
}

func az(pairs ...string) []Authorization {
	var out []Authorization
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Authorization{Action: pairs[i], Resource: pairs[i+1]})
	}
	return out
}

func conds(pairs ...string) map[string][]string {
	if len(pairs) == 0 {
		return nil
	}
	out := map[string][]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i]] = append(out[pairs[i]], pairs[i+1])
	}
	return out
}

const (
	bk  = "arn:aws:s3:::bk"
	obj = "arn:aws:s3:::bk/a/b.txt"
)

func TestMap(t *testing.T) {
	shaH := []string{"X-Amz-Content-Sha256", sha}
	with := func(extra ...string) []string { return append(append([]string{}, shaH...), extra...) }
	tests := []struct {
		name  string
		req   Request
		op    string
		auths []Authorization
		conds map[string][]string
		per   bool
	}{
		// Service.
		{"ListBuckets", req("GET", "", "", "", shaH...), "ListBuckets", az("s3:ListAllMyBuckets", "*"), conds("s3:x-amz-content-sha256", sha), false},

		// Listing.
		{"ListObjects", req("GET", "bk", "", "prefix=a/&delimiter=/&max-keys=10&marker=m"), "ListObjects", az("s3:ListBucket", bk),
			conds("s3:prefix", "a/", "s3:delimiter", "/", "s3:max-keys", "10"), false},
		{"ListObjectsV2", req("GET", "bk", "", "list-type=2&prefix=p", shaH...), "ListObjectsV2", az("s3:ListBucket", bk),
			conds("s3:prefix", "p", "s3:x-amz-content-sha256", sha), false},
		{"ListObjectsV2 no conditions", req("GET", "bk", "", "list-type=2&continuation-token=x&x-id=ListObjectsV2"), "ListObjectsV2", az("s3:ListBucket", bk), nil, false},
		{"ListObjectVersions", req("GET", "bk", "", "versions&prefix=p&delimiter=/"), "ListObjectVersions", az("s3:ListBucketVersions", bk),
			conds("s3:prefix", "p", "s3:delimiter", "/"), false},
		{"ListMultipartUploads", req("GET", "bk", "", "uploads&prefix=p"), "ListMultipartUploads", az("s3:ListBucketMultipartUploads", bk), nil, false},
		{"HeadBucket", req("HEAD", "bk", "", ""), "HeadBucket", az("s3:ListBucket", bk), nil, false},

		// Bucket lifecycle.
		{"CreateBucket", req("PUT", "bk", "", ""), "CreateBucket", az("s3:CreateBucket", bk), nil, false},
		{"CreateBucket location", Request{Method: "PUT", Bucket: "bk", LocationConstraint: "eu-west-1"}, "CreateBucket", az("s3:CreateBucket", bk),
			conds("s3:locationconstraint", "eu-west-1"), false},
		{"CreateBucket acl lock ownership", req("PUT", "bk", "", "", "x-amz-acl", "private", "x-amz-bucket-object-lock-enabled", "True", "x-amz-object-ownership", "BucketOwnerEnforced"),
			"CreateBucket", az("s3:CreateBucket", bk, "s3:PutBucketAcl", bk, "s3:PutBucketObjectLockConfiguration", bk, "s3:PutBucketVersioning", bk, "s3:PutBucketOwnershipControls", bk),
			conds("s3:x-amz-acl", "private", "s3:x-amz-object-ownership", "BucketOwnerEnforced"), false},
		{"CreateBucket grant", req("PUT", "bk", "", "", "x-amz-grant-read", "id=1"), "CreateBucket", az("s3:CreateBucket", bk, "s3:PutBucketAcl", bk),
			conds("s3:x-amz-grant-read", "id=1"), false},
		{"DeleteBucket", req("DELETE", "bk", "", ""), "DeleteBucket", az("s3:DeleteBucket", bk), nil, false},

		// Bucket sub-resources.
		{"GetBucketLocation", req("GET", "bk", "", "location"), "GetBucketLocation", az("s3:GetBucketLocation", bk), nil, false},
		{"GetBucketPolicy", req("GET", "bk", "", "policy"), "GetBucketPolicy", az("s3:GetBucketPolicy", bk), nil, false},
		{"PutBucketPolicy", req("PUT", "bk", "", "policy"), "PutBucketPolicy", az("s3:PutBucketPolicy", bk), nil, false},
		{"DeleteBucketPolicy", req("DELETE", "bk", "", "policy"), "DeleteBucketPolicy", az("s3:DeleteBucketPolicy", bk), nil, false},
		{"GetBucketPolicyStatus", req("GET", "bk", "", "policyStatus"), "GetBucketPolicyStatus", az("s3:GetBucketPolicyStatus", bk), nil, false},
		{"GetBucketAcl", req("GET", "bk", "", "acl"), "GetBucketAcl", az("s3:GetBucketAcl", bk), nil, false},
		{"PutBucketAcl", req("PUT", "bk", "", "acl", "x-amz-acl", "public-read"), "PutBucketAcl", az("s3:PutBucketAcl", bk), conds("s3:x-amz-acl", "public-read"), false},
		{"GetBucketTagging", req("GET", "bk", "", "tagging"), "GetBucketTagging", az("s3:GetBucketTagging", bk), nil, false},
		{"PutBucketTagging", req("PUT", "bk", "", "tagging"), "PutBucketTagging", az("s3:PutBucketTagging", bk), nil, false},
		{"DeleteBucketTagging", req("DELETE", "bk", "", "tagging"), "DeleteBucketTagging", az("s3:PutBucketTagging", bk), nil, false},
		{"GetBucketVersioning", req("GET", "bk", "", "versioning"), "GetBucketVersioning", az("s3:GetBucketVersioning", bk), nil, false},
		{"PutBucketVersioning", req("PUT", "bk", "", "versioning"), "PutBucketVersioning", az("s3:PutBucketVersioning", bk), nil, false},
		{"GetBucketCors", req("GET", "bk", "", "cors"), "GetBucketCors", az("s3:GetBucketCORS", bk), nil, false},
		{"PutBucketCors", req("PUT", "bk", "", "cors"), "PutBucketCors", az("s3:PutBucketCORS", bk), nil, false},
		{"DeleteBucketCors", req("DELETE", "bk", "", "cors"), "DeleteBucketCors", az("s3:PutBucketCORS", bk), nil, false},
		{"GetBucketLifecycleConfiguration", req("GET", "bk", "", "lifecycle"), "GetBucketLifecycleConfiguration", az("s3:GetLifecycleConfiguration", bk), nil, false},
		{"PutBucketLifecycleConfiguration", req("PUT", "bk", "", "lifecycle"), "PutBucketLifecycleConfiguration", az("s3:PutLifecycleConfiguration", bk), nil, false},
		{"DeleteBucketLifecycle", req("DELETE", "bk", "", "lifecycle"), "DeleteBucketLifecycle", az("s3:PutLifecycleConfiguration", bk), nil, false},
		{"GetBucketEncryption", req("GET", "bk", "", "encryption"), "GetBucketEncryption", az("s3:GetEncryptionConfiguration", bk), nil, false},
		{"PutBucketEncryption", req("PUT", "bk", "", "encryption"), "PutBucketEncryption", az("s3:PutEncryptionConfiguration", bk), nil, false},
		{"DeleteBucketEncryption", req("DELETE", "bk", "", "encryption"), "DeleteBucketEncryption", az("s3:PutEncryptionConfiguration", bk), nil, false},
		{"GetObjectLockConfiguration", req("GET", "bk", "", "object-lock"), "GetObjectLockConfiguration", az("s3:GetBucketObjectLockConfiguration", bk), nil, false},
		{"PutObjectLockConfiguration", req("PUT", "bk", "", "object-lock"), "PutObjectLockConfiguration", az("s3:PutBucketObjectLockConfiguration", bk), nil, false},
		{"GetBucketNotificationConfiguration", req("GET", "bk", "", "notification"), "GetBucketNotificationConfiguration", az("s3:GetBucketNotification", bk), nil, false},
		{"PutBucketNotificationConfiguration", req("PUT", "bk", "", "notification"), "PutBucketNotificationConfiguration", az("s3:PutBucketNotification", bk), nil, false},
		{"GetBucketWebsite", req("GET", "bk", "", "website"), "GetBucketWebsite", az("s3:GetBucketWebsite", bk), nil, false},
		{"PutBucketWebsite", req("PUT", "bk", "", "website"), "PutBucketWebsite", az("s3:PutBucketWebsite", bk), nil, false},
		{"DeleteBucketWebsite", req("DELETE", "bk", "", "website"), "DeleteBucketWebsite", az("s3:DeleteBucketWebsite", bk), nil, false},
		{"GetBucketLogging", req("GET", "bk", "", "logging"), "GetBucketLogging", az("s3:GetBucketLogging", bk), nil, false},
		{"PutBucketLogging", req("PUT", "bk", "", "logging"), "PutBucketLogging", az("s3:PutBucketLogging", bk), nil, false},
		{"GetBucketReplication", req("GET", "bk", "", "replication"), "GetBucketReplication", az("s3:GetReplicationConfiguration", bk), nil, false},
		{"PutBucketReplication", req("PUT", "bk", "", "replication"), "PutBucketReplication", az("s3:PutReplicationConfiguration", bk), nil, false},
		{"DeleteBucketReplication", req("DELETE", "bk", "", "replication"), "DeleteBucketReplication", az("s3:PutReplicationConfiguration", bk), nil, false},
		{"GetBucketRequestPayment", req("GET", "bk", "", "requestPayment"), "GetBucketRequestPayment", az("s3:GetBucketRequestPayment", bk), nil, false},
		{"PutBucketRequestPayment", req("PUT", "bk", "", "requestPayment"), "PutBucketRequestPayment", az("s3:PutBucketRequestPayment", bk), nil, false},
		{"GetBucketOwnershipControls", req("GET", "bk", "", "ownershipControls"), "GetBucketOwnershipControls", az("s3:GetBucketOwnershipControls", bk), nil, false},
		{"PutBucketOwnershipControls", req("PUT", "bk", "", "ownershipControls"), "PutBucketOwnershipControls", az("s3:PutBucketOwnershipControls", bk), nil, false},
		{"DeleteBucketOwnershipControls", req("DELETE", "bk", "", "ownershipControls"), "DeleteBucketOwnershipControls", az("s3:PutBucketOwnershipControls", bk), nil, false},
		{"GetPublicAccessBlock", req("GET", "bk", "", "publicAccessBlock"), "GetPublicAccessBlock", az("s3:GetBucketPublicAccessBlock", bk), nil, false},
		{"PutPublicAccessBlock", req("PUT", "bk", "", "publicAccessBlock"), "PutPublicAccessBlock", az("s3:PutBucketPublicAccessBlock", bk), nil, false},
		{"DeletePublicAccessBlock", req("DELETE", "bk", "", "publicAccessBlock"), "DeletePublicAccessBlock", az("s3:PutBucketPublicAccessBlock", bk), nil, false},
		{"GetBucketAccelerateConfiguration", req("GET", "bk", "", "accelerate"), "GetBucketAccelerateConfiguration", az("s3:GetAccelerateConfiguration", bk), nil, false},
		{"PutBucketAccelerateConfiguration", req("PUT", "bk", "", "accelerate"), "PutBucketAccelerateConfiguration", az("s3:PutAccelerateConfiguration", bk), nil, false},
		{"GetBucketAnalyticsConfiguration", req("GET", "bk", "", "analytics&id=a1"), "GetBucketAnalyticsConfiguration", az("s3:GetAnalyticsConfiguration", bk), nil, false},
		{"ListBucketAnalyticsConfigurations", req("GET", "bk", "", "analytics"), "ListBucketAnalyticsConfigurations", az("s3:GetAnalyticsConfiguration", bk), nil, false},
		{"PutBucketAnalyticsConfiguration", req("PUT", "bk", "", "analytics&id=a1"), "PutBucketAnalyticsConfiguration", az("s3:PutAnalyticsConfiguration", bk), nil, false},
		{"DeleteBucketAnalyticsConfiguration", req("DELETE", "bk", "", "analytics&id=a1"), "DeleteBucketAnalyticsConfiguration", az("s3:PutAnalyticsConfiguration", bk), nil, false},
		{"GetBucketInventoryConfiguration", req("GET", "bk", "", "inventory&id=i"), "GetBucketInventoryConfiguration", az("s3:GetInventoryConfiguration", bk), nil, false},
		{"ListBucketInventoryConfigurations", req("GET", "bk", "", "inventory"), "ListBucketInventoryConfigurations", az("s3:GetInventoryConfiguration", bk), nil, false},
		{"PutBucketInventoryConfiguration", req("PUT", "bk", "", "inventory&id=i"), "PutBucketInventoryConfiguration", az("s3:PutInventoryConfiguration", bk), nil, false},
		{"DeleteBucketInventoryConfiguration", req("DELETE", "bk", "", "inventory&id=i"), "DeleteBucketInventoryConfiguration", az("s3:PutInventoryConfiguration", bk), nil, false},
		{"GetBucketMetricsConfiguration", req("GET", "bk", "", "metrics&id=m"), "GetBucketMetricsConfiguration", az("s3:GetMetricsConfiguration", bk), nil, false},
		{"ListBucketMetricsConfigurations", req("GET", "bk", "", "metrics"), "ListBucketMetricsConfigurations", az("s3:GetMetricsConfiguration", bk), nil, false},
		{"PutBucketMetricsConfiguration", req("PUT", "bk", "", "metrics&id=m"), "PutBucketMetricsConfiguration", az("s3:PutMetricsConfiguration", bk), nil, false},
		{"DeleteBucketMetricsConfiguration", req("DELETE", "bk", "", "metrics&id=m"), "DeleteBucketMetricsConfiguration", az("s3:PutMetricsConfiguration", bk), nil, false},
		{"GetBucketIntelligentTieringConfiguration", req("GET", "bk", "", "intelligent-tiering&id=t"), "GetBucketIntelligentTieringConfiguration", az("s3:GetIntelligentTieringConfiguration", bk), nil, false},
		{"ListBucketIntelligentTieringConfigurations", req("GET", "bk", "", "intelligent-tiering"), "ListBucketIntelligentTieringConfigurations", az("s3:GetIntelligentTieringConfiguration", bk), nil, false},
		{"PutBucketIntelligentTieringConfiguration", req("PUT", "bk", "", "intelligent-tiering&id=t"), "PutBucketIntelligentTieringConfiguration", az("s3:PutIntelligentTieringConfiguration", bk), nil, false},
		{"DeleteBucketIntelligentTieringConfiguration", req("DELETE", "bk", "", "intelligent-tiering&id=t"), "DeleteBucketIntelligentTieringConfiguration", az("s3:PutIntelligentTieringConfiguration", bk), nil, false},
		{"DeleteObjects", req("POST", "bk", "", "delete", shaH...), "DeleteObjects", nil, conds("s3:x-amz-content-sha256", sha), true},

		// Objects.
		{"GetObject", req("GET", "bk", "a/b.txt", "response-content-type=x&partNumber=1", shaH...), "GetObject", az("s3:GetObject", obj), conds("s3:x-amz-content-sha256", sha), false},
		{"GetObject version", req("GET", "bk", "a/b.txt", "versionId=v1"), "GetObject", az("s3:GetObjectVersion", obj), conds("s3:VersionId", "v1"), false},
		{"HeadObject", req("HEAD", "bk", "a/b.txt", ""), "HeadObject", az("s3:GetObject", obj), nil, false},
		{"HeadObject version", req("HEAD", "bk", "a/b.txt", "versionId=v1"), "HeadObject", az("s3:GetObjectVersion", obj), conds("s3:VersionId", "v1"), false},
		{"PutObject", req("PUT", "bk", "a/b.txt", "", with("x-amz-server-side-encryption", "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id", "k1", "x-amz-storage-class", "STANDARD_IA")...),
			"PutObject", az("s3:PutObject", obj),
			conds("s3:x-amz-content-sha256", sha, "s3:x-amz-server-side-encryption", "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id", "k1", "s3:x-amz-storage-class", "STANDARD_IA"), false},
		{"PutObject acl tags lock", req("PUT", "bk", "a/b.txt", "", "x-amz-acl", "public-read", "x-amz-tagging", "team=a%20b&env=prod",
			"x-amz-object-lock-mode", "GOVERNANCE", "x-amz-object-lock-retain-until-date", "2030-01-01T00:00:00Z", "x-amz-object-lock-legal-hold", "ON"),
			"PutObject", az("s3:PutObject", obj, "s3:PutObjectAcl", obj, "s3:PutObjectTagging", obj, "s3:PutObjectRetention", obj, "s3:PutObjectLegalHold", obj),
			conds("s3:x-amz-acl", "public-read", "s3:RequestObjectTag/team", "a b", "s3:RequestObjectTag/env", "prod", "s3:RequestObjectTagKeys", "env", "s3:RequestObjectTagKeys", "team",
				"s3:object-lock-mode", "GOVERNANCE", "s3:object-lock-retain-until-date", "2030-01-01T00:00:00Z", "s3:object-lock-legal-hold", "ON"), false},
		{"PutObject versionId ignored", req("PUT", "bk", "a/b.txt", "versionId=v"), "PutObject", az("s3:PutObject", obj), nil, false},
		{"CopyObject", req("PUT", "bk", "a/b.txt", "", "x-amz-copy-source", "/src/dir/my%20file.txt", "x-amz-metadata-directive", "REPLACE"),
			"CopyObject", az("s3:GetObject", "arn:aws:s3:::src/dir/my file.txt", "s3:PutObject", obj),
			conds("s3:x-amz-copy-source", "src/dir/my file.txt", "s3:x-amz-metadata-directive", "REPLACE"), false},
		{"CopyObject version", req("PUT", "bk", "a/b.txt", "", "x-amz-copy-source", "src/k%3Fq?versionId=v9", "x-amz-tagging", "a=1"),
			"CopyObject", az("s3:GetObjectVersion", "arn:aws:s3:::src/k?q", "s3:PutObject", obj, "s3:PutObjectTagging", obj),
			conds("s3:x-amz-copy-source", "src/k?q", "s3:RequestObjectTag/a", "1", "s3:RequestObjectTagKeys", "a"), false},
		{"DeleteObject", req("DELETE", "bk", "a/b.txt", ""), "DeleteObject", az("s3:DeleteObject", obj), nil, false},
		{"DeleteObject version bypass", req("DELETE", "bk", "a/b.txt", "versionId=v1", "x-amz-bypass-governance-retention", "true"), "DeleteObject",
			az("s3:DeleteObjectVersion", obj, "s3:BypassGovernanceRetention", obj), conds("s3:VersionId", "v1"), false},
		{"GetObjectAcl", req("GET", "bk", "a/b.txt", "acl"), "GetObjectAcl", az("s3:GetObjectAcl", obj), nil, false},
		{"GetObjectAcl version", req("GET", "bk", "a/b.txt", "acl&versionId=v"), "GetObjectAcl", az("s3:GetObjectVersionAcl", obj), conds("s3:VersionId", "v"), false},
		{"PutObjectAcl", req("PUT", "bk", "a/b.txt", "acl", "x-amz-grant-full-control", "id=1"), "PutObjectAcl", az("s3:PutObjectAcl", obj), conds("s3:x-amz-grant-full-control", "id=1"), false},
		{"PutObjectAcl version", req("PUT", "bk", "a/b.txt", "acl&versionId=v"), "PutObjectAcl", az("s3:PutObjectVersionAcl", obj), conds("s3:VersionId", "v"), false},
		{"GetObjectTagging", req("GET", "bk", "a/b.txt", "tagging"), "GetObjectTagging", az("s3:GetObjectTagging", obj), nil, false},
		{"GetObjectTagging version", req("GET", "bk", "a/b.txt", "tagging&versionId=v"), "GetObjectTagging", az("s3:GetObjectVersionTagging", obj), conds("s3:VersionId", "v"), false},
		{"PutObjectTagging", req("PUT", "bk", "a/b.txt", "tagging"), "PutObjectTagging", az("s3:PutObjectTagging", obj), nil, false},
		{"PutObjectTagging version", req("PUT", "bk", "a/b.txt", "tagging&versionId=v"), "PutObjectTagging", az("s3:PutObjectVersionTagging", obj), conds("s3:VersionId", "v"), false},
		{"DeleteObjectTagging", req("DELETE", "bk", "a/b.txt", "tagging"), "DeleteObjectTagging", az("s3:DeleteObjectTagging", obj), nil, false},
		{"DeleteObjectTagging version", req("DELETE", "bk", "a/b.txt", "tagging&versionId=v"), "DeleteObjectTagging", az("s3:DeleteObjectVersionTagging", obj), conds("s3:VersionId", "v"), false},
		{"GetObjectAttributes", req("GET", "bk", "a/b.txt", "attributes"), "GetObjectAttributes", az("s3:GetObjectAttributes", obj), nil, false},
		{"GetObjectAttributes version", req("GET", "bk", "a/b.txt", "attributes&versionId=v"), "GetObjectAttributes", az("s3:GetObjectVersionAttributes", obj), conds("s3:VersionId", "v"), false},
		{"GetObjectRetention", req("GET", "bk", "a/b.txt", "retention"), "GetObjectRetention", az("s3:GetObjectRetention", obj), nil, false},
		{"PutObjectRetention bypass", req("PUT", "bk", "a/b.txt", "retention", "x-amz-bypass-governance-retention", "TRUE"), "PutObjectRetention",
			az("s3:PutObjectRetention", obj, "s3:BypassGovernanceRetention", obj), nil, false},
		{"GetObjectLegalHold", req("GET", "bk", "a/b.txt", "legal-hold&versionId=v"), "GetObjectLegalHold", az("s3:GetObjectLegalHold", obj), conds("s3:VersionId", "v"), false},
		{"PutObjectLegalHold", req("PUT", "bk", "a/b.txt", "legal-hold"), "PutObjectLegalHold", az("s3:PutObjectLegalHold", obj), nil, false},
		{"RestoreObject", req("POST", "bk", "a/b.txt", "restore"), "RestoreObject", az("s3:RestoreObject", obj), nil, false},
		{"SelectObjectContent", req("POST", "bk", "a/b.txt", "select&select-type=2"), "SelectObjectContent", az("s3:GetObject", obj), nil, false},
		{"GetObjectTorrent", req("GET", "bk", "a/b.txt", "torrent"), "GetObjectTorrent", az("s3:GetObjectTorrent", obj), nil, false},

		// Multipart uploads.
		{"CreateMultipartUpload", req("POST", "bk", "a/b.txt", "uploads", "x-amz-server-side-encryption", "AES256", "x-amz-acl", "private"), "CreateMultipartUpload",
			az("s3:PutObject", obj, "s3:PutObjectAcl", obj), conds("s3:x-amz-server-side-encryption", "AES256", "s3:x-amz-acl", "private"), false},
		{"UploadPart", req("PUT", "bk", "a/b.txt", "partNumber=1&uploadId=u", shaH...), "UploadPart", az("s3:PutObject", obj), conds("s3:x-amz-content-sha256", sha), false},
		{"UploadPartCopy", req("PUT", "bk", "a/b.txt", "partNumber=1&uploadId=u", "x-amz-copy-source", "src/k", "x-amz-copy-source-range", "bytes=0-9"), "UploadPartCopy",
			az("s3:GetObject", "arn:aws:s3:::src/k", "s3:PutObject", obj), conds("s3:x-amz-copy-source", "src/k"), false},
		{"UploadPartCopy version", req("PUT", "bk", "a/b.txt", "partNumber=1&uploadId=u", "x-amz-copy-source", "/src/k?versionId=v"), "UploadPartCopy",
			az("s3:GetObjectVersion", "arn:aws:s3:::src/k", "s3:PutObject", obj), conds("s3:x-amz-copy-source", "src/k"), false},
		{"CompleteMultipartUpload", req("POST", "bk", "a/b.txt", "uploadId=u"), "CompleteMultipartUpload", az("s3:PutObject", obj), nil, false},
		{"AbortMultipartUpload", req("DELETE", "bk", "a/b.txt", "uploadId=u"), "AbortMultipartUpload", az("s3:AbortMultipartUpload", obj), nil, false},
		{"ListParts", req("GET", "bk", "a/b.txt", "uploadId=u&max-parts=5"), "ListParts", az("s3:ListMultipartUploadParts", obj), nil, false},

		// Partition.
		{"partition", Request{Method: "GET", Bucket: "bk", Key: "k", Partition: "aws-cn"}, "GetObject", az("s3:GetObject", "arn:aws-cn:s3:::bk/k"), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Map(tt.req)
			if err != nil {
				t.Fatalf("Map: got error %v, want none", err)
			}
			want := Result{Operation: tt.op, Authorizations: tt.auths, Conditions: tt.conds, PerKey: tt.per}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("Map (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMapErrors(t *testing.T) {
	var (
		notAllowed *MethodNotAllowedError
		notImpl    *NotImplementedError
		invalid    *InvalidArgumentError
	)
	tests := []struct {
		name   string
		req    Request
		target any
	}{
		{"POST object", req("POST", "bk", "k", ""), &notAllowed},
		{"PUT service", req("PUT", "", "", ""), &notAllowed},
		{"POST bucket acl", req("POST", "bk", "", "acl"), &notAllowed},
		{"GET bucket delete", req("GET", "bk", "", "delete"), &notAllowed},
		{"HEAD bucket policy", req("HEAD", "bk", "", "policy"), &notAllowed},
		{"DELETE bucket versioning", req("DELETE", "bk", "", "versioning"), &notAllowed},
		{"PUT uploads", req("PUT", "bk", "k", "uploads"), &notAllowed},
		{"PATCH object", req("PATCH", "bk", "k", ""), &notImpl},
		{"OPTIONS bucket", req("OPTIONS", "bk", "", ""), &notImpl},
		{"empty method", req("", "bk", "k", ""), &notImpl},
		{"bucket retention", req("GET", "bk", "", "retention"), &notImpl},
		{"object policy", req("GET", "bk", "k", "policy"), &notImpl},
		{"object encryption (UpdateObjectEncryption)", req("PUT", "bk", "k", "encryption"), &notImpl},
		{"two sub-resources", req("GET", "bk", "k", "acl&tagging"), &notImpl},
		{"uploadId and tagging", req("PUT", "bk", "k", "uploadId=u&tagging"), &notImpl},
		{"CreateSession", req("GET", "bk", "", "session"), &notImpl},
		{"RenameObject", req("PUT", "bk", "k", "renameObject"), &notImpl},
		{"metadataTable", req("POST", "bk", "", "metadataTable"), &notImpl},
		{"browser POST upload", req("POST", "bk", "", ""), &notImpl},
		{"select without type", req("POST", "bk", "k", "select"), &notImpl},
		{"list-type 3", req("GET", "bk", "", "list-type=3"), &invalid},
		{"key without bucket", req("GET", "", "k", ""), &invalid},
		{"bucket with slash", req("GET", "b/k", "", ""), &invalid},
		{"copy source no key", req("PUT", "bk", "k", "", "x-amz-copy-source", "/src"), &invalid},
		{"copy source empty key", req("PUT", "bk", "k", "", "x-amz-copy-source", "src/"), &invalid},
		{"copy source empty bucket", req("PUT", "bk", "k", "", "x-amz-copy-source", "//k"), &invalid},
		{"copy source bad escape", req("PUT", "bk", "k", "", "x-amz-copy-source", "src/%zz"), &invalid},
		{"copy source other param", req("PUT", "bk", "k", "", "x-amz-copy-source", "src/k?acl"), &invalid},
		{"copy source empty version", req("PUT", "bk", "k", "", "x-amz-copy-source", "src/k?versionId="), &invalid},
		{"copy source two versions", req("PUT", "bk", "k", "", "x-amz-copy-source", "src/k?versionId=a&versionId=b"), &invalid},
		{"copy source twice", req("PUT", "bk", "k", "", "x-amz-copy-source", "src/k", "x-amz-copy-source", "src/j"), &invalid},
		{"copy source access point", req("PUT", "bk", "k", "", "x-amz-copy-source", "arn:aws:s3:us-west-2:123456789012:accesspoint/ap/object/k"), &invalid},
		{"copy source encoded access point", req("PUT", "bk", "k", "", "x-amz-copy-source", "arn%3Aaws%3As3%3Aus-west-2%3A123456789012%3Aaccesspoint/ap/object/k"), &invalid},
		{"copy source leading slash encoded arn", req("PUT", "bk", "k", "", "x-amz-copy-source", "/arn%3Aaws%3As3%3A%3A%3Ab/k"), &invalid},
		{"upload part copy bad source", req("PUT", "bk", "k", "uploadId=u&partNumber=1", "x-amz-copy-source", "nokey"), &invalid},
		{"tagging duplicate key", req("PUT", "bk", "k", "", "x-amz-tagging", "a=1&a=2"), &invalid},
		{"tagging bad escape", req("PUT", "bk", "k", "", "x-amz-tagging", "a=%zz"), &invalid},
		{"tagging empty key", req("PUT", "bk", "k", "", "x-amz-tagging", "=v"), &invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Map(tt.req)
			if err == nil {
				t.Fatalf("Map: got %+v, want an error", got)
			}
			if !errors.As(err, tt.target) {
				t.Errorf("Map: got error %T (%v), want %T", err, err, tt.target)
			}
		})
	}
}

func TestDeleteObjectsKey(t *testing.T) {
	r := req("POST", "bk", "", "delete", "X-Amz-Content-Sha256", sha)
	tests := []struct {
		name, key, version string
		bypass             bool
		want               Result
	}{
		{"key", "a/b.txt", "", false, Result{Operation: "DeleteObjects", Authorizations: az("s3:DeleteObject", obj), Conditions: conds("s3:x-amz-content-sha256", sha)}},
		{"version", "a/b.txt", "v1", false, Result{Operation: "DeleteObjects", Authorizations: az("s3:DeleteObjectVersion", obj),
			Conditions: conds("s3:x-amz-content-sha256", sha, "s3:VersionId", "v1")}},
		{"bypass", "a/b.txt", "", true, Result{Operation: "DeleteObjects", Authorizations: az("s3:DeleteObject", obj, "s3:BypassGovernanceRetention", obj),
			Conditions: conds("s3:x-amz-content-sha256", sha)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := r
			r.Header = r.Header.Clone()
			if tt.bypass {
				r.Header.Set("X-Amz-Bypass-Governance-Retention", "true")
			}
			got, err := DeleteObjectsKey(r, tt.key, tt.version)
			if err != nil {
				t.Fatalf("DeleteObjectsKey: got error %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DeleteObjectsKey (-want +got):\n%s", diff)
			}
		})
	}
	var invalid *InvalidArgumentError
	if _, err := DeleteObjectsKey(r, "", ""); !errors.As(err, &invalid) {
		t.Errorf("DeleteObjectsKey with no key: got %v, want *InvalidArgumentError", err)
	}
	if _, err := DeleteObjectsKey(Request{}, "k", ""); !errors.As(err, &invalid) {
		t.Errorf("DeleteObjectsKey with no bucket: got %v, want *InvalidArgumentError", err)
	}
}

func TestAddTagConditions(t *testing.T) {
	got := AddTagConditions(nil, []Tag{{"env", "prod"}, {"team", ""}})
	want := conds("s3:RequestObjectTag/env", "prod", "s3:RequestObjectTag/team", "", "s3:RequestObjectTagKeys", "env", "s3:RequestObjectTagKeys", "team")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AddTagConditions (-want +got):\n%s", diff)
	}
	res, err := Map(req("PUT", "bk", "k", "tagging", "X-Amz-Content-Sha256", sha))
	if err != nil {
		t.Fatal(err)
	}
	got = AddTagConditions(res.Conditions, []Tag{{"a", "1"}})
	want = conds("s3:x-amz-content-sha256", sha, "s3:RequestObjectTag/a", "1", "s3:RequestObjectTagKeys", "a")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AddTagConditions onto Map's (-want +got):\n%s", diff)
	}
	if got := AddTagConditions(nil, nil); got != nil {
		t.Errorf("AddTagConditions(nil, nil): got %v, want nil", got)
	}
}

// TestErrorText checks that error text stays printable and bounded
// whatever the method was.
func TestErrorText(t *testing.T) {
	_, err := Map(req("\x00\xffLONG"+string(make([]byte, 200)), "bk", "k", ""))
	if err == nil {
		t.Fatal("Map: got no error for a binary method")
	}
	msg := err.Error()
	if len(msg) > 200 {
		t.Errorf("error text: got %d bytes, want at most 200", len(msg))
	}
	for _, c := range []byte(msg) {
		if c < 0x20 || c >= 0x7f {
			t.Fatalf("error text %q: got a byte %#x, want printable ASCII", msg, c)
		}
	}
}
