//lint:file-ignore SA1019 feature/s3/manager is deprecated for transfermanager, but it is what most Go programs upload with today: the gateway must serve it.

package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/brevet-dev/brevet/internal/mototest"
	"github.com/brevet-dev/brevet/internal/s3/gateway"
)

// moto is one moto_server for the whole test binary, started by the first
// test that needs it and stopped by TestMain.
var moto mototest.Server

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// motoEnv is an env whose one backend is moto_server, and a client that
// calls moto directly (to check what the gateway did, behind its back).
func motoEnv(t *testing.T) (*env, *s3.Client) {
	t.Helper()
	base := moto.URL(t)
	endpoint, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, gateway.Backend{Name: "moto", Endpoint: endpoint, Region: region, Buckets: []string{"*"}})
	direct := s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(base), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(backendKey, backendSecret, ""), RetryMaxAttempts: 1})
	return e, direct
}

func randomBucket(t *testing.T) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "gw-" + hex.EncodeToString(b[:])
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func TestMotoObjects(t *testing.T) {
	e, direct := motoEnv(t)
	ctx := context.Background()
	c := e.client("alice")
	bucket := randomBucket(t)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	data := randomBytes(100 << 10)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b.bin"), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if rec := e.audit.last(); rec.BytesIn != int64(len(data)) {
		t.Errorf("PutObject bytesIn = %d, want %d", rec.BytesIn, len(data))
	}
	got := getDirect(t, direct, bucket, "dir/a b.bin")
	if !bytes.Equal(got, data) {
		t.Fatalf("moto holds %d bytes, want the %d sent", len(got), len(data))
	}
	// Unseekable: aws-chunked with a CRC32 trailer.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("streamed"),
		Body: struct{ io.Reader }{bytes.NewReader(data)}, ContentLength: aws.Int64(int64(len(data))), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32}); err != nil {
		t.Fatalf("streamed PutObject: %v", err)
	}
	if mode := e.payloadMode(); mode != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" {
		t.Errorf("the SDK sent x-amz-content-sha256 %q, want the trailer checksum mode", mode)
	}
	got = getDirect(t, direct, bucket, "streamed")
	if !bytes.Equal(got, data) {
		t.Fatalf("moto holds %d bytes, want the %d sent", len(got), len(data))
	}
	head, err := direct.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("streamed"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(head.ChecksumCRC32) != crc32Base64(data) {
		t.Errorf("moto's checksum of the streamed object = %q (%v), want %q", aws.ToString(head.ChecksumCRC32), err, crc32Base64(data))
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b.bin"), Range: aws.String("bytes=10-19")})
	if err != nil {
		t.Fatalf("ranged GetObject: %v", err)
	}
	part, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(part, data[10:20]) || aws.ToString(out.ContentRange) == "" || aws.ToString(out.ETag) != aws.ToString(put.ETag) {
		t.Errorf("ranged GetObject = %d bytes, Content-Range %q, ETag %q (put %q)", len(part), aws.ToString(out.ContentRange), aws.ToString(out.ETag), aws.ToString(put.ETag))
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: aws.String(bucket + "/dir/a b.bin")}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if got := getDirect(t, direct, bucket, "copy"); !bytes.Equal(got, data) {
		t.Errorf("copy holds %d bytes", len(got))
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(list.Contents) != 3 {
		t.Fatalf("ListObjectsV2 = %v, %v", list, err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy")}); err != nil {
		t.Errorf("HeadObject: %v", err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("missing")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("HeadObject of a missing key = %v, want NotFound", err)
	}
	buckets, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || !hasBucket(buckets.Buckets, bucket) {
		t.Errorf("ListBuckets = %v, %v", buckets, err)
	}
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("dir/a b.bin")}, {Key: aws.String("copy")}, {Key: aws.String("streamed")}}}})
	if err != nil || len(del.Deleted) != 3 {
		t.Fatalf("DeleteObjects = %v, %v", del, err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("DeleteBucket: %v", err)
	}
}

