package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/s3/gateway"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// newNullEnv is an env with two null backends: one serving alpha and
// beta*, the other every other bucket.
func newNullEnv(t testing.TB) (*env, *nullS3, *nullS3) {
	t.Helper()
	n1 := newNullS3(t, "alpha", "beta-1", "gamma")
	n2 := newNullS3(t, "alpha", "gamma", "delta")
	e := newEnv(t, n1.backend("one", "alpha", "beta*"), n2.backend("two", "*"))
	return e, n1, n2
}

func TestObjectsThroughGateway(t *testing.T) {
	e, n1, _ := newNullEnv(t)
	ctx := context.Background()
	c := e.client("alice")
	const key = "dir/a b+c&d€.txt"
	data := []byte("hello, gateway")
	// An unseekable body: the SDK streams it aws-chunked with a CRC32
	// trailer.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("alpha"), Key: aws.String(key),
		Body: struct{ io.Reader }{bytes.NewReader(data)}, ContentLength: aws.Int64(int64(len(data))), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if mode := e.payloadMode(); mode != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" {
		t.Errorf("the SDK sent x-amz-content-sha256 %q, want the trailer checksum mode", mode)
	}
	got, ok := n1.object("alpha/" + key)
	if !ok || !bytes.Equal(got, data) {
		t.Fatalf("backend object = %q (%v), want %q", got, ok, data)
	}
	seen := n1.lastSeen()
	if want := "/alpha/dir/a%20b%2Bc%26d%E2%82%AC.txt"; seen.Path != want {
		t.Errorf("backend path = %q, want %q", seen.Path, want)
	}
	if v := seen.Header.Get("X-Amz-Security-Token"); v != "" {
		t.Errorf("backend got the client's session token")
	}
	// The trailing checksum goes on to the backend, which checks it too.
	if got := seen.Header.Get("X-Amz-Content-Sha256") + " " + seen.Header.Get("X-Amz-Trailer"); got != "STREAMING-UNSIGNED-PAYLOAD-TRAILER x-amz-checksum-crc32" {
		t.Errorf("backend got payload and trailer %q", got)
	}
	rec := e.audit.last()
	if rec.Category != request.CategoryData || rec.Action != "PutObject" || rec.BytesIn != int64(len(data)) || rec.Status != 200 {
		t.Errorf("record = category %q action %q bytesIn %d status %d", rec.Category, rec.Action, rec.BytesIn, rec.Status)
	}
	wantRes := []request.Resource{{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::alpha"}, {Type: "AWS::S3::Object", ARN: "arn:aws:s3:::alpha/" + key}}
	if diff := cmp.Diff(wantRes, rec.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if rec.Details["SignatureVersion"] != "SigV4" || rec.Details["AuthenticationMethod"] != "AuthHeader" || rec.Details["CipherSuite"] == "" {
		t.Errorf("details = %v", rec.Details)
	}
	if rec.ResponseElements["x-amz-version-id"] != "v1" {
		t.Errorf("response elements = %v", rec.ResponseElements)
	}
	if rec.RequestParameters["bucketName"] != "alpha" || rec.RequestParameters["key"] != key {
		t.Errorf("request parameters = %v", rec.RequestParameters)
	}

	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("alpha"), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(body, data) {
		t.Errorf("GetObject body = %q, want %q", body, data)
	}
	if rec := e.audit.last(); rec.BytesOut != int64(len(data)) || rec.Effect != request.ReadOnly {
		t.Errorf("GetObject record bytesOut %d effect %v", rec.BytesOut, rec.Effect)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("alpha"), Key: aws.String(key)})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(data)) {
		t.Fatalf("HeadObject = %v, %v", head, err)
	}
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("alpha"), Prefix: aws.String("dir/")}); err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if seen := n1.lastSeen(); !strings.Contains(seen.RawQuery, "list-type=2") || !strings.Contains(seen.RawQuery, "prefix=dir%2F") {
		t.Errorf("backend query = %q", seen.RawQuery)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("alpha"), Key: aws.String(key)}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if _, ok := n1.object("alpha/" + key); ok {
		t.Errorf("object still there after DeleteObject")
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("alpha"), Key: aws.String(key)})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Fatalf("GetObject after delete = %v, want NoSuchKey", err)
	}
	if rec := e.audit.last(); rec.ErrorCode != "NoSuchKey" || rec.Status != 404 {
		t.Errorf("record of a backend error = %d %q", rec.Status, rec.ErrorCode)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("beta-1"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if seen := n1.lastSeen(); !strings.Contains(string(seen.Body), "eu-west-1") {
		t.Errorf("CreateBucket body at the backend = %q", seen.Body)
	}
}

func TestBackendErrorPassesThrough(t *testing.T) {
	e, _, _ := newNullEnv(t)
	resp, body := e.do(t, "GET", "/alpha/missing", nil, nil, e.keys["alice"], sigv4.SignOptions{})
	if resp.StatusCode != 404 || errorCode(body) != "NoSuchKey" || !strings.Contains(body, "backend says NoSuchKey") {
		t.Errorf("answer = %d %s", resp.StatusCode, body)
	}
	if id := resp.Header.Get("X-Amz-Request-Id"); id == "" || id == "BACKENDREQUESTID" || id != e.audit.last().RequestID {
		t.Errorf("x-amz-request-id = %q, want the gateway's (%q)", id, e.audit.last().RequestID)
	}
	if resp.Header.Get("X-Amz-Id-2") == "" {
		t.Errorf("no x-amz-id-2")
	}
}

func TestListBucketsMerges(t *testing.T) {
	e, _, _ := newNullEnv(t)
	out, err := e.client("alice").ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	sort.Strings(names)
	// alpha and beta-1 from backend one; gamma from one is not served by
	// it (two serves it), alpha from two is one's.
	if diff := cmp.Diff([]string{"alpha", "beta-1", "delta", "gamma"}, names); diff != "" {
		t.Errorf("buckets (-want +got):\n%s", diff)
	}
	if got := aws.ToString(out.Owner.ID); got != acct {
		t.Errorf("owner = %q, want %q", got, acct)
	}
}

func TestBackendUnreachable(t *testing.T) {
	n := newNullS3(t, "alpha")
	b := n.backend("gone", "*")
	n.srv.Close()
	e := newEnv(t, b)
	resp, body := e.do(t, "GET", "/alpha/k", nil, nil, e.keys["alice"], sigv4.SignOptions{})
	if resp.StatusCode != 503 || errorCode(body) != "ServiceUnavailable" || !strings.Contains(body, "<RequestId>") {
		t.Errorf("answer = %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, backendSecret) || strings.Contains(body, "127.0.0.1") {
		t.Errorf("answer leaks detail: %s", body)
	}
}

func TestAuditFailureRefuses(t *testing.T) {
	e, n1, _ := newNullEnv(t)
	n1.objects["alpha/k"] = []byte("data")
	e.audit.setFail(true)
	resp, body := e.do(t, "GET", "/alpha/k", nil, nil, e.keys["alice"], sigv4.SignOptions{})
	if resp.StatusCode != 503 || errorCode(body) != "ServiceUnavailable" || strings.Contains(body, "data") {
		t.Errorf("answer = %d %s", resp.StatusCode, body)
	}
}

func TestPresigned(t *testing.T) {
	e, n1, _ := newNullEnv(t)
	n1.objects["alpha/p/k"] = []byte("presigned")
	u := e.presign(t, "GET", "/alpha/p/k?versionId=v1", e.keys["alice"], nowUTC(), 3600e9)
	resp, body := e.send(t, mustRequest(t, "GET", u, nil))
	if resp.StatusCode != 200 || body != "presigned" {
		t.Fatalf("presigned GET = %d %s", resp.StatusCode, body)
	}
	q, _ := url.ParseQuery(n1.lastSeen().RawQuery)
	if q.Get("X-Amz-Signature") != "" || q.Get("X-Amz-Credential") != "" || q.Get("versionId") != "v1" {
		t.Errorf("backend query = %q", n1.lastSeen().RawQuery)
	}
	if rec := e.audit.last(); rec.Details["AuthenticationMethod"] != "QueryString" {
		t.Errorf("details = %v", rec.Details)
	}
	if _, ok := e.audit.last().RequestParameters["X-Amz-Signature"]; ok {
		t.Errorf("the signature entered the audit record")
	}
	put := e.presign(t, "PUT", "/alpha/p/up", e.keys["alice"], nowUTC(), 3600e9)
	resp, body = e.send(t, mustRequest(t, "PUT", put, []byte("uploaded")))
	if resp.StatusCode != 200 {
		t.Fatalf("presigned PUT = %d %s", resp.StatusCode, body)
	}
	if got, _ := n1.object("alpha/p/up"); string(got) != "uploaded" {
		t.Errorf("stored %q", got)
	}
}

func mustRequest(t testing.TB, method, u string, body []byte) *http.Request {
	t.Helper()
	var r io.Reader = http.NoBody
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, r)
	must(t, err)
	return req
}

func TestNewRefusesBadConfig(t *testing.T) {
	p := &request.Pipeline{}
	if _, err := gateway.New(gateway.Config{Pipeline: p}); err == nil {
		t.Errorf("New accepted a pipeline without steps")
	}
}

// TestSecretsStayOut: neither the backend's secret nor the client's
// signature or session token reaches the logs, the audit records or the
// answers, also when the backend fails.
func TestSecretsStayOut(t *testing.T) {
	var logs bytes.Buffer
	n := newNullS3(t, "alpha")
	gone := newNullS3(t, "beta-1")
	goneBackend := gone.backend("gone", "beta*")
	gone.srv.Close()
	e := newEnvConfig(t, func(c *gateway.Config) { c.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) },
		goneBackend, n.backend("null", "*"))
	session := e.session(t, time.Now().Add(-time.Minute), time.Hour)
	var answers strings.Builder
	for _, p := range []string{"/alpha/missing", "/beta-1/k", "/alpha/k"} {
		_, body := e.do(t, "GET", p, nil, nil, session, sigv4.SignOptions{})
		answers.WriteString(body)
	}
	_, body := e.send(t, mustRequest(t, "GET", e.presign(t, "GET", "/alpha/k", session, time.Now(), time.Hour), nil))
	answers.WriteString(body)
	const sseKey = "c2VjcmV0LWN1c3RvbWVyLWtleS0zMi1ieXRlcy0wMDA="
	_, body = e.send(t, mustRequest(t, "GET", e.presign(t, "GET", "/alpha/k?x-amz-server-side-encryption-customer-key="+url.QueryEscape(sseKey), session, time.Now(), time.Hour), nil))
	answers.WriteString(body)
	records := fmt.Sprintf("%+v", e.audit.recs)
	for _, secret := range []string{backendSecret, session.SecretAccessKey, session.SessionToken, sseKey} {
		for where, text := range map[string]string{"logs": logs.String(), "records": records, "answers": answers.String()} {
			if strings.Contains(text, secret) {
				t.Errorf("a secret reached the %s", where)
			}
		}
	}
	if !strings.Contains(logs.String(), "backend unreachable") {
		t.Errorf("the unreachable backend was not logged: %s", logs.String())
	}
}

