package broker

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestRotateCanceledAfterCreate: the rotation's caller gives up (the
// RotateUpstreamKey client went away, RotateDue's pass timed out) after
// the new key was created upstream: the new key is still deleted
// upstream, the failure recorded and the lease released, not left for
// the user's two-key quota to fill with keys no one holds.
func TestRotateCanceledAfterCreate(t *testing.T) {
	base := moto.URL(t)
	f := newFixture(t)
	user := uniqueName("brevet-cancel-")
	k := motoUser(t, base, user)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var created atomic.Bool
	front := motoProxy(t, base, func(w http.ResponseWriter, r *http.Request, body string, proxy http.Handler) {
		if created.Load() && strings.Contains(body, "Action=GetCallerIdentity") {
			cancel() // the caller gives up while the new key is verified
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		proxy.ServeHTTP(w, r)
		if strings.Contains(body, "Action=CreateAccessKey") {
			created.Store(true)
		}
	})
	f.keyUpstream(t, front, k, user, false)
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
	base := moto.URL(t)
	f := newFixture(t)
	user := uniqueName("brevet-gone-")
	k := motoUser(t, base, user)
	front := motoProxy(t, base, func(w http.ResponseWriter, r *http.Request, body string, proxy http.Handler) {
		proxy.ServeHTTP(w, r)
		if strings.Contains(body, "Action=CreateAccessKey") {
			motoDeleteKey(t, base, user, k.AccessKeyID) // an administrator, meanwhile
		}
	})
	f.keyUpstream(t, front, k, user, false)
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
	c := motoAdmin(base)
	if _, err := c.DeleteAccessKey(t.Context(), &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(keyID)}); err != nil {
		t.Error(err)
	}
}

// TestRotateAfterCrash: the new key is recorded (Rotation.Pending) before
// it is verified and switched to; a node that crashed there leaves its id,
// and the next rotation deletes that key upstream first. Likewise an old
// key whose deletion failed (Rotation.Retired) is deleted by the next
// rotation, retried by the schedule after RetryFailedAfter.
func TestRotateAfterCrash(t *testing.T) {
	base := moto.URL(t)
	f := newFixture(t)
	ctx := t.Context()
	user := uniqueName("brevet-crash-")
	k := motoUser(t, base, user)
	var pendingSeen atomic.Value
	front := motoProxy(t, base, func(w http.ResponseWriter, r *http.Request, body string, proxy http.Handler) {
		if strings.Contains(body, "Action=GetCallerIdentity") && pendingSeen.Load() == nil {
			u, err := f.s.GetUpstream(ctx, acctA, motoAccount)
			if err == nil {
				pendingSeen.Store(u.Rotation.Pending)
			}
		}
		proxy.ServeHTTP(w, r)
	})
	f.keyUpstream(t, front, k, user, false)
	at := time.Now()
	u1, err := f.s.Rotate(ctx, acctA, motoAccount, at)
	must(t, err)
	if got, _ := pendingSeen.Load().(string); got == "" || got != u1.Key.AccessKeyID {
		t.Fatalf("Rotation.Pending while the new key was verified = %q, want %s", got, u1.Key.AccessKeyID)
	}
	if u1.Rotation.Pending != "" || u1.Rotation.Retired != "" {
		t.Fatalf("rotation after success = %+v, want no Pending nor Retired", u1.Rotation)
	}
	// A crash after CreateAccessKey: a key no one holds, its id recorded.
	orphan := motoCreateKey(t, base, user)
	_, err = f.s.modifyUpstream(ctx, acctA, motoAccount, at, func(u *Upstream) error { u.Rotation.Pending = orphan; return nil })
	must(t, err)
	u2, err := f.s.Rotate(ctx, acctA, motoAccount, at.Add(time.Hour))
	if err != nil {
		t.Fatalf("Rotate after a crash: %v", err)
	}
	if got := motoKeys(t, base, user); len(got) != 1 || got[0] != u2.Key.AccessKeyID {
		t.Fatalf("keys upstream after the rotation = %v, want only %s", got, u2.Key.AccessKeyID)
	}
	// An old key that outlived its rotation (its deletion failed).
	left := motoCreateKey(t, base, user)
	failed := at.Add(2 * time.Hour)
	_, err = f.s.modifyUpstream(ctx, acctA, motoAccount, failed, func(u *Upstream) error {
		u.Rotation = Rotation{Last: failed, Failed: failed, Error: "the old key could not be deleted", Retired: left}
		return nil
	})
	must(t, err)
	must(t, f.s.sync(ctx, acctA, KindUpstream, motoAccount))
	f.s.RotateDue(ctx, failed.Add(time.Minute))
	if got := motoKeys(t, base, user); len(got) != 2 {
		t.Fatalf("keys upstream right after the failure = %v, want both (not retried yet)", got)
	}
	f.s.RotateDue(ctx, failed.Add(RetryFailedAfter))
	u3, err := f.s.GetUpstream(ctx, acctA, motoAccount)
	must(t, err)
	if got := motoKeys(t, base, user); len(got) != 1 || got[0] != u3.Key.AccessKeyID || !u3.Rotation.Failed.IsZero() {
		t.Fatalf("keys upstream after the retry = %v, rotation %+v; want only %s and no failure", got, u3.Rotation, u3.Key.AccessKeyID)
	}
}

// motoCreateKey creates a key of a moto user as an administrator.
func motoCreateKey(t *testing.T, base, user string) string {
	t.Helper()
	c := motoAdmin(base)
	out, err := c.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	return *out.AccessKey.AccessKeyId
}

// TestRotateGarbageNewKey: an upstream answering CreateAccessKey with
// the id of the key in use (a broken or hostile endpoint) does not make
// the rotation delete the key in use when it discards the "new" one.
func TestRotateGarbageNewKey(t *testing.T) {
	base := moto.URL(t)
	f := newFixture(t)
	user := uniqueName("brevet-garbage-")
	k := motoUser(t, base, user)
	front := motoProxy(t, base, func(w http.ResponseWriter, r *http.Request, body string, proxy http.Handler) {
		if !strings.Contains(body, "Action=CreateAccessKey") {
			proxy.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, r)
		out := rec.Body.String()
		if i, j := strings.Index(out, "<AccessKeyId>"), strings.Index(out, "</AccessKeyId>"); i >= 0 && j > i {
			out = out[:i] + "<AccessKeyId>" + k.AccessKeyID + out[j:]
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(rec.Code)
		io.WriteString(w, out)
	})
	f.keyUpstream(t, front, k, user, false)
	if _, err := f.s.Rotate(t.Context(), acctA, motoAccount, time.Now()); err == nil {
		t.Fatal("Rotate with a new key named as the old one succeeded")
	}
	if got := motoKeys(t, base, user); !slices.Contains(got, k.AccessKeyID) {
		t.Fatalf("keys upstream = %v: the key in use %s was deleted", got, k.AccessKeyID)
	}
}

// motoProxy puts a proxy in front of moto at base for the test and
// returns its URL: serve gets each request, its body read (and r's body
// still readable), and moto to forward it to.
func motoProxy(t *testing.T, base string, serve func(w http.ResponseWriter, r *http.Request, body string, moto http.Handler)) string {
	t.Helper()
	target, err := url.Parse(base)
	must(t, err)
	moto := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		serve(w, r, string(body), moto)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
