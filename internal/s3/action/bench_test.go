package action

import (
	"net/http"
	"net/url"
	"testing"
)

// BenchmarkMap measures the common requests as SDKs send them (every one
// carries x-amz-content-sha256, so each has a condition map).
//
//	go test -run '^$' -bench BenchmarkMap -benchmem ./internal/s3/action/
func BenchmarkMap(b *testing.B) {
	sha := http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}}
	for _, bc := range []struct {
		name string
		req  Request
	}{
		{"GetObject", Request{Method: "GET", Bucket: "bucket", Key: "dir/object.bin", Query: url.Values{}, Header: sha}},
		{"GetObject/no-conditions", Request{Method: "GET", Bucket: "bucket", Key: "dir/object.bin", Query: url.Values{}, Header: http.Header{}}},
		{"PutObject", Request{Method: "PUT", Bucket: "bucket", Key: "dir/object.bin", Query: url.Values{}, Header: sha}},
		{"ListObjectsV2", Request{Method: "GET", Bucket: "bucket", Query: url.Values{"list-type": {"2"}, "prefix": {"dir/"}, "delimiter": {"/"}}, Header: sha}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Map(bc.req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
