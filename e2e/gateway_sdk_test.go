package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// createBucket makes a bucket through the gateway as the admin.
func createBucket(t *testing.T, b *brevet, prefix string) string {
	t.Helper()
	bucket := bucketName(t, prefix)
	if _, err := b.s3Via(b.goAdmin(t)).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket %s through the gateway: %v", bucket, err)
	}
	return bucket
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	return data
}

// boto3 through the gateway: a threaded multipart upload_file and
// download_file, and presigned URLs fetched with urllib (GET, PUT, expired,
// changed query). Current boto3 sends CRC32 checksums by default, in an
// aws-chunked trailer for uploads: kept.
func TestGatewayBoto3(t *testing.T) {
	t.Parallel()
	need(t, "python3 with boto3", haveBoto3())
	b := sharedGateway(t)
	bucket := createBucket(t, b, "boto3")
	wd, _ := os.Getwd()
	c := newClient(t, b).with("AWS_ENDPOINT_URL_S3="+b.S3URL, "E2E_BUCKET="+bucket, "E2E_TMP="+t.TempDir())
	out, err := c.exec("python3", wd+"/testdata/gateway_boto3.py")
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3 scenario: %v\n%s", err, out)
	}
	if ok, size, etag := inBackend(t, bucket, "py/big.bin"); !ok || size != 24<<20 || !strings.HasSuffix(etag, `-3"`) {
		t.Errorf("py/big.bin in the store: present %v, %d bytes, ETag %s; want 24 MiB in 3 parts", ok, size, etag)
	}
	if got := string(backendObject(t, bucket, "py/put.txt")); got != "put through a presigned URL" {
		t.Errorf("py/put.txt in the store: %q", got)
	}
}

