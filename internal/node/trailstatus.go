package node

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/lookup"
	"github.com/brevet-dev/brevet/internal/audit/pgsink"
)

// trailVerifier answers GetTrailStatus with the trail's last verification
// (what `brevet audit verify` reports for this node's chain). Verifying
// reads the whole trail, so it never runs on a request's path: it runs in
// the background at start and again when a request finds the result
// older than verifyMaxAge, one run at a time; requests get the last
// result.
type trailVerifier struct {
	verify func(ctx context.Context) (*audit.VerifyReport, time.Time, error)
	now    func() time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	last    *lookup.Verification
	digest  time.Time
	running bool
}

// verifyMaxAge is how old a verification may be before a request starts
// another; verifyTimeout bounds one.
const (
	verifyMaxAge  = 5 * time.Minute
	verifyTimeout = 10 * time.Minute
)

// newTrailVerifier verifies the node's trail: the files in DATA_DIR/audit,
// or its chain in PostgreSQL.
func (n *Node) newTrailVerifier() *trailVerifier {
	a, dir := n.auditor, n.auditDir()
	v := &trailVerifier{now: time.Now}
	v.ctx, v.cancel = context.WithCancel(context.Background())
	v.verify = func(ctx context.Context) (*audit.VerifyReport, time.Time, error) {
		var rep *audit.VerifyReport
		var ds []audit.SignedDigest
		var err error
		if s, ok := a.Durable().(*pgsink.Sink); ok {
			r := s.Reader()
			if rep, err = r.Verify(ctx, s.Node(), a.PublicKey()); err == nil {
				ds, err = r.Digests(ctx, s.Node())
			}
		} else {
			if rep, err = audit.Verify(dir, audit.VerifyOptions{PublicKey: a.PublicKey()}); err == nil {
				ds, err = audit.ReadDigestFile(dir)
			}
		}
		var at time.Time
		if len(ds) > 0 {
			if d, derr := ds[len(ds)-1].Decode(); derr == nil {
				at, _ = time.Parse(time.RFC3339Nano, d.Time)
			}
		}
		return rep, at, err
	}
	v.refresh()
	n.closers = append(n.closers, func() error { v.cancel(); v.wg.Wait(); return nil })
	return v
}

// refresh starts a verification unless one is running.
func (v *trailVerifier) refresh() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.running || v.ctx.Err() != nil {
		return
	}
	v.running = true
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		ctx, cancel := context.WithTimeout(v.ctx, verifyTimeout)
		defer cancel()
		rep, digest, err := v.verify(ctx)
		res := &lookup.Verification{Intact: err == nil, VerifiedAt: epoch(v.now())}
		if rep != nil {
			res.Events, res.LastSeq, res.DigestLastSeq, res.Uncovered = rep.Events, rep.LastSeq, rep.DigestLastSeq, rep.Uncovered
		}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				res = nil // the node is closing
			} else {
				res.Problem = err.Error()
			}
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		v.running = false
		if res != nil {
			v.last, v.digest = res, digest
		}
	}()
}

// Status is GetTrailStatus' answer: the last verification, and another
// started in the background when it is stale.
func (v *trailVerifier) Status(context.Context) (*lookup.TrailStatus, error) {
	v.mu.Lock()
	last, digest := v.last, v.digest
	v.mu.Unlock()
	st := &lookup.TrailStatus{IsLogging: true}
	if last == nil {
		st.Verification = &lookup.Verification{Pending: true}
		v.refresh()
		return st, nil
	}
	full := *last
	st.Verification = &full
	if !digest.IsZero() {
		st.LatestDigestDeliveryTime = epoch(digest)
	}
	if v.now().Sub(time.Unix(int64(last.VerifiedAt), 0)) > verifyMaxAge {
		v.refresh()
	}
	return st, nil
}

// epoch is t as CloudTrail's timestamps: seconds since the epoch, to the
// millisecond.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
