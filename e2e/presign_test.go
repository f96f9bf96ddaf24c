package e2e

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// presignedGet presigns GET /?Action=GetCallerIdentity at a time for a
// validity, and sends it.
func (b *brevet) presignedGet(t *testing.T, creds sigv4.Credentials, at time.Time, expires time.Duration) wireError {
	t.Helper()
	u, _ := url.Parse(b.URL)
	req := sigv4.Request{Method: "GET", Path: "/", Host: u.Host, RawQuery: "Action=GetCallerIdentity&Version=2011-06-15", Header: http.Header{}}
	if err := (&sigv4.Signer{Credentials: creds}).Presign(&req, sigv4.SignOptions{Region: "us-east-1", Service: "sts", Time: at, Expires: expires}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(b.URL + "/?" + req.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var env struct {
		Error struct{ Code, Message string }
	}
	if resp.StatusCode != 200 {
		if err := xml.Unmarshal(data, &env); err != nil {
			t.Fatalf("status %d, no <ErrorResponse>: %s", resp.StatusCode, data)
		}
	}
	return wireError{resp.StatusCode, env.Error.Code, env.Error.Message}
}

// Presigned (query-string) requests: accepted while valid, refused with
// AWS's code and text once expired, not yet valid, or older than STS's
// 15-minute window.
func TestPresignedRequests(t *testing.T) {
	t.Parallel()
	b := startBrevet(t)
	id, secret := b.adminKey(t)
	creds := sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	now := time.Now()
	for _, tc := range []struct {
		name    string
		at      time.Time
		expires time.Duration
		want    wireError
	}{
		{"valid", now, 5 * time.Minute, wireError{Status: 200}},
		{"expired", now.Add(-10 * time.Minute), 5 * time.Minute, wireError{403, "AccessDenied", "Request has expired"}},
		{"not yet valid", now.Add(30 * time.Minute), 5 * time.Minute, wireError{403, "AccessDenied", "Request is not valid yet"}},
		{"older than 15 minutes", now.Add(-20 * time.Minute), time.Hour, wireError{403, "SignatureDoesNotMatch", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := b.presignedGet(t, creds, tc.at, tc.expires)
			if got.Status != tc.want.Status || got.Code != tc.want.Code || (tc.want.Message != "" && got.Message != tc.want.Message) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
