package s3wire_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/s3wire"
)

func newResolver(t testing.TB, domains ...string) *s3wire.Resolver {
	t.Helper()
	r, err := s3wire.NewResolver(domains)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// code returns the S3 code an addressing error carries, or "" for nil.
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var we *s3wire.Error
	if !errors.As(err, &we) {
		t.Fatalf("error %v is not an *s3wire.Error", err)
	}
	return we.Code.Name
}

func TestAddress(t *testing.T) {
	r := newResolver(t, "s3.example.com", "EU.S3.Example.com.", "s3.test")
	long := strings.Repeat("k", s3wire.MaxKeyLen)
	tests := []struct {
		name, host, path string
		want             s3wire.Address
		wantCode         string
	}{
		// Path-style.
		{name: "service", host: "s3.example.com", path: "/", want: s3wire.Address{}},
		{name: "empty path", host: "s3.example.com", path: "", want: s3wire.Address{}},
		{name: "bucket", host: "s3.example.com", path: "/photos", want: s3wire.Address{Bucket: "photos"}},
		{name: "bucket slash", host: "s3.example.com", path: "/photos/", want: s3wire.Address{Bucket: "photos"}},
		{name: "object", host: "s3.example.com", path: "/photos/2026/cat.jpg", want: s3wire.Address{Bucket: "photos", Key: "2026/cat.jpg"}},
		{name: "port", host: "s3.example.com:8787", path: "/photos/a", want: s3wire.Address{Bucket: "photos", Key: "a"}},
		{name: "ip host", host: "127.0.0.1:8787", path: "/photos/a", want: s3wire.Address{Bucket: "photos", Key: "a"}},
		{name: "ipv6 host", host: "[::1]:8787", path: "/photos/a", want: s3wire.Address{Bucket: "photos", Key: "a"}},
		{name: "unknown host", host: "photos.other.example", path: "/b-1/a", want: s3wire.Address{Bucket: "b-1", Key: "a"}},
		{name: "no host", host: "", path: "/photos/a", want: s3wire.Address{Bucket: "photos", Key: "a"}},
		{name: "decoded once", host: "s3.example.com", path: "/photos/a%2520b%20c", want: s3wire.Address{Bucket: "photos", Key: "a%20b c"}},
		{name: "plus is literal", host: "s3.example.com", path: "/photos/a+b", want: s3wire.Address{Bucket: "photos", Key: "a+b"}},
		{name: "encoded slash in key", host: "s3.example.com", path: "/photos/a%2Fb", want: s3wire.Address{Bucket: "photos", Key: "a/b"}},
		{name: "xml chars in key", host: "s3.example.com", path: "/photos/%3Ca%3E&b", want: s3wire.Address{Bucket: "photos", Key: "<a>&b"}},
		{name: "utf-8 key", host: "s3.example.com", path: "/photos/%E2%82%AC/caf%C3%A9", want: s3wire.Address{Bucket: "photos", Key: "€/café"}},
		{name: "dots inside names", host: "s3.example.com", path: "/photos/a..b/..c/d..", want: s3wire.Address{Bucket: "photos", Key: "a..b/..c/d.."}},
		{name: "empty segments", host: "s3.example.com", path: "/photos//a//", want: s3wire.Address{Bucket: "photos", Key: "/a//"}},
		{name: "key at limit", host: "s3.example.com", path: "/photos/" + long, want: s3wire.Address{Bucket: "photos", Key: long}},
		{name: "dotted bucket", host: "s3.example.com", path: "/my.photos/a", want: s3wire.Address{Bucket: "my.photos", Key: "a"}},
		{name: "escaped bucket letter", host: "s3.example.com", path: "/ph%6Ftos/a", want: s3wire.Address{Bucket: "photos", Key: "a"}},

		// Virtual-hosted.
		{name: "vh bucket", host: "photos.s3.example.com", path: "/", want: s3wire.Address{Bucket: "photos", VirtualHosted: true}},
		{name: "vh object", host: "photos.s3.example.com", path: "/2026/cat.jpg", want: s3wire.Address{Bucket: "photos", Key: "2026/cat.jpg", VirtualHosted: true}},
		{name: "vh key looks like path-style", host: "photos.s3.example.com", path: "/other/a", want: s3wire.Address{Bucket: "photos", Key: "other/a", VirtualHosted: true}},
		{name: "vh port and case", host: "Photos.S3.Example.COM:443", path: "/a", want: s3wire.Address{Bucket: "photos", Key: "a", VirtualHosted: true}},
		{name: "vh trailing dot", host: "photos.s3.example.com.", path: "/a", want: s3wire.Address{Bucket: "photos", Key: "a", VirtualHosted: true}},
		{name: "vh dotted bucket", host: "my.photos.s3.example.com", path: "/a", want: s3wire.Address{Bucket: "my.photos", Key: "a", VirtualHosted: true}},
		{name: "vh nested domain wins", host: "photos.eu.s3.example.com", path: "/a", want: s3wire.Address{Bucket: "photos", Key: "a", VirtualHosted: true}},
		{name: "vh second domain", host: "photos.s3.test", path: "/a", want: s3wire.Address{Bucket: "photos", Key: "a", VirtualHosted: true}},
		{name: "nested domain itself is path-style", host: "eu.s3.example.com", path: "/photos/a", want: s3wire.Address{Bucket: "photos", Key: "a"}},
		{name: "suffix without dot is not the domain", host: "evils3.example.com", path: "/photos/a", want: s3wire.Address{Bucket: "photos", Key: "a"}},

		// Refused.
		{name: "dot-dot segment", host: "s3.example.com", path: "/photos/a/../b", wantCode: "InvalidURI"},
		{name: "dot segment", host: "s3.example.com", path: "/photos/a/./b", wantCode: "InvalidURI"},
		{name: "dot-dot key", host: "s3.example.com", path: "/photos/..", wantCode: "InvalidURI"},
		{name: "trailing dot-dot", host: "s3.example.com", path: "/photos/a/..", wantCode: "InvalidURI"},
		{name: "encoded dot-dot", host: "s3.example.com", path: "/photos/a/%2E%2E/b", wantCode: "InvalidURI"},
		{name: "dot-dot behind encoded slash", host: "s3.example.com", path: "/photos/a%2F..%2Fb", wantCode: "InvalidURI"},
		{name: "vh dot-dot", host: "photos.s3.example.com", path: "/../etc", wantCode: "InvalidURI"},
		{name: "dot-dot as bucket", host: "s3.example.com", path: "/../photos/a", wantCode: "InvalidBucketName"},
		{name: "encoded slash in bucket", host: "s3.example.com", path: "/pho%2Ftos/a", wantCode: "InvalidBucketName"},
		{name: "bad escape in bucket", host: "s3.example.com", path: "/pho%zztos/a", wantCode: "InvalidBucketName"},
		{name: "bad escape in key", host: "s3.example.com", path: "/photos/a%zz", wantCode: "InvalidURI"},
		{name: "truncated escape", host: "s3.example.com", path: "/photos/a%2", wantCode: "InvalidURI"},
		{name: "invalid utf-8 key", host: "s3.example.com", path: "/photos/a%FFb", wantCode: "InvalidURI"},
		{name: "vh invalid utf-8 key", host: "photos.s3.example.com", path: "/%C3%28", wantCode: "InvalidURI"},
		{name: "key too long", host: "s3.example.com", path: "/photos/" + long + "k", wantCode: "KeyTooLongError"},
		{name: "key too long when decoded", host: "s3.example.com", path: "/photos/" + strings.Repeat("%E2%82%AC", 342), wantCode: "KeyTooLongError"},
		{name: "no leading slash", host: "s3.example.com", path: "photos/a", wantCode: "InvalidURI"},
		{name: "key without bucket", host: "s3.example.com", path: "//a", wantCode: "InvalidBucketName"},
		{name: "uppercase bucket", host: "s3.example.com", path: "/Photos/a", wantCode: "InvalidBucketName"},
		{name: "vh invalid bucket", host: "my_photos.s3.example.com", path: "/a", wantCode: "InvalidBucketName"},
		{name: "vh short bucket", host: "ab.s3.example.com", path: "/a", wantCode: "InvalidBucketName"},
		{name: "vh ip bucket", host: "10.0.0.1.s3.example.com", path: "/a", wantCode: "InvalidBucketName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Address(tt.host, tt.path)
			if gotCode := code(t, err); gotCode != tt.wantCode {
				t.Fatalf("Address(%q, %q) error = %v, want code %q", tt.host, tt.path, err, tt.wantCode)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Address(%q, %q) mismatch (-want +got):\n%s", tt.host, tt.path, diff)
			}
		})
	}
}