// aws-sdk-go-v2's S3 client and upload manager through the gateway, as an
// IAM user whose policy allows the bucket but denies deleting one key.
func TestGatewayGoSDK(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := sharedGateway(t)
	bucket := createBucket(t, b, "gosdk")
	ic := iam.NewFromConfig(b.goAdmin(t))
	user := aws.String("gateway-go-user")
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: user}); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"]},
		{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::` + bucket + `/del/keep"}]}`
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("bucket"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})
	if err != nil {
		t.Fatal(err)
	}
	sc := b.s3Via(b.goConfig(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""))

	small := randomBytes(t, 1000)
	put, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("src.bin"), Body: bytes.NewReader(small)})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if got := backendObject(t, bucket, "src.bin"); !bytes.Equal(got, small) {
		t.Errorf("src.bin in the store: %d bytes, want the %d put", len(got), len(small))
	}

	big := randomBytes(t, 16<<20)
	//lint:ignore SA1019 the issue asks for the upload manager; transfermanager is its successor
	up, err := manager.NewUploader(sc, func(u *manager.Uploader) { u.PartSize = 5 << 20; u.Concurrency = 3 }).
		Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("big.bin"), Body: bytes.NewReader(big)})
	if err != nil {
		t.Fatalf("manager upload: %v", err)
	}
	if up.UploadID == "" {
		t.Errorf("the manager did not upload 16 MiB in parts")
	}
	if ok, size, etag := inBackend(t, bucket, "big.bin"); !ok || size != 16<<20 || !strings.HasSuffix(etag, `-4"`) {
		t.Errorf("big.bin in the store: present %v, %d bytes, ETag %s; want 16 MiB in 4 parts", ok, size, etag)
	}

	if _, err := sc.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy.bin"),
		CopySource: aws.String(bucket + "/src.bin")}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if got := backendObject(t, bucket, "copy.bin"); !bytes.Equal(got, small) {
		t.Errorf("copy.bin in the store: %d bytes, want a copy of src.bin", len(got))
	}

	head, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("src.bin")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToInt64(head.ContentLength) != 1000 || aws.ToString(head.ETag) != aws.ToString(put.ETag) {
		t.Errorf("HeadObject: %d bytes, ETag %s; want 1000, %s", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), aws.ToString(put.ETag))
	}
	_, err = sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("absent")})
	var nf *s3types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("HeadObject of an absent key: %v, want NotFound", err)
	}

	rg, err := sc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big.bin"), Range: aws.String("bytes=1048570-1048589")})
	if err != nil {
		t.Fatalf("GetObject with Range: %v", err)
	}
	part, err := io.ReadAll(rg.Body)
	rg.Body.Close()
	if err != nil || !bytes.Equal(part, big[1048570:1048590]) || aws.ToString(rg.ContentRange) != "bytes 1048570-1048589/16777216" {
		t.Errorf("GetObject with Range: %v, %d bytes, Content-Range %q; want bytes 1048570-1048589 of 16 MiB", err, len(part), aws.ToString(rg.ContentRange))
	}
	whole, err := sc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big.bin")})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	_, err = io.Copy(h, whole.Body)
	whole.Body.Close()
	if want := sha256.Sum256(big); err != nil || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Errorf("GetObject big.bin: %v, SHA-256 %x; want %s", err, h.Sum(nil), hex.EncodeToString(want[:]))
	}

	for _, k := range []string{"dir/a", "dir/sub/b", "dir/sub/c", "top"} {
		if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	ls, err := sc.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("dir/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	var keys, prefixes []string
	for _, o := range ls.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	for _, p := range ls.CommonPrefixes {
		prefixes = append(prefixes, aws.ToString(p.Prefix))
	}
	if !slices.Equal(keys, []string{"dir/a"}) || !slices.Equal(prefixes, []string{"dir/sub/"}) {
		t.Errorf("ListObjectsV2 prefix dir/ delimiter /: keys %v, common prefixes %v; want [dir/a], [dir/sub/]", keys, prefixes)
	}

	t.Run("DeleteObjects authorizes each key", func(t *testing.T) {
		for _, k := range []string{"del/a", "del/keep", "del/b"} {
			if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
				t.Fatal(err)
			}
		}
		out, err := sc.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{
			{Key: aws.String("del/a")}, {Key: aws.String("del/keep")}, {Key: aws.String("del/b")}}}})
		if err != nil {
			t.Fatalf("DeleteObjects: %v", err)
		}
		var deleted, failed []string
		for _, d := range out.Deleted {
			deleted = append(deleted, aws.ToString(d.Key))
		}
		for _, e := range out.Errors {
			failed = append(failed, aws.ToString(e.Key)+":"+aws.ToString(e.Code))
		}
		slices.Sort(deleted)
		if !slices.Equal(deleted, []string{"del/a", "del/b"}) || !slices.Equal(failed, []string{"del/keep:AccessDenied"}) {
			t.Errorf("DeleteObjects: deleted %v, errors %v; want [del/a del/b], [del/keep:AccessDenied]", deleted, failed)
		}
		for k, want := range map[string]bool{"del/a": false, "del/keep": true, "del/b": false} {
			if ok, _, _ := inBackend(t, bucket, k); ok != want {
				t.Errorf("%s in the store after DeleteObjects: %v, want %v", k, ok, want)
			}
		}
		// Alone, the denied key is refused as DeleteObject.
		_, err = sc.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("del/keep")})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
			t.Errorf("DeleteObject del/keep: %v, want AccessDenied", err)
		}
	})
}

// The AWS SDK for JavaScript v3 (client-s3 and lib-storage) through the
// gateway.
func TestGatewayJS(t *testing.T) {
	t.Parallel()
	wd, _ := os.Getwd()
	_, statErr := os.Stat(jsS3)
	need(t, "node with e2e/js/node_modules holding @aws-sdk/client-s3 and lib-storage (npm ci --prefix e2e/js)", have("node") && statErr == nil)
	b := sharedGateway(t)
	bucket := createBucket(t, b, "js")
	c := newClient(t, b).with("E2E_S3_ENDPOINT="+b.S3URL, "E2E_BUCKET="+bucket)
	out, err := c.exec("node", wd+"/js/s3.mjs")
	sum, ok := strings.CutPrefix(strings.TrimSpace(out), "ok ")
	if err != nil || !ok {
		t.Fatalf("JavaScript scenario: %v\n%s", err, out)
	}
	if got := sha256.Sum256(backendObject(t, bucket, "js/big.bin")); hex.EncodeToString(got[:]) != sum {
		t.Errorf("js/big.bin in the store: SHA-256 %x, want %s", got, sum)
	}
	if _, _, etag := inBackend(t, bucket, "js/big.bin"); !strings.HasSuffix(etag, `-3"`) {
		t.Errorf("js/big.bin in the store: ETag %s, want a 3-part upload", etag)
	}
}

