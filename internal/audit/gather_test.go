package audit_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
)

// batchSink records the size of every batch the trail writes.
// When hold is set, the first Write waits until it is closed.
type batchSink struct {
	hold  chan struct{}
	mu    sync.Mutex
	sizes []int
}

func (s *batchSink) Write(b []audit.Record) error {
	s.mu.Lock()
	hold := s.hold
	s.hold = nil
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sizes = append(s.sizes, len(b))
	return nil
}
func (s *batchSink) WriteDigest(audit.SignedDigest) error { return nil }
func (s *batchSink) Close() error                         { return nil }

func (s *batchSink) batches() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sizes)
}

func newGatherTrail(t *testing.T, cfg audit.TrailConfig, hold chan struct{}) (*audit.Trail, *batchSink) {
	t.Helper()
	sink := &batchSink{hold: hold}
	cfg.Sink, cfg.Signer, cfg.DigestInterval = sink, testKey(), -1
	tr, err := audit.NewTrail(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, sink
}

// appendAfter appends one event per delay, each from its own goroutine
// after its delay, and waits for all of them.
func appendAfter(t *testing.T, tr *audit.Trail, delays ...time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	for i, d := range delays {
		wg.Go(func() {
			time.Sleep(d)
			if _, err := tr.Append(context.Background(), fmt.Appendf(nil, `{"n":%d}`, i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func TestGroupCommitWaitsForTheCallersInFlight(t *testing.T) {
	// Four requests in flight reach the trail 5 ms apart: one fsync for
	// the four, not four.
	tr, sink := newGatherTrail(t, audit.TrailConfig{Callers: func() int { return 4 }, Linger: 10 * time.Second, Gap: time.Millisecond}, nil)
	appendAfter(t, tr, 0, 5*time.Millisecond, 10*time.Millisecond, 15*time.Millisecond)
	if got := sink.batches(); !slices.Equal(got, []int{4}) {
		t.Errorf("batches = %v; want [4]", got)
	}
}

func TestGroupCommitDoesNotMakeALoneCallerWait(t *testing.T) {
	tr, sink := newGatherTrail(t, audit.TrailConfig{Callers: func() int { return 1 }, Linger: 10 * time.Second}, nil)
	for range 3 {
		start := time.Now()
		appendAfter(t, tr, 0)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("a lone Append took %v; want no lingering", d)
		}
	}
	if got := sink.batches(); !slices.Equal(got, []int{1, 1, 1}) {
		t.Errorf("batches = %v; want [1 1 1]", got)
	}
}

func TestGroupCommitLingersAtMostLinger(t *testing.T) {
	// Ten callers said to be in flight, two arrive: the batch waits for the
	// others only until Linger has passed.
	const linger = 50 * time.Millisecond
	tr, sink := newGatherTrail(t, audit.TrailConfig{Callers: func() int { return 10 }, Linger: linger, Gap: 5 * time.Millisecond}, nil)
	start := time.Now()
	appendAfter(t, tr, 0, 0)
	d := time.Since(start)
	if d < linger*8/10 || d > 5*time.Second {
		t.Errorf("two of ten callers committed after %v; want about Linger (%v)", d, linger)
	}
	if got := sink.batches(); !slices.Equal(got, []int{2}) && !slices.Equal(got, []int{1, 1}) {
		t.Errorf("batches = %v; want the two events", got)
	}
}

func TestGroupCommitSeesCallersLeave(t *testing.T) {
	// Three in flight, two arrive, the third request ends without an
	// event: the writer notices at its next look (Gap) and commits.
	var inFlight atomic.Int64
	inFlight.Store(3)
	tr, sink := newGatherTrail(t, audit.TrailConfig{Callers: func() int { return int(inFlight.Load()) }, Linger: 10 * time.Second, Gap: time.Millisecond}, nil)
	go func() {
		time.Sleep(30 * time.Millisecond)
		inFlight.Add(-1)
	}()
	start := time.Now()
	appendAfter(t, tr, 0, 0)
	if d := time.Since(start); d < 20*time.Millisecond || d > 5*time.Second {
		t.Errorf("commit after %v; want soon after the third caller left (30 ms)", d)
	}
	if got := sink.batches(); len(got) == 0 || got[len(got)-1] == 0 {
		t.Errorf("batches = %v", got)
	}
}

func TestGroupCommitByArrivalGaps(t *testing.T) {
	// Without Callers the writer keeps a batch open while events arrive
	// less than Gap apart, once a batch has shown that several callers
	// are active.
	hold := make(chan struct{})
	tr, sink := newGatherTrail(t, audit.TrailConfig{Linger: 10 * time.Second, Gap: 200 * time.Millisecond}, hold)
	// Warm up: the first write is held while two more events queue, so the
	// second batch has two events (several callers are active).
	go func() { time.Sleep(50 * time.Millisecond); close(hold) }()
	appendAfter(t, tr, 0, 10*time.Millisecond, 10*time.Millisecond)
	if got := sink.batches(); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("warm-up batches = %v; want [1 2]", got)
	}
	appendAfter(t, tr, 0, 20*time.Millisecond, 40*time.Millisecond)
	if got := sink.batches()[2:]; !slices.Equal(got, []int{3}) {
		t.Errorf("batches after the warm-up = %v; want [3] (each event arrived within Gap of the last)", got)
	}
}

func TestTrailWaitingCountsParkedCallers(t *testing.T) {
	hold := make(chan struct{})
	tr, _ := newGatherTrail(t, audit.TrailConfig{Linger: -1}, hold)
	done := make(chan struct{})
	go func() { appendAfter(t, tr, 0, 0, 0); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for tr.Waiting() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("Waiting = %d while three appends wait for a held write; want 3", tr.Waiting())
		}
		time.Sleep(time.Millisecond)
	}
	close(hold)
	<-done
	if n := tr.Waiting(); n != 0 {
		t.Errorf("Waiting = %d after the appends returned; want 0", n)
	}
}