// TestAddressErrorFields: an invalid bucket is named in <BucketName>, as S3
// does, and its status is S3's.
func TestAddressErrorFields(t *testing.T) {
	r := newResolver(t, "s3.example.com")
	_, err := r.Address("s3.example.com", "/Bad_Bucket/k")
	var we *s3wire.Error
	if !errors.As(err, &we) {
		t.Fatalf("got %v, want *s3wire.Error", err)
	}
	if got, want := we.BucketName, "Bad_Bucket"; got != want {
		t.Errorf("BucketName = %q, want %q", got, want)
	}
	if got, want := we.Code.Status, 400; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
}

// TestAddressRequest: Request reads the escaped path as sent, so an
// encoded slash in the bucket is seen (http.Request's decoded Path would
// hide it) and a key is decoded once.
func TestAddressRequest(t *testing.T) {
	r := newResolver(t, "s3.example.com")
	tests := []struct {
		name, target, host string
		inProcess          bool // no RequestURI, as a request built in-process
		want               s3wire.Address
		wantCode           string
	}{
		{name: "path-style", target: "/photos/a%2520b?versionId=1", host: "s3.example.com", want: s3wire.Address{Bucket: "photos", Key: "a%20b"}},
		{name: "virtual-hosted", target: "/a/b.txt?acl", host: "photos.s3.example.com:8787", want: s3wire.Address{Bucket: "photos", Key: "a/b.txt", VirtualHosted: true}},
		{name: "encoded slash in bucket", target: "/pho%2Ftos/a", host: "s3.example.com", wantCode: "InvalidBucketName"},
		{name: "encoded dot-dot", target: "/photos/%2e%2e/x", host: "s3.example.com", wantCode: "InvalidURI"},
		{name: "absolute form", target: "http://photos.s3.example.com/a%2Fb?x=1", host: "photos.s3.example.com", want: s3wire.Address{Bucket: "photos", Key: "a/b", VirtualHosted: true}},
		{name: "in-process", target: "/photos/a%2520b", host: "s3.example.com", inProcess: true, want: s3wire.Address{Bucket: "photos", Key: "a%20b"}},
		{name: "in-process encoded slash in bucket", target: "/pho%2Ftos/a", host: "s3.example.com", inProcess: true, wantCode: "InvalidBucketName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.target, nil)
			req.Host = tt.host
			if tt.inProcess {
				req.RequestURI = ""
			}
			got, err := r.Request(req)
			if gotCode := code(t, err); gotCode != tt.wantCode {
				t.Fatalf("Request(%s) error = %v, want code %q", tt.target, err, tt.wantCode)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Request(%s) mismatch (-want +got):\n%s", tt.target, diff)
			}
		})
	}
}

