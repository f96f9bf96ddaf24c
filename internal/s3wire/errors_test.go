package s3wire_test

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/s3wire"
)

var update = flag.Bool("update", false, "rewrite golden files")

var goldenIDs = s3wire.IDs{RequestID: "4442587FB7D0A2F9", HostID: "eftixk72aD6Ap51TnqcoF8eFidJG9Z/2mkiDFu8yU9AS1ed4OpIszj7UDNEHGran"}

// TestErrorGolden compares each <Error> document with a golden file
// (go test ./internal/s3wire -run TestErrorGolden -update rewrites them).
func TestErrorGolden(t *testing.T) {
	tests := []struct {
		name string
		err  *s3wire.Error
	}{
		{"no_such_key", &s3wire.Error{Code: s3wire.CodeNoSuchKey, Message: s3wire.CodeNoSuchKey.Message, Key: "photos/2026/cat.jpg", Resource: "/photos/photos/2026/cat.jpg"}},
		{"no_such_bucket", &s3wire.Error{Code: s3wire.CodeNoSuchBucket, Message: s3wire.CodeNoSuchBucket.Message, BucketName: "photos", Resource: "/photos"}},
		{"escaped_fields", &s3wire.Error{Code: s3wire.CodeAccessDenied, Message: `Access to "<a>" & 'b' denied`, Key: "<script>&amp;\n\x01\xff", Resource: "/b/<script>&amp;"}},
		{"sigv2", s3wire.CodeInvalidRequest.New(s3wire.MsgSigV2)},
		{"signature_does_not_match", s3wire.CodeSignatureDoesNotMatch.New("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s3wire.AppendXML(nil, tt.err, goldenIDs)
			path := filepath.Join("testdata", "golden", tt.name+".xml")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("AppendXML mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCatalogueStatuses pins each code's status to the one on S3's "Error
// responses" page, so a typo in the catalogue cannot pass.
func TestCatalogueStatuses(t *testing.T) {
	want := map[string]int{
		"AccessDenied": 403, "SignatureDoesNotMatch": 403, "InvalidAccessKeyId": 403,
		"ExpiredToken": 400, "InvalidToken": 400, "RequestTimeTooSkewed": 403,
		"AuthorizationQueryParametersError": 400, "AuthorizationHeaderMalformed": 400,
		"MissingSecurityHeader": 400, "InvalidRequest": 400, "InvalidTag": 400, "InvalidArgument": 400,
		"InvalidBucketName": 400, "KeyTooLongError": 400, "NoSuchBucket": 404, "NoSuchBucketPolicy": 404, "NoSuchKey": 404,
		"MethodNotAllowed": 405, "NotImplemented": 501, "SlowDown": 503, "ServiceUnavailable": 503,
		"InternalError": 500, "XAmzContentSHA256Mismatch": 400, "BadDigest": 400,
		"IncompleteBody": 400, "EntityTooLarge": 400, "MalformedXML": 400, "MalformedPolicy": 400,
		"InvalidDigest": 400, "InvalidURI": 400,
	}
	got := map[string]int{}
	for _, c := range s3wire.Catalogue() {
		if _, dup := got[c.Name]; dup {
			t.Errorf("code %s listed twice", c.Name)
		}
		if c.Message == "" {
			t.Errorf("code %s has no message", c.Name)
		}
		got[c.Name] = c.Status
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("catalogue mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteError(t *testing.T) {
	wrapped := fmt.Errorf("gateway: %w", &s3wire.Error{Code: s3wire.CodeNoSuchKey, Message: s3wire.CodeNoSuchKey.Message, Key: "a&b"})
	internal := errors.New("upstream: dial tcp 10.0.0.7:9000: secret-ish detail")
	tests := []struct {
		name, method string
		err          error
		wantStatus   int
		wantCode     string
		wantBody     bool
	}{
		{"get", http.MethodGet, wrapped, 404, "NoSuchKey", true},
		{"put", http.MethodPut, s3wire.CodeMalformedXML.New(""), 400, "MalformedXML", true},
		{"head", http.MethodHead, wrapped, 404, "NoSuchKey", false},
		{"head forbidden", http.MethodHead, s3wire.CodeAccessDenied.New(""), 403, "AccessDenied", false},
		{"unmapped is internal", http.MethodGet, internal, 500, "InternalError", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			we := s3wire.WriteError(rec, tt.method, goldenIDs, tt.err)
			if got, want := we.Code.Name, tt.wantCode; got != want {
				t.Errorf("returned code = %s, want %s", got, want)
			}
			res := rec.Result()
			if got, want := res.StatusCode, tt.wantStatus; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			gotHeaders := map[string]string{
				"Content-Type":     res.Header.Get("Content-Type"),
				"X-Amz-Request-Id": res.Header.Get("X-Amz-Request-Id"),
				"X-Amz-Id-2":       res.Header.Get("X-Amz-Id-2"),
			}
			wantHeaders := map[string]string{
				"Content-Type":     "application/xml",
				"X-Amz-Request-Id": goldenIDs.RequestID,
				"X-Amz-Id-2":       goldenIDs.HostID,
			}
			if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
				t.Errorf("headers mismatch (-want +got):\n%s", diff)
			}
			body := rec.Body.String()
			if !tt.wantBody {
				if body != "" {
					t.Errorf("HEAD body = %q, want none", body)
				}
				return
			}
			if want := string(s3wire.AppendXML(nil, we, goldenIDs)); body != want {
				t.Errorf("body = %q, want %q", body, want)
			}
			if got, want := res.Header.Get("Content-Length"), strconv.Itoa(len(body)); got != want {
				t.Errorf("Content-Length = %s, want %s", got, want)
			}
			if tt.wantCode == "InternalError" {
				if got, want := body, string(s3wire.AppendXML(nil, s3wire.CodeInternalError.New(""), goldenIDs)); got != want {
					t.Errorf("internal error body = %q, want the generic one %q", got, want)
				}
				if !errors.Is(we, internal) {
					t.Errorf("returned error does not wrap the cause for the log")
				}
			}
		})
	}
}
