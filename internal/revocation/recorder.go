package revocation

import (
	"context"
	"runtime"
	"sync"
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
// There is no timer: a writer goroutine runs while records are pending
// and takes everything pending at once, so a lone Record is written
// immediately and the batches grow only while a commit is in progress.
type Recorder struct {
	sessions store.Sessions
	timeout  time.Duration

	mu      sync.Mutex
	pending []*pendingRecord
	writing bool // a writer goroutine is running
}

type pendingRecord struct {
	rec  store.SessionRecord
	err  error
	done chan struct{}
}

// NewRecorder returns a Recorder writing to s. timeout bounds each
// transaction: the writer does not use any one caller's context, whose
// cancellation must not fail the others' records.
func NewRecorder(s store.Sessions, timeout time.Duration) *Recorder {
	return &Recorder{sessions: s, timeout: timeout}
}

// Record adds r and returns once it is committed, with the error of its
// write: the store's if the batch's transaction failed, or ctx's if ctx
// ends first (the record may then still be committed; a record of
// credentials never handed out is harmless).
func (rc *Recorder) Record(ctx context.Context, r store.SessionRecord) error {
	p := &pendingRecord{rec: r, done: make(chan struct{})}
	rc.mu.Lock()
	rc.pending = append(rc.pending, p)
	start := !rc.writing
	rc.writing = true
	rc.mu.Unlock()
	if start {
		go rc.write()
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

func (rc *Recorder) commit(batch []*pendingRecord) {
	recs := make([]store.SessionRecord, len(batch))
	for i, p := range batch {
		recs[i] = p.rec
	}
	ctx, cancel := context.WithTimeout(context.Background(), rc.timeout)
	err := rc.sessions.RecordMany(ctx, recs)
	cancel()
	for _, p := range batch {
		p.err = err
		close(p.done)
	}
}