func TestValidBucketName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"abc", true},
		{"my-bucket.2026", true},
		{"a" + strings.Repeat("b", 62), true},
		{"192.168.5.4x", true},
		{"1.2.3", true},
		{"ab", false},
		{"a" + strings.Repeat("b", 63), false},
		{"My-bucket", false},
		{"my_bucket", false},
		{"-bucket", false},
		{"bucket-", false},
		{".bucket", false},
		{"bucket.", false},
		{"my..bucket", false},
		{"192.168.5.4", false},
		{"1.2.3.400", false},
		{"xn--bucket", false},
		{"sthree-bucket", false},
		{"amzn-s3-demo-bucket", false},
		{"bucket-s3alias", false},
		{"bucket--ol-s3", false},
		{"bucket.mrap", false},
		{"bucket--x-s3", false},
		{"bucket--table-s3", false},
		{"buck/et", false},
		{"buck et", false},
		{"bücket", false},
	}
	for _, tt := range tests {
		if got := s3wire.ValidBucketName(tt.name); got != tt.want {
			t.Errorf("ValidBucketName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNewResolverRejectsNonHostDomains(t *testing.T) {
	for _, d := range []string{"", "https://s3.example.com", "s3.example.com:8787", "s3.example.com/x", ".example.com"} {
		if _, err := s3wire.NewResolver([]string{d}); err == nil {
			t.Errorf("NewResolver(%q) = nil error, want one", d)
		}
	}
}
