package s3wire_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/s3wire"
)

// FuzzAddress feeds Address arbitrary hosts and raw paths. It must not
// panic; a failure must be a 400 *s3wire.Error; a success must name a
// valid bucket and a key S3 and the gateway accept, and re-encoding that
// address path-style must resolve to the same bucket and key.
//
// In CI only the seeds run (testdata/fuzz/FuzzAddress and f.Add below). To
// fuzz: go test ./internal/s3wire -run '^$' -fuzz FuzzAddress -fuzztime 60s
func FuzzAddress(f *testing.F) {
	seeds := [][2]string{
		{"s3.example.com", "/photos/2026/cat.jpg"},
		{"photos.s3.example.com:8787", "/a%2Fb/%E2%82%AC"},
		{"my.photos.eu.s3.example.com", "/"},
		{"127.0.0.1:8787", "/photos/a/../b"},
		{"s3.example.com", "/pho%2Ftos/a"},
		{"s3.example.com", "/photos/%2e%2E/x"},
		{"s3.example.com", "/photos/a%FF"},
		{"[::1]:80", "//a"},
		{"", ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	r := newResolver(f, "s3.example.com", "eu.s3.example.com")
	f.Fuzz(func(t *testing.T, host, path string) {
		got, err := r.Address(host, path)
		if err != nil {
			var we *s3wire.Error
			if !errors.As(err, &we) {
				t.Fatalf("Address(%q, %q) error %v is not an *s3wire.Error", host, path, err)
			}
			if we.Code.Status != 400 {
				t.Fatalf("Address(%q, %q) error %v has status %d, want 400", host, path, err, we.Code.Status)
			}
			return
		}
		if got.Bucket == "" {
			if got.Key != "" || got.VirtualHosted {
				t.Fatalf("Address(%q, %q) = %+v: a key or virtual host without a bucket", host, path, got)
			}
			return
		}
		if !s3wire.ValidBucketName(got.Bucket) {
			t.Fatalf("Address(%q, %q) = invalid bucket %q", host, path, got.Bucket)
		}
		if len(got.Key) > s3wire.MaxKeyLen || !utf8.ValidString(got.Key) {
			t.Fatalf("Address(%q, %q) = key %q: too long or not UTF-8", host, path, got.Key)
		}
		for _, seg := range strings.Split(got.Key, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("Address(%q, %q) = key %q with a dot segment", host, path, got.Key)
			}
		}
		again, err := r.Address("s3.example.com", "/"+got.Bucket+"/"+url.PathEscape(got.Key))
		if err != nil {
			t.Fatalf("re-encoded %+v: %v", got, err)
		}
		if diff := cmp.Diff(s3wire.Address{Bucket: got.Bucket, Key: got.Key}, again); diff != "" {
			t.Fatalf("re-encoded %+v mismatch (-want +got):\n%s", got, diff)
		}
	})
}
