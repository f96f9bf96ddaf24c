package bucketpolicy

import "errors"

// ErrNoSuchBucketPolicy: the bucket has no policy (S3's NoSuchBucketPolicy,
// "The bucket policy does not exist").
var ErrNoSuchBucketPolicy = errors.New("bucketpolicy: the bucket policy does not exist")

// ErrInvalidBucketName: the name cannot be a bucket's (empty, longer than
// 255 bytes, or with a character outside letters, digits, '.', '-' and
// '_'), so it can have no policy. The gateway refuses such names before
// calling; this keeps hostile names out of the store and the cache.
var ErrInvalidBucketName = errors.New("bucketpolicy: invalid bucket name")

// MalformedPolicyError is a bucket policy S3 would refuse (S3's
// MalformedPolicy, 400). Message is S3's text for it, for the client.
type MalformedPolicyError struct {
	Message string
}

func (e *MalformedPolicyError) Error() string { return "bucketpolicy: malformed policy: " + e.Message }
