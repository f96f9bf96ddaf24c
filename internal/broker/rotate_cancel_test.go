package broker

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestRotateCanceledAfterCreate: the rotation's caller gives up (the
// RotateUpstreamKey client went away, RotateDue's pass timed out) after
// the new key was created upstream: the new key is still deleted
// upstream, the failure recorded and the lease released, not left for
// the user's two-key quota to fill with keys no one holds.
func TestRotateCanceledAfterCreate(t *testing.T) {
	base := motoURL(t)
	f := newFixture(t)
	user := uniqueName("brevet-cancel-")
	k := motoUser(t, base, user)
	target, err := url.Parse(base)
	must(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var created atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if created.Load() && strings.Contains(string(body), "Action=GetCallerIdentity") {
			cancel() // the caller gives up while the new key is verified
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		proxy.ServeHTTP(w, r)
		if strings.Contains(string(body), "Action=CreateAccessKey") {
			created.Store(true)
		}
	}))
	defer srv.Close()
	f.keyUpstream(t, srv.URL, k, user, false)
	if _, err := f.s.Rotate(ctx, acctA, motoAccount, time.Now()); err == nil {
		t.Fatal("Rotate with the caller gone succeeded")
	}
	if !created.Load() {
		t.Fatal("no key was created upstream")
	}
	if got := motoKeys(t, base, user); len(got) != 1 || got[0] != k.AccessKeyID {
		t.Fatalf("keys upstream = %v, want only the old %s (the new one deleted)", got, k.AccessKeyID)
	}
	u, err := f.s.GetUpstream(t.Context(), acctA, motoAccount)
	must(t, err)
	if u.Key.AccessKeyID != k.AccessKeyID || u.Rotation.Failed.IsZero() || !u.Rotation.Lease.IsZero() {
		t.Fatalf("after the canceled rotation: key %s, rotation %+v; want the old key, the failure recorded, no lease", u.Key.AccessKeyID, u.Rotation)
	}
}

// TestRotateOldKeyGoneAlready: the old key was deleted upstream by
// someone else while the rotation ran: its deletion answers NoSuchEntity,
// which is the outcome wanted, not a failure to raise an alert for.
func TestRotateOldKeyGoneAlready(t *testing.T) {
	base := motoURL(t)
	f := newFixture(t)
	user := uniqueName("brevet-gone-")
	k := motoUser(t, base, user)
	target, err := url.Parse(base)
	must(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
		if strings.Contains(string(body), "Action=CreateAccessKey") {
			motoDeleteKey(t, base, user, k.AccessKeyID) // an administrator, meanwhile
		}
	}))
	defer srv.Close()
	f.keyUpstream(t, srv.URL, k, user, false)
	u, err := f.s.Rotate(t.Context(), acctA, motoAccount, time.Now())
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if u.Key.AccessKeyID == k.AccessKeyID || !u.Rotation.Failed.IsZero() || u.Rotation.Error != "" {
		t.Fatalf("after the rotation: key %s, rotation %+v; want the new key and no failure", u.Key.AccessKeyID, u.Rotation)
	}
	if got := f.s.Failing(); len(got) != 0 {
		t.Fatalf("Failing = %v, want none", got)
	}
}

// motoDeleteKey deletes a moto user's key as an administrator.
func motoDeleteKey(t *testing.T, base, user, keyID string) {
	t.Helper()
	c := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(base),
		Credentials: awscreds.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "admin-secret", "")})
	if _, err := c.DeleteAccessKey(t.Context(), &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(keyID)}); err != nil {
		t.Error(err)
	}
}
