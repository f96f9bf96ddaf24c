package node

import (
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// textBetween is the text of s after the first a, up to the next b: a
// value out of an IAM Query answer, such as textBetween(out,
// "<AccessKeyId>", "<").
func textBetween(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}

// newUserKey creates the IAM user name and an access key of theirs
// through iam (a test env's IAM call as the admin) and returns the key.
func newUserKey(t *testing.T, iam func(*testing.T, string) string, name string) sigv4.Credentials {
	t.Helper()
	iam(t, "Action=CreateUser&Version=2010-05-08&UserName="+name)
	out := iam(t, "Action=CreateAccessKey&Version=2010-05-08&UserName="+name)
	return sigv4.Credentials{AccessKeyID: textBetween(out, "<AccessKeyId>", "<"), SecretAccessKey: textBetween(out, "<SecretAccessKey>", "<")}
}
