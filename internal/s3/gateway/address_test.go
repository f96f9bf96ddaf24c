package gateway_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/brevet-dev/brevet/internal/s3/gateway"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// TestVirtualHosted: clients address the gateway as bucket.domain, and
// the gateway addresses a VirtualHosted backend as bucket.host.
func TestVirtualHosted(t *testing.T) {
	n := newNullS3(t, "alpha")
	b := n.backend("vh", "*")
	b.VirtualHosted = true
	addr := n.srv.Listener.Addr().String()
	tr := gateway.NewTransport()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr) // bucket.127.0.0.1 resolves nowhere
	}
	e := newEnvConfig(t, func(c *gateway.Config) { c.Domains, c.Transport = []string{"s3.test"}, tr }, b)
	req, err := http.NewRequest("PUT", e.srv.URL+"/dir/k", bytes.NewReader([]byte("vh")))
	must(t, err)
	req.Host = "alpha.s3.test"
	s := &sigv4.Signer{Credentials: e.keys["alice"]}
	must(t, s.SignHTTP(req, []byte("vh"), sigv4.SignOptions{Region: region, Service: "s3", Time: time.Now(), S3PathRules: true, ContentSHA256Header: true}))
	resp, body := e.send(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("virtual-hosted PUT = %d %s", resp.StatusCode, body)
	}
	seen := n.lastSeen()
	if seen.Host != "alpha."+addr || seen.Path != "/dir/k" {
		t.Errorf("backend saw host %q path %q, want alpha.%s /dir/k", seen.Host, seen.Path, addr)
	}
	if got, _ := n.object("alpha/dir/k"); string(got) != "vh" {
		t.Errorf("stored %q", got)
	}
	if rec := e.audit.last(); rec.RequestParameters["bucketName"] != "alpha" || rec.RequestParameters["Host"] != "alpha.s3.test" {
		t.Errorf("request parameters = %v", rec.RequestParameters)
	}
}

// TestRequestConditionKeys: identity policies conditioned on S3's request
// keys (s3:authType, s3:TlsVersion, tags from the body, CreateBucket's
// location constraint) see the values the request carries.
func TestRequestConditionKeys(t *testing.T) {
	e, n1, _ := newNullEnv(t)
	ctx := context.Background()
	n1.objects["alpha/k"] = []byte("v")
	e.user(t, "dave", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::alpha/*","Condition":{"StringEquals":{"s3:authType":"REST-QUERY-STRING","s3:signatureversion":"AWS4-HMAC-SHA256"},"NumericLessThan":{"s3:signatureAge":"600000"},"NumericGreaterThanEquals":{"s3:TlsVersion":1.2}}},
		{"Effect":"Allow","Action":"s3:PutObjectTagging","Resource":"arn:aws:s3:::alpha/*","Condition":{"StringEquals":{"s3:RequestObjectTag/env":"dev"}}},
		{"Effect":"Allow","Action":"s3:CreateBucket","Resource":"*","Condition":{"StringEquals":{"s3:locationconstraint":"eu-west-1"}}}]}`)
	dave := e.keys["dave"]
	resp, _ := e.do(t, "GET", "/alpha/k", nil, nil, dave, sigv4.SignOptions{})
	if resp.StatusCode != 403 {
		t.Errorf("header-signed GET = %d, want 403 (only presigned allowed)", resp.StatusCode)
	}
	resp, body := e.send(t, mustRequest(t, "GET", e.presign(t, "GET", "/alpha/k", dave, time.Now(), time.Hour), nil))
	if resp.StatusCode != 200 {
		t.Errorf("presigned GET = %d %s, want 200", resp.StatusCode, body)
	}
	c := e.client("dave")
	tag := func(v string) error {
		_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("alpha"), Key: aws.String("k"),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("env"), Value: aws.String(v)}}}})
		return err
	}
	if err := tag("dev"); err != nil {
		t.Errorf("tagging env=dev: %v", err)
	}
	if got := apiCode(tag("prod")); got != "AccessDenied" {
		t.Errorf("tagging env=prod = %s, want AccessDenied", got)
	}
	create := func(lc types.BucketLocationConstraint) error {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("beta-new"),
			CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: lc}})
		return err
	}
	if err := create(types.BucketLocationConstraintEuWest1); err != nil {
		t.Errorf("CreateBucket in eu-west-1: %v", err)
	}
	if got := apiCode(create(types.BucketLocationConstraintApSouth1)); got != "AccessDenied" {
		t.Errorf("CreateBucket in ap-south-1 = %s, want AccessDenied", got)
	}
}

// TestAnonymous: an unsigned request is the anonymous principal, allowed
// only by a bucket policy, and cannot carry an aws-chunked body.
func TestAnonymous(t *testing.T) {
	e, n1, _ := newNullEnv(t)
	e.putPolicy(t, "alpha", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::alpha/drop/*"}]}`)
	resp, body := e.do(t, "PUT", "/alpha/drop/a", nil, []byte("anonymous"), sigv4.Credentials{}, sigv4.SignOptions{})
	if resp.StatusCode != 200 {
		t.Fatalf("anonymous PUT = %d %s", resp.StatusCode, body)
	}
	if rec := e.audit.last(); rec.Details["SignatureVersion"] != "" || rec.Status != 200 {
		t.Errorf("anonymous record details %v status %d", rec.Details, rec.Status)
	}
	h := http.Header{"X-Amz-Content-Sha256": {"STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, "Content-Encoding": {"aws-chunked"}}
	resp, body = e.do(t, "PUT", "/alpha/drop/b", h, []byte("9\r\nanonymous\r\n0\r\n\r\n"), sigv4.Credentials{}, sigv4.SignOptions{})
	if resp.StatusCode != 400 || errorCode(body) != "InvalidRequest" {
		t.Errorf("anonymous aws-chunked PUT = %d %s", resp.StatusCode, body)
	}
	if _, ok := n1.object("alpha/drop/b"); ok {
		t.Errorf("stored an unsigned aws-chunked body")
	}
	resp, body = e.do(t, "GET", "/", nil, nil, sigv4.Credentials{}, sigv4.SignOptions{})
	if resp.StatusCode != 403 || !strings.Contains(body, "AccessDenied") {
		t.Errorf("anonymous ListBuckets = %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(t, "HEAD", "/alpha/private", nil, nil, sigv4.Credentials{}, sigv4.SignOptions{})
	if resp.StatusCode != 403 || body != "" {
		t.Errorf("anonymous HEAD = %d %q, want 403 without a body", resp.StatusCode, body)
	}
}

// TestAnonymousBodyNotRead: an anonymous DeleteObjects on a bucket without
// a policy is refused before its body is read.
func TestAnonymousBodyNotRead(t *testing.T) {
	e, _, _ := newNullEnv(t)
	body := []byte("<Delete><Object><Key>k</Key></Object></Delete>")
	resp, text := e.do(t, "POST", "/alpha?delete", http.Header{"Content-Type": {"application/xml"}}, body, sigv4.Credentials{}, sigv4.SignOptions{})
	if resp.StatusCode != 403 || errorCode(text) != "AccessDenied" {
		t.Errorf("anonymous DeleteObjects = %d %s", resp.StatusCode, text)
	}
	if rec := e.audit.last(); rec.BytesIn != 0 {
		t.Errorf("read %d bytes of the body", rec.BytesIn)
	}
}
