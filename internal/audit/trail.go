package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("audit: trail closed")

// UnavailableError is returned while the durable sink cannot be written;
// Cause is the sink's last error.
type UnavailableError struct{ Cause error }

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("audit: trail unavailable: %v", e.Cause)
}

func (e *UnavailableError) Unwrap() error { return e.Cause }

// TrailConfig configures a Trail.
type TrailConfig struct {
	// Sink stores the records; its Write decides durability (use a
	// *FileSink, or a TeeSink whose Primary is one).
	Sink Sink
	// State is where the chain stands in Sink (FileSink.State).
	State ChainState
	// Signer signs digests.
	Signer *Signer
	// Now stamps digests; time.Now when nil.
	Now func() time.Time
	// DigestInterval is how often a digest is signed while events arrive;
	// one minute when zero, never (only at Close and WriteDigest) when
	// negative.
	DigestInterval time.Duration
	// MaxBatch bounds the events committed by one write; 4096 when zero.
	MaxBatch int
	// Linger bounds how long the writer keeps a batch open for more
	// events when the previous batch showed that several callers are
	// active: it waits as long as events keep arriving less than Gap
	// apart, and at most Linger in all. 1ms when zero, never when
	// negative. A lone caller never waits.
	//
	// An fsync costs the same CPU time whether it carries one event or a
	// hundred (about 110 µs for a 60 KB batch on the development
	// machine), and under load events arrive every few tens of
	// microseconds: without lingering each fsync would carry only the
	// few events that arrived while the previous one ran, and the
	// fsyncs, not the requests, would take a large share of the CPU.
	Linger time.Duration
	// Gap is how long the writer waits for the next event before it
	// closes a lingering batch; 150µs when zero. With Callers it is how
	// often the writer looks at Callers again.
	Gap time.Duration
	// Callers, when set, says how many callers are on their way to
	// Append: the server's API requests in flight. The writer then keeps
	// a batch open while it holds fewer events than that (at most
	// Linger), instead of guessing from the arrival gaps, so that a
	// batch waits for exactly the callers there are: none for a lone
	// caller, the eight of eight concurrent clients, and under heavy
	// load as many as arrive within Linger.
	Callers func() int
	// Committed, when set, is called on the writer goroutine with every
	// batch once the sink has made it durable, in chain order, before the
	// callers are released: the issuance index follows the trail through
	// it. It must not block for long, and must not keep the batch.
	Committed func(batch []Record)
	// Logger receives sink failures and recoveries.
	Logger *slog.Logger
}

// Trail appends events to the hash chain with group commit: a single
// writer goroutine takes every event waiting, chains them, hands them to
// the sink in one Write (one write and one fsync for the file sink) and
// then releases all their callers. Concurrent callers therefore share the
// cost of an fsync.
type Trail struct {
	cfg    TrailConfig
	reqs   chan *pending
	ctrl   chan func()
	quit   chan struct{}
	done   chan struct{}
	mu     sync.RWMutex // guards closed against sends on reqs
	closed bool

	ready   atomic.Bool
	lastErr atomic.Pointer[error]
	events  atomic.Uint64
	batches atomic.Uint64
	waiting atomic.Int64 // Append calls in progress

	// Owned by the writer goroutine.
	state     ChainState
	recs      []Record
	backoff   time.Duration
	lastBatch int
	linger    *time.Timer
}

type pending struct {
	event  []byte
	issued *request.Issuance
	seq    uint64
	err    error
	done   chan struct{}
}

var pendingPool = sync.Pool{New: func() any { return &pending{done: make(chan struct{}, 1)} }}