// A bucket policy granting "Principal": "*" s3:GetObject on public/* lets
// unsigned requests read there, and nowhere else, and never write.
func TestGatewayAnonymous(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := sharedGateway(t)
	bucket := createBucket(t, b, "anon")
	admin := b.s3Via(b.goAdmin(t))
	for _, k := range []string{"public/x", "private/y"} {
		if _, err := admin.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("content of " + k)}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(method, path string, body io.Reader) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, b.S3URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, data
	}
	denied := func(what string, status int, body []byte) {
		t.Helper()
		if e := parseS3Error(status, body); status != 403 || e.Code != "AccessDenied" || e.RequestID == "" {
			t.Errorf("%s: %d %s; want 403 AccessDenied with a request id", what, status, body)
		}
	}

	// Before the policy, nothing is public.
	status, body := get("GET", "/"+bucket+"/public/x", nil)
	denied("unsigned GET public/x without a policy", status, body)

	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/public/*"}]}`
	if _, err := admin.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	status, body = get("GET", "/"+bucket+"/public/x", nil)
	if status != 200 || string(body) != "content of public/x" {
		t.Errorf("unsigned GET public/x: %d %q; want 200 and the object", status, body)
	}
	status, body = get("GET", "/"+bucket+"/private/y", nil)
	denied("unsigned GET private/y", status, body)
	status, body = get("GET", "/"+bucket+"?list-type=2", nil)
	denied("unsigned ListObjectsV2", status, body)
	status, body = get("PUT", "/"+bucket+"/public/z", strings.NewReader("anonymous write"))
	denied("unsigned PUT public/z", status, body)
	if ok, _, _ := inBackend(t, bucket, "public/z"); ok {
		t.Error("the refused anonymous PUT reached the store")
	}
	status, body = get("DELETE", "/"+bucket+"/public/x", nil)
	denied("unsigned DELETE public/x", status, body)

	if _, err := admin.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	status, body = get("GET", "/"+bucket+"/public/x", nil)
	denied("unsigned GET public/x after the policy was deleted", status, body)
}

// With --s3-domain, buckets are addressed virtual-hosted
// (BUCKET.s3.e2e.test) as well as path-style; the SDK's requests are
// dialled to the gateway whatever the host name.
func TestGatewayVirtualHosted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := startGateway(t, "--s3-domain", "s3.e2e.test")
	u, err := url.Parse(b.S3URL)
	if err != nil {
		t.Fatal(err)
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	cfg := b.goAdmin(t)
	cfg.HTTPClient = &http.Client{Transport: recordingTransport{next: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, u.Host)
		},
	}}}
	vc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String("http://s3.e2e.test:" + u.Port()) })
	bucket := bucketName(t, "vhost")
	if _, err := vc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket virtual-hosted: %v", err)
	}
	var host string
	if _, err := vc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b.txt"), Body: strings.NewReader("virtual")},
		s3.WithAPIOptions(func(st *middleware.Stack) error {
			return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("host", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if r, ok := in.Request.(*smithyhttp.Request); ok {
					host = r.URL.Host
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
		})); err != nil {
		t.Fatalf("PutObject virtual-hosted: %v", err)
	}
	if want := bucket + ".s3.e2e.test:" + u.Port(); host != want {
		t.Errorf("the SDK sent to %q, want %q (virtual-hosted)", host, want)
	}
	if got := string(backendObject(t, bucket, "a/b.txt")); got != "virtual" {
		t.Errorf("a/b.txt in the store: %q", got)
	}
	// Path-style on the same listener reaches the same object.
	out, err := b.s3Via(b.goAdmin(t)).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b.txt")})
	if err != nil {
		t.Fatalf("GetObject path-style: %v", err)
	}
	data, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(data) != "virtual" {
		t.Errorf("GetObject path-style: %q", data)
	}
}

// gatewayUser creates an IAM user with an inline policy (none if "") and
// returns an S3 client through the gateway signing as it, and its ARN.
func gatewayUser(t *testing.T, b *brevet, name, policy string) (*s3.Client, string) {
	t.Helper()
	ctx := context.Background()
	ic := iam.NewFromConfig(b.goAdmin(t))
	u, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if policy != "" {
		if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("s3"), PolicyDocument: aws.String(policy)}); err != nil {
			t.Fatal(err)
		}
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return b.s3Via(b.goConfig(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")), aws.ToString(u.User.Arn)
}

func isAccessDenied(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied"
}

// Decisions the gateway takes with the bucket's policy and the caller's:
// a Deny with NotPrincipal refuses everyone the policy does not name, and
// a Deny on s3:prefix refuses listing that prefix only.
func TestGatewayPolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := sharedGateway(t)
	bucket := createBucket(t, b, "policies")
	admin := b.s3Via(b.goAdmin(t))
	for _, k := range []string{"public/a", "secret/b"} {
		if _, err := admin.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	arn := "arn:aws:s3:::" + bucket
	reader, _ := gatewayUser(t, b, "gateway-policy-reader", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["`+arn+`","`+arn+`/*"]},
		{"Effect":"Deny","Action":"s3:ListBucket","Resource":"`+arn+`","Condition":{"StringLike":{"s3:prefix":"secret/*"}}}]}`)

	t.Run("Deny on s3:prefix", func(t *testing.T) {
		out, err := reader.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("public/")})
		if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "public/a" {
			t.Errorf("ListObjectsV2 prefix public/: %v; want public/a", err)
		}
		_, err = reader.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("secret/")})
		if !isAccessDenied(err) {
			t.Errorf("ListObjectsV2 prefix secret/: %v; want AccessDenied", err)
		}
	})

	t.Run("Deny with NotPrincipal", func(t *testing.T) {
		get := func(c *s3.Client) error {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("public/a")})
			if err == nil {
				out.Body.Close()
			}
			return err
		}
		if err := get(reader); err != nil {
			t.Fatalf("GetObject by the reader before the bucket policy: %v", err)
		}
		policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::` + b.Account + `:user/admin","arn:aws:iam::` + b.Account + `:root"]},"Action":"s3:GetObject","Resource":"` + arn + `/*"}]}`
		if _, err := admin.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)}); err != nil {
			t.Fatalf("PutBucketPolicy: %v", err)
		}
		if err := get(reader); !isAccessDenied(err) {
			t.Errorf("GetObject by a user the NotPrincipal does not name: %v; want AccessDenied", err)
		}
		if err := get(admin); err != nil {
			t.Errorf("GetObject by the admin the NotPrincipal names: %v", err)
		}
		if _, err := admin.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatal(err)
		}
		if err := get(reader); err != nil {
			t.Errorf("GetObject by the reader after the policy was deleted: %v", err)
		}
	})

	t.Run("bucket policy grants a user without an identity policy", func(t *testing.T) {
		other, otherARN := gatewayUser(t, b, "gateway-policy-other", "")
		_, err := other.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("public/a")})
		if !isAccessDenied(err) {
			t.Fatalf("GetObject with no policy at all: %v; want AccessDenied", err)
		}
		policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + otherARN + `"},"Action":"s3:GetObject","Resource":"` + arn + `/public/*"}]}`
		if _, err := admin.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)}); err != nil {
			t.Fatalf("PutBucketPolicy: %v", err)
		}
		out, err := other.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("public/a")})
		if err != nil {
			t.Fatalf("GetObject granted by the bucket policy: %v", err)
		}
		out.Body.Close()
		if _, err := other.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("secret/b")}); !isAccessDenied(err) {
			t.Errorf("GetObject outside the grant: %v; want AccessDenied", err)
		}
		// A grant to read is no grant to change the policy.
		if _, err := other.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}); !isAccessDenied(err) {
			t.Errorf("DeleteBucketPolicy by the grantee: %v; want AccessDenied", err)
		}
	})
}
