package node

import (
	"net/http"
	"net/url"
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

// adminIAM sends an IAM Query request to n as admin and fails the test
// unless it succeeds; it returns the response body.
func adminIAM(t *testing.T, n *Node, admin sigv4.Credentials, body string) string {
	t.Helper()
	code, out := signedPostTo(t, http.DefaultClient, n.URL(), "iam", admin, body)
	if code != 200 {
		t.Fatalf("%s: %d %s", body, code, out)
	}
	return out
}

// allowUser replaces the user's inline policy name with one holding
// statements (JSON objects), through iam.
func allowUser(t *testing.T, iam func(*testing.T, string) string, user, name string, statements ...string) {
	t.Helper()
	policy := `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
	iam(t, "Action=PutUserPolicy&Version=2010-05-08&UserName="+user+"&PolicyName="+name+"&PolicyDocument="+url.QueryEscape(policy))
}
