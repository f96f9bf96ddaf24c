// Package gateway is the S3 gateway: it makes the credentials Brevet issues
// open real buckets. Every S3 request it receives goes through the one
// request pipeline (package request): it is authenticated with Brevet
// credentials (SigV4 header, presigned URL, aws-chunked uploads, or
// anonymous), mapped to its IAM actions and resources as S3 maps them
// (package s3/action), authorized by Brevet's IAM policies together with
// the bucket's policy that Brevet holds (BucketPolicies), audited as a
// data event that is durable before the response starts, then re-signed
// with the backend's own credentials and streamed to an S3-compatible
// store and back. No body is held in memory, except the small XML bodies
// the gateway must read to authorize (CreateBucket, tagging,
// DeleteObjects, bucket policies).
//
// The bucket policy operations (PutBucketPolicy, GetBucketPolicy,
// DeleteBucketPolicy, GetBucketPolicyStatus) are answered here and never
// forwarded; ListBuckets merges the buckets of every backend, each
// filtered to the buckets it serves.
//
// An upload's body is checked as it is read (chunk signatures, trailing
// checksums, the declared SHA-256) and only its last byte waits for the
// check to finish: a body that fails is never complete at the backend,
// which then stores nothing. An aws-chunked body reaches the backend
// decoded, or, when the client sent a trailing checksum, framed again as
// STREAMING-UNSIGNED-PAYLOAD-TRAILER with that checksum (computed here as
// the bytes pass) in the trailer, so that the backend checks and stores
// it too.
//
// It owns forwarding and the S3 wire answers of the gateway; it does not
// verify signatures (authn, sigv4), evaluate policies (authz, policy),
// store bucket policies (s3/bucketpolicy), make events durable (audit) or
// listen (the node wires ServeHTTP to a listener). The backend's secret
// never enters a log, an audit event or an error.
package gateway