// NewTrail starts the writer goroutine. Close stops it.
func NewTrail(cfg TrailConfig) (*Trail, error) {
	if cfg.Sink == nil || cfg.Signer == nil {
		return nil, errors.New("audit: TrailConfig.Sink and Signer are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DigestInterval == 0 {
		cfg.DigestInterval = time.Minute
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 4096
	}
	if cfg.Linger == 0 {
		cfg.Linger = time.Millisecond
	}
	if cfg.Gap <= 0 {
		cfg.Gap = 150 * time.Microsecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	t := &Trail{
		cfg:   cfg,
		reqs:  make(chan *pending, cfg.MaxBatch),
		ctrl:  make(chan func()),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
		state: cfg.State,
	}
	t.ready.Store(true)
	go t.run()
	return t, nil
}

// Append makes event (one JSON object, as Event marshals) durable and
// returns its sequence number. It fails fast with *UnavailableError while
// the sink is failing. Once it has returned, the trail no longer reads
// event, and the caller may reuse it, unless it returned because ctx
// ended: the writer may then still be committing event.
func (t *Trail) Append(ctx context.Context, event []byte) (uint64, error) {
	return t.AppendIssued(ctx, event, nil)
}

// AppendIssued is Append for an event whose request issued credentials:
// issued travels with the event's record to the sink and to the
// Committed hook (Record.Issued).
func (t *Trail) AppendIssued(ctx context.Context, event []byte, issued *request.Issuance) (uint64, error) {
	// One event is one line: a newline inside would split the record.
	// json.Marshal never writes one outside a string's escapes.
	if len(event) < 2 || event[0] != '{' || bytes.IndexByte(event, '\n') >= 0 {
		return 0, errors.New("audit: an event must be one compact JSON object")
	}
	if err := t.Ready(); err != nil {
		return 0, err
	}
	t.waiting.Add(1)
	defer t.waiting.Add(-1)
	p := pendingPool.Get().(*pending)
	p.event, p.issued, p.seq, p.err = event, issued, 0, nil
	t.mu.RLock()
	if t.closed {
		t.mu.RUnlock()
		pendingPool.Put(p)
		return 0, ErrClosed
	}
	select {
	case t.reqs <- p:
	case <-ctx.Done():
		t.mu.RUnlock()
		pendingPool.Put(p)
		return 0, ctx.Err()
	}
	t.mu.RUnlock()
	select {
	case <-p.done:
	case <-ctx.Done():
		// The writer still owns p; it may yet commit the event. The
		// caller fails its request either way (fail closed).
		return 0, ctx.Err()
	}
	seq, err := p.seq, p.err
	p.event, p.issued = nil, nil
	pendingPool.Put(p)
	return seq, err
}

// Waiting is how many Append calls are in progress: callers parked until
// their events are committed. A server with another group commit on the
// request path uses it to tell that one's writer not to wait for them.
func (t *Trail) Waiting() int { return int(t.waiting.Load()) }

// TrailStats counts committed events and the sink writes (one fsync
// each for the file sink) that carried them; Events/Batches is the group
// commit's gain.
type TrailStats struct {
	Events, Batches uint64
}

// Stats returns the counters since NewTrail, for metrics.
func (t *Trail) Stats() TrailStats {
	return TrailStats{Events: t.events.Load(), Batches: t.batches.Load()}
}

// Ready returns nil when events can be appended, or *UnavailableError
// while the sink is failing (it recovers on its own, with backoff).
func (t *Trail) Ready() error {
	if t.ready.Load() {
		return nil
	}
	var cause error = errors.New("sink failing")
	if p := t.lastErr.Load(); p != nil {
		cause = *p
	}
	return &UnavailableError{Cause: cause}
}

// WriteDigest signs a digest now for the events not yet covered by one.
func (t *Trail) WriteDigest() error {
	var err error
	if !t.do(func() { err = t.digest() }) {
		return ErrClosed
	}
	return err
}

// Head returns the chain's last sequence number and hash.
func (t *Trail) Head() (uint64, [32]byte) {
	var seq uint64
	var head [32]byte
	if !t.do(func() { seq, head = t.state.LastSeq, t.state.Head }) {
		seq, head = t.state.LastSeq, t.state.Head
	}
	return seq, head
}

// digested is the last sequence number covered by a signed digest.
func (t *Trail) digested() uint64 {
	var seq uint64
	if !t.do(func() { seq = t.state.DigestLastSeq }) {
		seq = t.state.DigestLastSeq
	}
	return seq
}

// do runs f on the writer goroutine and waits for it; false once the
// writer has stopped.
func (t *Trail) do(f func()) bool {
	ch := make(chan struct{})
	select {
	case t.ctrl <- func() { f(); close(ch) }:
		<-ch
		return true
	case <-t.done:
		return false
	}
}

// Close commits the events already queued, signs a final digest and
// closes the sink.
func (t *Trail) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		<-t.done
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	close(t.quit)
	<-t.done
	err := t.digest()
	if cerr := t.cfg.Sink.Close(); err == nil {
		err = cerr
	}
	return err
}

func (t *Trail) run() {
	defer close(t.done)
	var tick <-chan time.Time
	if t.cfg.DigestInterval > 0 {
		tk := time.NewTicker(t.cfg.DigestInterval)
		defer tk.Stop()
		tick = tk.C
	}
	var retry *time.Timer
	var retryC <-chan time.Time
	batch := make([]*pending, 0, t.cfg.MaxBatch)
	for {
		select {
		case p := <-t.reqs:
			batch = t.gather(t.drain(append(batch[:0], p)))
			t.lastBatch = len(batch)
			t.commit(batch)
		case f := <-t.ctrl:
			f()
		case <-tick:
			if err := t.digest(); err != nil {
				t.cfg.Logger.Error("audit: signing a digest failed", "err", err)
			}
		case <-retryC:
			retryC = nil
			t.repair()
		case <-t.quit:
			for {
				select {
				case p := <-t.reqs:
					t.commit(t.drain(append(batch[:0], p)))
					continue
				default:
				}
				return
			}
		}
		if !t.ready.Load() && retryC == nil {
			if retry == nil {
				retry = time.NewTimer(t.backoff)
			} else {
				retry.Reset(t.backoff)
			}
			retryC = retry.C
		}
	}
}

// drain adds the requests already waiting, up to MaxBatch.
func (t *Trail) drain(batch []*pending) []*pending {
	for len(batch) < t.cfg.MaxBatch {
		select {
		case p := <-t.reqs:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

// gather keeps the batch open while more events are coming: under load,
// callers are on their way and can share the next fsync. With
// Config.Callers it waits while fewer events are in the batch than
// callers in flight; without, while events keep arriving less than Gap
// apart, unless the previous batch had a single event (a lone caller).
// Either way it waits Linger at most.
func (t *Trail) gather(batch []*pending) []*pending {
	callers := t.cfg.Callers
	switch {
	case t.cfg.Linger < 0 || len(batch) >= t.cfg.MaxBatch:
		return batch
	case callers != nil && len(batch) >= callers():
		return batch
	case callers == nil && t.lastBatch <= 1:
		return batch
	}
	deadline := time.Now().Add(t.cfg.Linger)
	if t.linger == nil {
		t.linger = time.NewTimer(t.cfg.Gap)
	} else {
		t.linger.Reset(t.cfg.Gap)
	}
	defer t.linger.Stop()
	for len(batch) < t.cfg.MaxBatch {
		select {
		case p := <-t.reqs:
			batch = append(batch, p)
			if callers != nil {
				if len(batch) >= callers() {
					return batch
				}
				continue // the timer keeps polling callers() every Gap
			}
		case <-t.linger.C:
			if callers == nil || len(batch) >= callers() {
				return batch
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return batch
		}
		t.linger.Reset(min(t.cfg.Gap, left))
	}
	return batch
}

// commit chains the batch, writes it and releases its callers. On
// failure the chain does not advance: the failed events were never
// acknowledged, and their sequence numbers are reused.
func (t *Trail) commit(batch []*pending) {
	var err error
	if !t.ready.Load() {
		err = t.Ready()
	} else {
		seq, head := t.state.LastSeq, t.state.Head
		t.recs = t.recs[:0]
		for _, p := range batch {
			seq++
			h := ChainHash(head, seq, p.event)
			t.recs = append(t.recs, Record{Seq: seq, PrevHash: head, Hash: h, Event: p.event, Issued: p.issued})
			p.seq, head = seq, h
		}
		if err = t.cfg.Sink.Write(t.recs); err != nil {
			t.fail(err)
		} else {
			t.state.LastSeq, t.state.Head = seq, head
			t.events.Add(uint64(len(batch)))
			t.batches.Add(1)
			if t.cfg.Committed != nil {
				t.cfg.Committed(t.recs)
			}
		}
		clear(t.recs)
	}
	for _, p := range batch {
		if err != nil {
			p.seq, p.err = 0, err
		}
		p.done <- struct{}{}
	}
}

func (t *Trail) fail(err error) {
	t.lastErr.Store(&err)
	if t.ready.Swap(false) {
		t.cfg.Logger.Error("audit: trail cannot be written; refusing requests until it recovers", "err", err)
		t.backoff = 10 * time.Millisecond
	}
}

// repair runs on the retry timer while unhealthy.
func (t *Trail) repair() {
	var err error
	if r, ok := t.cfg.Sink.(Repairer); ok {
		err = r.Repair()
	}
	if err != nil {
		t.lastErr.Store(&err)
		t.backoff = min(t.backoff*2, 5*time.Second)
		return
	}
	t.cfg.Logger.Info("audit: trail recovered")
	t.ready.Store(true)
}

// digest signs and writes a digest for the uncovered events, if any.
func (t *Trail) digest() error {
	st := &t.state
	if st.LastSeq <= st.DigestLastSeq {
		return nil
	}
	if !t.ready.Load() {
		return t.Ready()
	}
	d := newDigest(st.DigestLastSeq+1, st.LastSeq, st.Head, st.DigestSig, t.cfg.Now())
	sd, err := signDigest(t.cfg.Signer, d)
	if err != nil {
		return err
	}
	if err := t.cfg.Sink.WriteDigest(sd); err != nil {
		t.fail(err)
		return err
	}
	st.DigestLastSeq, st.DigestSig = st.LastSeq, sd.Signature
	return nil
}
