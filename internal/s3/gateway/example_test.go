package gateway_test

import (
	"log"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/s3/bucketpolicy"
	"github.com/brevet-dev/brevet/internal/s3/gateway"
)

// The gateway in front of a MinIO serving every bucket, and AWS S3 serving
// the buckets named archive-*: requests go through the node's pipeline
// (whose Authenticator must accept the gateway's region) and bucket
// policies live in the store.
func ExampleNew() {
	var (
		pipeline         *request.Pipeline     // authn, authz (also the PrincipalChecker), the audit trail
		policies         *bucketpolicy.Service // bucketpolicy.New with the store, fed by the change feed
		minioKey, awsKey aws.Credentials       // the backends' own keys, opened from the store
	)
	minio, _ := url.Parse("http://127.0.0.1:9000")
	s3, _ := url.Parse("https://s3.eu-west-1.amazonaws.com")
	gw, err := gateway.New(gateway.Config{
		Pipeline: pipeline,
		Domains:  []string{"s3.example.com"}, // bucket.s3.example.com is virtual-hosted
		Backends: []gateway.Backend{
			{Name: "aws", Endpoint: s3, Region: "eu-west-1", Credentials: awsKey, Buckets: []string{"archive-*"}, VirtualHosted: true},
			{Name: "minio", Endpoint: minio, Region: "us-east-1", Credentials: minioKey, Buckets: []string{"*"}},
		},
		Policies: policies,
		Account:  "123456789012",
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:8787", gw))
}
