package s3wire_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/brevet-dev/brevet/internal/s3wire"
)

// TestSDKParsesErrors serves errors with WriteError behind the Resolver and
// calls them with aws-sdk-go-v2's S3 client: the SDK must see S3's code,
// message and request id, for a GET (from the <Error> document) and a
// HEAD (from the status and headers alone, as with S3).
func TestSDKParsesErrors(t *testing.T) {
	resolver := newResolver(t, "s3.example.com")
	const msg = `No such key: <a> & "b"`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, err := resolver.Request(r)
		switch {
		case err != nil:
		case addr.Key == "private":
			err = s3wire.CodeAccessDenied.New("")
		default:
			err = &s3wire.Error{Code: s3wire.CodeNoSuchKey, Message: msg, Key: addr.Key, Resource: "/" + addr.Bucket + "/" + addr.Key}
		}
		s3wire.WriteError(w, r.Method, goldenIDs, err)
	}))
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	})
	ctx := context.Background()

	tests := []struct {
		name, key         string
		call              func(key string) error
		wantCode, wantMsg string
		wantStatus        int
	}{
		{
			name: "GetObject", key: "dir/<a>&b.txt",
			call: func(key string) error {
				_, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
				return err
			},
			wantCode: "NoSuchKey", wantMsg: msg, wantStatus: 404,
		},
		{
			name: "GetObject bad key", key: "a/../b",
			call: func(key string) error {
				_, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
				return err
			},
			wantCode: "InvalidURI", wantMsg: "The key contains a \".\" or \"..\" path segment, which this gateway does not accept.", wantStatus: 400,
		},
		{
			// With no body, the SDK derives code and message from the
			// status, as it does for S3's own HEAD errors.
			name: "HeadObject", key: "dir/a.txt",
			call: func(key string) error {
				_, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
				return err
			},
			wantCode: "NotFound", wantMsg: "", wantStatus: 404, // types.NotFound has no message
		},
		{
			name: "HeadObject denied", key: "private",
			call: func(key string) error {
				_, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
				return err
			},
			wantCode: "Forbidden", wantMsg: "Forbidden", wantStatus: 403,
		},
		{
			name: "GetObject denied", key: "private",
			call: func(key string) error {
				_, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
				return err
			},
			wantCode: "AccessDenied", wantMsg: "Access Denied", wantStatus: 403,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(tt.key)
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want a smithy.APIError", err)
			}
			if got, want := apiErr.ErrorCode(), tt.wantCode; got != want {
				t.Errorf("ErrorCode = %q, want %q", got, want)
			}
			if got, want := apiErr.ErrorMessage(), tt.wantMsg; got != want {
				t.Errorf("ErrorMessage = %q, want %q", got, want)
			}
			var respErr *awshttp.ResponseError
			if !errors.As(err, &respErr) {
				t.Fatalf("err = %v, want an *awshttp.ResponseError", err)
			}
			if got, want := respErr.HTTPStatusCode(), tt.wantStatus; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			if got, want := respErr.ServiceRequestID(), goldenIDs.RequestID; got != want {
				t.Errorf("request id = %q, want %q", got, want)
			}
		})
	}
}
