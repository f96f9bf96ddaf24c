package node

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
)

// TestTrailVerifier: the status is pending until the first verification
// ends, then its result (a broken chain named), kept until it is older
// than verifyMaxAge, when a call starts one more run in the background.
func TestTrailVerifier(t *testing.T) {
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	var runs atomic.Int32
	release := make(chan struct{})
	v := &trailVerifier{now: func() time.Time { return now }}
	v.ctx, v.cancel = context.WithCancel(context.Background())
	defer func() { v.cancel(); v.wg.Wait() }()
	v.verify = func(context.Context) (*audit.VerifyReport, time.Time, error) {
		runs.Add(1)
		<-release
		return &audit.VerifyReport{Events: 7, LastSeq: 7}, now.Add(-time.Minute), errors.New("event 5: hash mismatch")
	}
	st, _ := v.Status(t.Context())
	if !st.Verification.Pending {
		t.Fatalf("before the first run: %+v, want pending", st)
	}
	v.Status(t.Context()) // a second call while it runs starts no other run
	release <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for st.Verification.Pending && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		st, _ = v.Status(t.Context())
	}
	if st.Verification.Intact || st.Verification.Problem != "event 5: hash mismatch" || st.Verification.Events != 7 ||
		st.LatestDigestDeliveryTime != float64(now.Add(-time.Minute).Unix()) {
		t.Errorf("after the run: %+v", st)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
	now = now.Add(verifyMaxAge + time.Second)
	v.Status(t.Context())
	release <- struct{}{}
	if n := runs.Load(); n != 2 {
		t.Errorf("%d runs after the result went stale, want 2", n)
	}
}