func hasBucket(bs []types.Bucket, name string) bool {
	for _, b := range bs {
		if aws.ToString(b.Name) == name {
			return true
		}
	}
	return false
}

func getDirect(t *testing.T, direct *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := direct.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("direct GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	must(t, err)
	return b
}

func existsDirect(direct *s3.Client, bucket, key string) bool {
	_, err := direct.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return err == nil
}

func TestMotoMultipartAndPresign(t *testing.T) {
	e, direct := motoEnv(t)
	ctx := context.Background()
	c := e.client("alice")
	bucket := randomBucket(t)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	data := randomBytes(12 << 20)
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize, u.Concurrency = 5<<20, 3 })
	if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("big"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatalf("upload manager: %v", err)
	}
	if got := getDirect(t, direct, bucket, "big"); !bytes.Equal(got, data) {
		t.Fatalf("moto holds %d bytes, want %d", len(got), len(data))
	}
	down := manager.NewDownloader(c, func(d *manager.Downloader) { d.PartSize, d.Concurrency = 4<<20, 3 })
	buf := manager.NewWriteAtBuffer(nil)
	if _, err := down.Download(ctx, buf, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big")}); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("download manager: %d bytes, %v", len(buf.Bytes()), err)
	}

	ps := s3.NewPresignClient(c)
	preq, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("presigned")}, s3.WithPresignExpires(time.Hour))
	must(t, err)
	req, err := http.NewRequest(preq.Method, preq.URL, bytes.NewReader([]byte("via a presigned URL")))
	must(t, err)
	resp, body := e.send(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("presigned PUT = %d %s", resp.StatusCode, body)
	}
	greq, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("presigned")}, s3.WithPresignExpires(time.Hour))
	must(t, err)
	resp, body = e.send(t, mustRequest(t, "GET", greq.URL, nil))
	if resp.StatusCode != 200 || body != "via a presigned URL" {
		t.Errorf("presigned GET = %d %q", resp.StatusCode, body)
	}
}

// TestMotoRejectedUploadsAreNotStored checks, at moto itself, that an
// upload failing its checks after most of its body was forwarded leaves
// nothing behind.
func TestMotoRejectedUploadsAreNotStored(t *testing.T) {
	e, direct := motoEnv(t)
	ctx := context.Background()
	bucket := randomBucket(t)
	if _, err := e.client("alice").CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	data := randomBytes(3 * 64 << 10)
	const chunk = 64 << 10
	tests := []struct {
		name, mode string
		trailer    bool
		encode     func(*chunkSigner) []byte
		wantCode   string
	}{
		{"tampered chunk signature", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", false,
			func(c *chunkSigner) []byte { return c.signedChunks(data, chunk, 2) }, "SignatureDoesNotMatch"},
		{"truncated stream", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", false, func(c *chunkSigner) []byte {
			b := c.signedChunks(data, chunk, -1)
			return b[:bytes.LastIndex(b, []byte("0;chunk-signature="))]
		}, "IncompleteBody"},
		{"trailer checksum mismatch", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", true,
			func(*chunkSigner) []byte { return unsignedTrailer(data, chunk, crc32Base64([]byte("x"))) }, "BadDigest"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "reject-" + strconv.Itoa(i)
			resp, body := e.streamed(t, "/"+bucket+"/"+key, tt.mode, len(data), tt.trailer, tt.encode)
			if errorCode(body) != tt.wantCode || resp.StatusCode >= 500 {
				t.Errorf("answer = %d %s, want %s", resp.StatusCode, body, tt.wantCode)
			}
			time.Sleep(100 * time.Millisecond) // let moto finish with the torn request
			if existsDirect(direct, bucket, key) {
				t.Errorf("moto stored the object")
			}
		})
	}
	resp, body := e.streamed(t, "/"+bucket+"/good", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", len(data), false,
		func(c *chunkSigner) []byte { return c.signedChunks(data, chunk, -1) })
	if resp.StatusCode != 200 || !bytes.Equal(getDirect(t, direct, bucket, "good"), data) {
		t.Errorf("the good upload = %d %s", resp.StatusCode, body)
	}
}
