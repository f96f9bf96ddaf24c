// Package bucketpolicy owns the policies of the buckets behind Brevet's S3
// gateway. Brevet holds them itself: PutBucketPolicy, GetBucketPolicy,
// DeleteBucketPolicy and GetBucketPolicyStatus are answered from here and
// never reach the backend, and the gateway authorizes every request with
// the caller's IAM policies plus the bucket's policy, compiled here.
//
// It owns S3's rules for a bucket policy (a resource policy of at most
// 20 KB whose every statement names a principal, whose actions are S3's
// and whose resources are the bucket and its objects, refused with a
// *MalformedPolicyError carrying S3's message), the binding of the users
// and roles it names to their unique ids when it is saved (package trust:
// a principal deleted and made again under its name no longer matches
// until the policy is saved again, and one that names no one is refused),
// S3's definition of a public policy (Status), and a bounded cache of
// compiled policies that the change feed invalidates (Apply), so that
// every node of a cluster sees a policy saved on another.
//
// It is a domain service: no net/http, no wire codes. The gateway maps
// its errors to S3's (MalformedPolicy, NoSuchBucketPolicy) and decides who
// may call it; authz evaluates what Compiled returns.
package bucketpolicy
