package bucketpolicy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/policy"
)

// MaxSize is S3's limit on a bucket policy: 20 KB, counted in bytes.
const MaxSize = 20 * 1024

// S3's MalformedPolicy messages for the rules this package adds to the
// policy language's.
const (
	msgTooLarge        = "Policy exceeds the maximum allowed document size."
	msgFirstByte       = "Policies must be valid JSON and the first byte must be '{'"
	msgInvalidResource = "Policy has invalid resource"
	msgInvalidAction   = "Policy has invalid action"
	msgInvalidCondFmt  = "Policy has an invalid condition: %s"
)

// validBucket reports whether name can be a bucket's: S3's rules for new
// buckets (3 to 63 lower-case letters, digits, '.' and '-') are the
// gateway's to apply; this only keeps out what no bucket ever had.
func validBucket(name string) bool {
	if name == "" || len(name) > 255 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// bucketARN is the ARN of bucket in the gateway's partition.
func bucketARN(bucket string) string { return "arn:" + iam.Partition + ":s3:::" + bucket }

// parse checks document as S3 checks a bucket policy for bucket, in the
// order S3 reports failures: size, JSON, the policy language's rules for
// a resource policy (package policy, as IAM applies them, which includes
// a Principal or NotPrincipal in every statement), then S3's own: only S3
// actions, and only this bucket and its objects as resources. Whether the
// principals exist is bind's to check.
func parse(bucket, document string) (*policy.Document, error) {
	if len(document) > MaxSize {
		return nil, &MalformedPolicyError{Message: msgTooLarge}
	}
	if trimmed := strings.TrimLeft(document, " \t\r\n"); trimmed == "" || trimmed[0] != '{' {
		return nil, &MalformedPolicyError{Message: msgFirstByte}
	}
	doc, err := policy.ParseAndValidate([]byte(document), policy.TypeResource)
	if err != nil {
		return nil, malformed(err)
	}
	arn := bucketARN(bucket)
	for i := range doc.Statements {
		s := &doc.Statements[i]
		for _, a := range append(s.Action[:len(s.Action):len(s.Action)], s.NotAction...) {
			if !s3Action(a) {
				return nil, &MalformedPolicyError{Message: msgInvalidAction}
			}
		}
		for _, r := range append(s.Resource[:len(s.Resource):len(s.Resource)], s.NotResource...) {
			if r != arn && !strings.HasPrefix(r, arn+"/") {
				return nil, &MalformedPolicyError{Message: msgInvalidResource}
			}
		}
	}
	return doc, nil
}

// s3Action reports whether a is an action a bucket policy may name: "*"
// or one of S3's (the vendor is case-insensitive, as everywhere in IAM).
// S3 also refuses action names it does not define; Brevet accepts any
// s3: name, which matches no request if it is misspelt.
func s3Action(a string) bool {
	return a == "*" || len(a) > 3 && strings.EqualFold(a[:3], "s3:")
}

// malformed turns the policy package's errors into S3's.
func malformed(err error) error {
	var me *policy.MalformedError
	if errors.As(err, &me) {
		return &MalformedPolicyError{Message: me.Message}
	}
	var ce *policy.CompileError
	if errors.As(err, &ce) {
		return &MalformedPolicyError{Message: fmt.Sprintf(msgInvalidCondFmt, ce.Err)}
	}
	return err
}
