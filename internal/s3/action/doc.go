// Package action is the S3 action map: it turns one parsed S3 REST request
// (method, bucket, key, query, headers) into the S3 API operation it invokes,
// named as in botocore's s3 model (GetObject, ListObjectsV2, UploadPartCopy …),
// and the IAM authorizations AWS S3 requires for it: each an action
// (s3:GetObject, s3:ListBucket …) on a resource ARN (arn:aws:s3:::bucket,
// arn:aws:s3:::bucket/key, or * for s3:ListAllMyBuckets), following AWS's
// "Actions, resources, and condition keys for Amazon S3" and "Required
// permissions for Amazon S3 API operations". It also gives the S3 condition
// keys the request supplies (s3:prefix, s3:x-amz-acl, s3:VersionId,
// s3:RequestObjectTag/<key> …), only for the operations AWS supplies them to.
//
// Map is the entry point. Some requests need more than the map can see:
//   - DeleteObjects (POST ?delete) is authorized per key of its XML body:
//     Map returns PerKey set and no authorizations, and the caller calls
//     DeleteObjectsKey for each key it parses (s3:DeleteObject, or
//     s3:DeleteObjectVersion with a version id).
//   - PutObjectTagging's tags are in its body: the caller parses them and adds
//     the request-tag keys with AddTagConditions.
//   - CreateBucket's location constraint is in its body: the caller passes it
//     in Request.LocationConstraint.
//
// Condition keys that come from authentication or the connection are the
// caller's to add: the global aws:* keys (aws:SourceIp, aws:SecureTransport,
// aws:PrincipalArn …) and s3:authType, s3:signatureversion, s3:signatureAge,
// s3:TlsVersion. So is s3:object-lock-remaining-retention-days, which needs
// the time, and s3:ExistingObjectTag/<key>, which needs the stored object.
//
// Errors are typed domain errors with no HTTP status; the S3 codec maps them
// with errors.As: *MethodNotAllowedError to S3's MethodNotAllowed (the
// resource and sub-resource exist but not with this method, as S3 answers a
// POST to an object), *NotImplementedError to NotImplemented (a method S3 does
// not use, a sub-resource this map does not serve, or a request naming two
// sub-resources at once, which is refused rather than guessed at, so the
// operation authorized is always the one the store will run), and
// *InvalidArgumentError to InvalidArgument (a malformed x-amz-copy-source or
// x-amz-tagging header, a bad list-type).
//
// It is pure and owns only the mapping: no net/http server, no store, no
// policy evaluation, no I/O, no clock.
package action
