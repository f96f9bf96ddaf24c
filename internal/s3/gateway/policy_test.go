package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "not an API error: " + err.Error()
	}
	return ""
}

func userARN(name string) string { return "arn:aws:iam::" + acct + ":user/" + name }

func (e *env) putPolicy(t *testing.T, bucket, doc string) {
	t.Helper()
	if _, err := e.client("alice").PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}); err != nil {
		t.Fatalf("PutBucketPolicy %s: %v", bucket, err)
	}
}

func TestBucketPolicies(t *testing.T) {
	e, n1, _ := newNullEnv(t)
	ctx := context.Background()
	for _, k := range []string{"k", "secret/x", "public/p", "locked/l"} {
		n1.objects["alpha/"+k] = []byte("v")
	}
	get := func(user, key string) int {
		resp, _ := e.do(t, "GET", "/alpha/"+key, nil, nil, e.keys[user], sigv4.SignOptions{})
		return resp.StatusCode
	}
	if got := get("bob", "k"); got != 403 {
		t.Fatalf("bob before any policy: %d, want 403", got)
	}
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"` + userARN("bob") + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::alpha/*"},
		{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::alpha/public/*"},
		{"Effect":"Deny","Principal":{"AWS":"` + userARN("bob") + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::alpha/secret/*"},
		{"Effect":"Deny","NotPrincipal":{"AWS":["` + userARN("alice") + `","arn:aws:iam::` + acct + `:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::alpha/locked/*"}]}`
	// A Deny with NotPrincipal excludes a user only when it lists the
	// user's account too, as AWS evaluates it.
	before := n1.count()
	e.putPolicy(t, "alpha", doc)
	if seen := n1.lastSeen(); n1.count() != before+1 || seen.Method != "HEAD" || seen.Path != "/alpha" {
		t.Errorf("PutBucketPolicy reached the backend as %s %s (%d requests), want only HeadBucket", seen.Method, seen.Path, n1.count()-before)
	}
	tests := []struct {
		user, key string
		want      int
	}{
		{"bob", "k", 200},
		{"bob", "secret/x", 403},
		{"", "public/p", 200},
		{"", "k", 403},
		{"carol", "locked/l", 403},
		{"carol", "k", 200},
		{"alice", "locked/l", 200},
	}
	for _, tt := range tests {
		if got := get(tt.user, tt.key); got != tt.want {
			t.Errorf("%q GET %s = %d, want %d", tt.user, tt.key, got, tt.want)
		}
	}
	c := e.client("alice")
	out, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("alpha")})
	if err != nil || !strings.Contains(aws.ToString(out.Policy), "NotPrincipal") {
		t.Errorf("GetBucketPolicy = %v, %v", out, err)
	}
	st, err := c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("alpha")})
	if err != nil || !aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Errorf("GetBucketPolicyStatus = %v, %v", st, err)
	}
	_, err = e.client("bob").PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("alpha"), Policy: aws.String(doc)})
	if got := apiCode(err); got != "AccessDenied" {
		t.Errorf("bob PutBucketPolicy = %s, want AccessDenied", got)
	}
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("alpha"), Policy: aws.String(`{"Statement":"nope"}`)})
	if got := apiCode(err); got != "MalformedPolicy" {
		t.Errorf("malformed PutBucketPolicy = %s, want MalformedPolicy", got)
	}
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("beta-9"), Policy: aws.String(doc)})
	if got := apiCode(err); got != "NoSuchBucket" {
		t.Errorf("PutBucketPolicy on a missing bucket = %s, want NoSuchBucket", got)
	}
	if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("alpha")}); err != nil {
		t.Errorf("DeleteBucketPolicy: %v", err)
	}
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("alpha")})
	if got := apiCode(err); got != "NoSuchBucketPolicy" {
		t.Errorf("GetBucketPolicy after delete = %s, want NoSuchBucketPolicy", got)
	}
	if got := get("bob", "k"); got != 403 {
		t.Errorf("bob after the policy was deleted: %d, want 403", got)
	}
}

func TestIdentityDenyOnPrefix(t *testing.T) {
	e, _, _ := newNullEnv(t)
	c := e.client("carol")
	_, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("alpha"), Prefix: aws.String("secret/")})
	if got := apiCode(err); got != "AccessDenied" {
		t.Errorf("ListObjectsV2 secret/ = %s, want AccessDenied", got)
	}
	if _, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("alpha"), Prefix: aws.String("pub/")}); err != nil {
		t.Errorf("ListObjectsV2 pub/ = %v", err)
	}
}

// TestCopyObject: a copy needs s3:GetObject on its source, granted by the
// SOURCE bucket's policy, and s3:PutObject on its target.
func TestCopyObject(t *testing.T) {
	e, n1, _ := newNullEnv(t)
	ctx := context.Background()
	n1.objects["beta-1/src"] = []byte("source")
	e.putPolicy(t, "alpha", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+userARN("bob")+`"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::alpha/*"}]}`)
	in := &s3.CopyObjectInput{Bucket: aws.String("alpha"), Key: aws.String("dst"), CopySource: aws.String("beta-1/src")}
	_, err := e.client("bob").CopyObject(ctx, in)
	if got := apiCode(err); got != "AccessDenied" {
		t.Fatalf("copy without GetObject on the source = %s, want AccessDenied", got)
	}
	e.putPolicy(t, "beta-1", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+userARN("bob")+`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::beta-1/*"}]}`)
	if _, err := e.client("bob").CopyObject(ctx, in); err != nil {
		t.Fatalf("copy with both policies: %v", err)
	}
	if seen := n1.lastSeen(); seen.Header.Get("X-Amz-Copy-Source") != "beta-1/src" || seen.Path != "/alpha/dst" {
		t.Errorf("backend got %s with copy source %q", seen.Path, seen.Header.Get("X-Amz-Copy-Source"))
	}
	wantRes := []request.Resource{
		{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::alpha"}, {Type: "AWS::S3::Object", ARN: "arn:aws:s3:::alpha/dst"},
		{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::beta-1"}, {Type: "AWS::S3::Object", ARN: "arn:aws:s3:::beta-1/src"},
	}
	if diff := cmp.Diff(wantRes, e.audit.last().Resources); diff != "" {
		t.Errorf("copy's resources (-want +got):\n%s", diff)
	}
	_, err = e.client("alice").CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("alpha"), Key: aws.String("x"), CopySource: aws.String("delta/src")})
	if got := apiCode(err); got != "NotImplemented" {
		t.Errorf("copy across backends = %s, want NotImplemented", got)
	}
}

func TestDeleteObjects(t *testing.T) {
	e, n1, _ := newNullEnv(t)
	ctx := context.Background()
	for _, k := range []string{"tmp/1", "tmp/2", "keep/1"} {
		n1.objects["alpha/"+k] = []byte("v")
	}
	e.putPolicy(t, "alpha", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+userARN("bob")+`"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::alpha/tmp/*"}]}`)
	del := func(keys ...string) (*s3.DeleteObjectsOutput, error) {
		var ids []types.ObjectIdentifier
		for _, k := range keys {
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
		}
		return e.client("bob").DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("alpha"), Delete: &types.Delete{Objects: ids}})
	}
	out, err := del("tmp/1", "keep/1", "tmp/2")
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 2 || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Key) != "keep/1" || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Errorf("DeleteObjects = deleted %d, errors %+v", len(out.Deleted), out.Errors)
	}
	if _, ok := n1.object("alpha/keep/1"); !ok {
		t.Errorf("keep/1 was deleted")
	}
	if rec := e.audit.last(); rec.Refused != 1 || rec.ErrorCode != "" || fmt.Sprint(rec.ResponseElements["refusedKeys"]) != "[keep/1]" {
		t.Errorf("the DeleteObjects was audited with %d refused keys (error %q, elements %v), want keep/1: a refusal, recorded whatever the selectors say", rec.Refused, rec.ErrorCode, rec.ResponseElements)
	}
	if body := string(n1.lastSeen().Body); strings.Contains(body, "keep/1") || !strings.Contains(body, "tmp/2") {
		t.Errorf("backend got %s", body)
	}
	before := n1.count()
	out, err = del("keep/1", "keep/../tmp/1")
	if err != nil || len(out.Errors) != 2 || len(out.Deleted) != 0 {
		t.Errorf("DeleteObjects of denied keys = %+v, %v", out, err)
	}
	if n1.count() != before {
		t.Errorf("the backend was called for a DeleteObjects with no allowed key")
	}
	var big strings.Builder
	big.WriteString("<Delete>")
	for range 1001 {
		big.WriteString("<Object><Key>k</Key></Object>")
	}
	big.WriteString("</Delete>")
	resp, body := e.do(t, "POST", "/alpha?delete", http.Header{"Content-Type": {"application/xml"}}, []byte(big.String()), e.keys["alice"], sigv4.SignOptions{})
	if resp.StatusCode != 400 || errorCode(body) != "MalformedXML" {
		t.Errorf("1,001 keys = %d %s", resp.StatusCode, body)
	}
}

// TestBucketPolicyOpsOwnerOnly: as in S3, only the bucket owner's account
// may read, replace or delete a bucket policy, whatever the policy
// grants: a bucket open to everyone for s3:* does not let anyone rewrite
// its policy (S3 answers 405 MethodNotAllowed).
func TestBucketPolicyOpsOwnerOnly(t *testing.T) {
	e, _, _ := newNullEnv(t)
	open := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::alpha","arn:aws:s3:::alpha/*"]}]}`
	e.putPolicy(t, "alpha", open)
	anon := sigv4.Credentials{}
	tests := []struct {
		method string
		body   []byte
		want   int
	}{
		{"PUT", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::alpha/*"}]}`), 405},
		{"GET", nil, 405},
		{"DELETE", nil, 405},
	}
	for _, tt := range tests {
		resp, body := e.do(t, tt.method, "/alpha?policy", nil, tt.body, anon, sigv4.SignOptions{})
		if resp.StatusCode != tt.want || errorCode(body) != "MethodNotAllowed" {
			t.Errorf("anonymous %s ?policy = %d %s, want %d MethodNotAllowed", tt.method, resp.StatusCode, body, tt.want)
		}
	}
	out, err := e.client("alice").GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: aws.String("alpha")})
	if err != nil || aws.ToString(out.Policy) != open {
		t.Errorf("the owner's GetBucketPolicy = %v, %v; want the policy unchanged", out, err)
	}
}
