package revocation

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// maxBatch bounds the records one transaction of a Recorder writes, so
// that one commit stays short under a burst.
const maxBatch = 256

// Recorder writes issuance records with group commit: concurrent Record
// calls share one store transaction (store.Sessions.RecordMany), so a
// burst of issuances costs one commit instead of one each. Revoking a
// credential's descendants reads these records, so Record still returns
// only once its record is committed (or has failed).
//
// A writer goroutine runs while records are pending and takes everything
// pending at once, so a lone Record is written immediately. By default the
// batches grow only while a commit is in progress; WithCallers lets the
// writer also wait, briefly, for the records of requests still on their
// way.
type Recorder struct {
	sessions store.Sessions
	timeout  time.Duration
	callers  func() int
	linger   time.Duration

	more chan struct{} // a record was added; buffered, never blocks Record

	mu      sync.Mutex
	pending []*pendingRecord
	writing bool // a writer goroutine is running

	records, commits atomic.Uint64
	waiting          atomic.Int64 // Record calls in progress
}

// Waiting is how many Record calls are in progress: callers parked until
// their records are committed. A server with another group commit on the
// request path uses it to tell that one's writer not to wait for them.
func (rc *Recorder) Waiting() int { return int(rc.waiting.Load()) }

// RecorderStats counts the records committed and the transactions that
// carried them; Records/Commits is the group commit's gain.
type RecorderStats struct {
	Records, Commits uint64
}

// Stats returns the counters since NewRecorder, for metrics.
func (rc *Recorder) Stats() RecorderStats {
	return RecorderStats{Records: rc.records.Load(), Commits: rc.commits.Load()}
}

// lingerPoll is how often a lingering writer looks at the callers again:
// requests that end without issuing anything leave without a record.
const lingerPoll = 100 * time.Microsecond

// RecorderOption configures a Recorder.
type RecorderOption func(*Recorder)

// WithCallers makes the writer keep a batch open while it holds fewer
// records than callers() says may be on their way (the server's requests
// in flight), for at most linger. A transaction costs much more than one
// more row in it (a SQLite commit writes its pages to the WAL), and
// without waiting, under load, each one would carry only the one or two
// records that arrived during the previous commit. A lone caller never
// waits.
func WithCallers(callers func() int, linger time.Duration) RecorderOption {
	return func(rc *Recorder) { rc.callers, rc.linger = callers, linger }
}

type pendingRecord struct {
	rec  store.SessionRecord
	err  error
	done chan struct{}
}

// NewRecorder returns a Recorder writing to s. timeout bounds each
// transaction: the writer does not use any one caller's context, whose
// cancellation must not fail the others' records.
func NewRecorder(s store.Sessions, timeout time.Duration, opts ...RecorderOption) *Recorder {
	rc := &Recorder{sessions: s, timeout: timeout, more: make(chan struct{}, 1)}
	for _, o := range opts {
		o(rc)
	}
	return rc
}

// Record adds r and returns once it is committed, with the error of its
// write: the store's if the batch's transaction failed, or ctx's if ctx
// ends first (the record may then still be committed; a record of
// credentials never handed out is harmless).
func (rc *Recorder) Record(ctx context.Context, r store.SessionRecord) error {
	rc.waiting.Add(1)
	defer rc.waiting.Add(-1)
	p := &pendingRecord{rec: r, done: make(chan struct{})}
	rc.mu.Lock()
	rc.pending = append(rc.pending, p)
	start := !rc.writing
	rc.writing = true
	rc.mu.Unlock()
	if start {
		go rc.write()
	} else {
		select {
		case rc.more <- struct{}{}:
		default:
		}
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write commits batches until nothing is pending, then exits.
func (rc *Recorder) write() {
	for {
		// Let the requests that are already running reach Record first:
		// under load they join this batch instead of waiting for the next.
		// Alone, this costs a scheduler round trip, not a timer.
		runtime.Gosched()
		rc.gather()
		rc.mu.Lock()
		batch := rc.pending
		if len(batch) > maxBatch {
			batch = batch[:maxBatch:maxBatch]
			rc.pending = append([]*pendingRecord(nil), rc.pending[maxBatch:]...)
		} else {
			rc.pending = nil
		}
		if len(batch) == 0 {
			rc.writing = false
			rc.mu.Unlock()
			return
		}
		rc.mu.Unlock()
		rc.commit(batch)
	}
}

// gather waits, with WithCallers, while fewer records are pending than
// callers may bring, at most linger.
func (rc *Recorder) gather() {
	if rc.callers == nil || rc.linger <= 0 {
		return
	}
	enough := func() bool {
		rc.mu.Lock()
		n := len(rc.pending)
		rc.mu.Unlock()
		return n == 0 || n >= maxBatch || n >= rc.callers()
	}
	if enough() {
		return
	}
	deadline := time.Now().Add(rc.linger)
	t := time.NewTimer(lingerPoll)
	defer t.Stop()
	for {
		select {
		case <-rc.more:
		case <-t.C:
		}
		left := time.Until(deadline)
		if left <= 0 || enough() {
			return
		}
		t.Reset(min(lingerPoll, left))
	}
}

func (rc *Recorder) commit(batch []*pendingRecord) {
	recs := make([]store.SessionRecord, len(batch))
	for i, p := range batch {
		recs[i] = p.rec
	}
	ctx, cancel := context.WithTimeout(context.Background(), rc.timeout)
	err := rc.sessions.RecordMany(ctx, recs)
	cancel()
	if err == nil {
		rc.records.Add(uint64(len(recs)))
		rc.commits.Add(1)
	}
	for _, p := range batch {
		p.err = err
		close(p.done)
	}
}
