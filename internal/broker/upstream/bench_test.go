package upstream

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// BenchmarkClassify classifies a throttling error as the retryer returns
// it after its last attempt.
func BenchmarkClassify(b *testing.B) {
	api := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: 400}}
	err := &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &retry.MaxAttemptsError{Attempt: 4,
		Err: &awshttp.ResponseError{RequestID: "r", ResponseError: &smithyhttp.ResponseError{Response: resp, Err: api}}}}
	for b.Loop() {
		if e := classifyError(err); e.Kind != Throttled || e.RequestID != "r" {
			b.Fatalf("classified %#v", e)
		}
	}
}

// BenchmarkCallerIdentity is one signed call through the client (limiter,
// deadline, SDK, HTTP keep-alive) to a local listener.
func BenchmarkCallerIdentity(b *testing.B) {
	const body = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
		`<Arn>arn:aws:iam::123456789012:user/brevet</Arn><UserId>AIDA</UserId><Account>123456789012</Account>` +
		`</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-Requestid", "r")
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	e := endpoint(srv.URL)
	e.Rate, e.Burst, e.Timeout = 1e9, 1<<30, 10*time.Second
	c := mustNew(b, e)
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.CallerIdentity(ctx, testKey); err != nil {
			b.Fatal(err)
		}
	}
}