// TestExpectedBucketOwner: the gateway's account owns every bucket; the
// header is answered here, never compared by the backend with its own.
func TestExpectedBucketOwner(t *testing.T) {
	e, n1, _ := newNullEnv(t)
	n1.objects["alpha/k"] = []byte("v")
	c := e.client("alice")
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("alpha"), Key: aws.String("k"), ExpectedBucketOwner: aws.String(acct)})
	if err != nil {
		t.Fatalf("GetObject with the right owner: %v", err)
	}
	out.Body.Close()
	if v := n1.lastSeen().Header.Get("X-Amz-Expected-Bucket-Owner"); v != "" {
		t.Errorf("the backend got x-amz-expected-bucket-owner %q", v)
	}
	_, err = c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("alpha"), Key: aws.String("k"), ExpectedBucketOwner: aws.String("210987654321")})
	if got := apiCode(err); got != "AccessDenied" {
		t.Errorf("GetObject with another owner = %s, want AccessDenied", got)
	}
}

func TestListBucketsPages(t *testing.T) {
	e, _, _ := newNullEnv(t)
	c := e.client("alice")
	var names []string
	p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, b := range out.Buckets {
			names = append(names, aws.ToString(b.Name))
		}
	}
	if diff := cmp.Diff([]string{"alpha", "beta-1", "delta", "gamma"}, names); diff != "" || pages != 2 {
		t.Errorf("%d pages, buckets (-want +got):\n%s", pages, diff)
	}
	_, err := c.ListBuckets(context.Background(), &s3.ListBucketsInput{ContinuationToken: aws.String("!!")})
	if got := apiCode(err); got != "InvalidArgument" {
		t.Errorf("bad token = %s, want InvalidArgument", got)
	}
}

// TestStoreSpecificHeadersStay: a header only one store reads, which
// Brevet cannot authorize (MinIO's x-minio-force-delete deletes a bucket
// with all its objects under the backend's own key), is not forwarded.
func TestStoreSpecificHeadersStay(t *testing.T) {
	e, n1, _ := newNullEnv(t)
	n1.objects["alpha/k"] = []byte("v")
	h := http.Header{"X-Minio-Force-Delete": {"true"}, "X-Minio-Source-Replication-Request": {"true"}}
	if resp, body := e.do(t, "GET", "/alpha/k", h, nil, e.keys["alice"], sigv4.SignOptions{}); resp.StatusCode != 200 {
		t.Fatalf("GET = %d %s", resp.StatusCode, body)
	}
	for k := range n1.lastSeen().Header {
		if strings.HasPrefix(k, "X-Minio-") {
			t.Errorf("the backend got %s", k)
		}
	}
}
