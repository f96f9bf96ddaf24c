package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
)

// Options configures Open, the constructor the server calls.
type Options struct {
	// Dir is the audit directory (event files, digests, signing key).
	Dir string
	// Region is awsRegion in events; us-east-1 when empty.
	Region string
	// Account is the account whose resources data events touch (the
	// node's): their recipientAccountId (Converter.Account).
	Account string
	// DataEvents chooses the data events recorded; nil records all. A
	// data event it leaves out is not written at all (Audit returns at
	// once); failures are always recorded (see Selector).
	DataEvents *Selector
	// Stdout, when set, also receives every event as a JSON line. It is a
	// mirror: the file trail alone decides durability.
	Stdout io.Writer
	// Signer signs digests; when nil the key in Dir/signing-key.pem is
	// loaded, or generated on first use.
	Signer *Signer
	// TLSDetails returns the tlsDetails of a request; when nil (or when it
	// returns nil) events carry none, which is right for plain HTTP. The
	// server knows the connection state, which the record carries.
	TLSDetails func(ctx context.Context, rec *request.Record) *TLSDetails
	// Rotation and digests; see FileSinkConfig and TrailConfig.
	MaxFileBytes   int64
	MaxFileAge     time.Duration
	DigestInterval time.Duration
	// Callers is TrailConfig.Callers: how many requests are on their way
	// to the trail (the server's API requests in flight), for the group
	// commit to wait for; nil to guess from arrival gaps.
	Callers func() int
	// Committed is TrailConfig.Committed: it sees every batch once it is
	// durable (the issuance index follows the trail through it).
	Committed func(batch []Record)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// OpenFile is for fault-injection tests; os.OpenFile when nil.
	OpenFile OpenFileFunc
	// Durable, when set, replaces the file trail as the sink that decides
	// durability (the PostgreSQL sink of a cluster); Dir then holds only
	// the signing key. Open takes ownership: Close closes it.
	Durable DurableSink
	Logger  *slog.Logger

	// MaxFieldBytes and MaxFailedFieldBytes cap requestParameters and
	// responseElements (Converter); zero for the defaults, negative for
	// no cap.
	MaxFieldBytes, MaxFailedFieldBytes int
	// Aggregate folds repeated unauthenticated failures.
	Aggregate AggregateConfig
	// Retention prunes rotated event files (file trail only).
	Retention RetentionConfig
	// Followed, when set, is how far a reader that follows the trail (the
	// issuance index) has read: retention never prunes past it.
	Followed func(ctx context.Context) (uint64, error)
	// DiskWatermark is the free space under which CheckDisk warns;
	// DefaultWatermark when zero.
	DiskWatermark Watermark
	// Statfs reports the trail's file system's space; statfs(2) when nil
	// (tests inject one).
	Statfs Statfs
}

// DurableSink is a sink that decides durability and knows where its
// chain stands: the file trail (*FileSink) or a database sink.
type DurableSink interface {
	Sink
	State() ChainState
}

var _ DurableSink = (*FileSink)(nil)

// Auditor implements request.Auditor: it converts each record to an
// Event and appends it to the trail, returning once it is durable.
type Auditor struct {
	trail   *Trail
	durable DurableSink
	conv    Converter
	sel     *Selector
	tls     func(context.Context, *request.Record) *TLSDetails
	signer  *Signer
	bufs    sync.Pool // *[]byte, for encoding events
	log     *slog.Logger
	now     func() time.Time
	dir     string

	agg       *aggregator
	retention RetentionConfig
	followed  func(context.Context) (uint64, error)
	pruneMu   sync.Mutex
	watermark Watermark
	statfs    Statfs
	diskLow   atomic.Bool // last CheckDisk's answer, for logging changes

	omitted atomic.Uint64
	folded  atomic.Uint64
	skipped atomic.Uint64
	pruned  atomic.Uint64

	quit   chan struct{}
	bgDone chan struct{}
}

var _ request.Auditor = (*Auditor)(nil)

// Open opens the trail in opts.Dir and starts its writer.
func Open(opts Options) (*Auditor, error) {
	if opts.Dir == "" {
		return nil, errors.New("audit: Options.Dir is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var fs DurableSink = opts.Durable
	if fs == nil {
		f, err := OpenFileSink(FileSinkConfig{
			Dir: opts.Dir, MaxBytes: opts.MaxFileBytes, MaxAge: opts.MaxFileAge,
			Now: opts.Now, OpenFile: opts.OpenFile, Logger: opts.Logger,
		})
		if err != nil {
			return nil, err
		}
		fs = f
	} else if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		fs.Close()
		return nil, err
	}
	var err error
	signer := opts.Signer
	if signer == nil {
		if signer, err = LoadOrCreateKey(filepath.Join(opts.Dir, KeyFile)); err != nil {
			fs.Close()
			return nil, err
		}
	}
	var sink Sink = fs
	if opts.Stdout != nil {
		sink = &TeeSink{Primary: fs, Mirrors: []Sink{NewWriterSink(opts.Stdout)}, Logger: opts.Logger}
	}
	tr, err := NewTrail(TrailConfig{
		Sink: sink, State: fs.State(), Signer: signer, Now: opts.Now,
		DigestInterval: opts.DigestInterval, Callers: opts.Callers, Committed: opts.Committed, Logger: opts.Logger,
	})
	if err != nil {
		fs.Close()
		return nil, err
	}
	a := &Auditor{
		trail: tr, durable: fs, tls: opts.TLSDetails, signer: signer, log: opts.Logger, now: opts.Now, dir: opts.Dir,
		conv:      Converter{Region: opts.Region, Account: opts.Account, MaxFieldBytes: opts.MaxFieldBytes, MaxFailedFieldBytes: opts.MaxFailedFieldBytes},
		sel:       opts.DataEvents,
		agg:       newAggregator(opts.Aggregate),
		retention: opts.Retention, followed: opts.Followed, watermark: opts.DiskWatermark, statfs: opts.Statfs,
		quit: make(chan struct{}), bgDone: make(chan struct{}),
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.watermark == (Watermark{}) {
		a.watermark = DefaultWatermark
	}
	if a.statfs == nil {
		a.statfs = osStatfs
	}
	if a.retention.Interval <= 0 {
		a.retention.Interval = time.Minute
	}
	go a.background()
	return a, nil
}

// background ends the aggregation windows and runs retention and the
// disk check until Close.
func (a *Auditor) background() {
	defer close(a.bgDone)
	var window <-chan time.Time
	if a.agg != nil {
		t := time.NewTicker(a.agg.cfg.Window)
		defer t.Stop()
		window = t.C
	}
	house := time.NewTicker(a.retention.Interval)
	defer house.Stop()
	for {
		select {
		case <-a.quit:
			return
		case <-window:
			if err := a.FlushAggregates(context.Background()); err != nil {
				a.log.Error("audit: writing aggregated failures failed", "err", err)
			}
		case <-house.C:
			if _, err := a.Prune(context.Background()); err != nil {
				a.log.Error("audit: retention failed; it will try again", "err", err)
			}
			_ = a.CheckDisk()
		}
	}
}

// FlushAggregates ends the aggregation window now: it writes one
// aggregate event per source and error code that had failures folded.
// The Auditor calls it every window and at Close. A failure is logged
// with the counts it could not record.
func (a *Auditor) FlushAggregates(ctx context.Context) error {
	if a.agg == nil {
		return nil
	}
	var errs []error
	for _, e := range a.agg.take(a.conv.newID) {
		if _, err := a.appendEvent(ctx, e); err != nil {
			ag := e.AdditionalEventData.AggregatedFailures
			a.log.Error("audit: an aggregate of unauthenticated failures could not be recorded", "source", e.SourceIPAddress,
				"error_code", e.ErrorCode, "count", ag.Count, "first", ag.FirstTime, "last", ag.LastTime, "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// AuditorStats counts what the caps, aggregation and retention did.
type AuditorStats struct {
	// Omitted is how many requestParameters and responseElements were
	// replaced by an omitted marker.
	Omitted uint64
	// Aggregated is how many requests were folded into aggregates rather
	// than recorded one event each.
	Aggregated uint64
	// Pruned is how many rotated event files retention archived or
	// deleted.
	Pruned uint64
	// DataEventsSkipped is how many data events the selectors left out
	// (Options.DataEvents).
	DataEventsSkipped uint64
}

// Stats returns the counters since Open, for metrics.
func (a *Auditor) Stats() AuditorStats {
	return AuditorStats{Omitted: a.omitted.Load(), Aggregated: a.folded.Load(), Pruned: a.pruned.Load(), DataEventsSkipped: a.skipped.Load()}
}

// DiskUsage measures the audit directory and its file system.
func (a *Auditor) DiskUsage() (DiskUsage, error) {
	u := DiskUsage{TrailBytes: dirBytes(a.dir)}
	free, total, err := a.statfs(a.dir)
	if err != nil {
		return u, err
	}
	u.FreeBytes, u.TotalBytes = free, total
	u.Low = a.watermark.low(free, total)
	return u, nil
}

// CheckDisk returns *DiskLowError when the trail's file system has less
// free space than the watermark (nil when it cannot tell), and logs when
// that changes. /readyz reports it as a warning.
func (a *Auditor) CheckDisk() error {
	u, err := a.DiskUsage()
	if err != nil {
		return nil
	}
	var low error
	if u.Low {
		low = &DiskLowError{Usage: u, Watermark: a.watermark}
	}
	if was := a.diskLow.Swap(u.Low); was != u.Low {
		if u.Low {
			a.log.Warn("audit: free space on the audit trail's file system is under the watermark", "free_bytes", u.FreeBytes,
				"total_bytes", u.TotalBytes, "trail_bytes", u.TrailBytes, "watermark", a.watermark.String())
		} else {
			a.log.Info("audit: free space on the audit trail's file system is over the watermark again", "free_bytes", u.FreeBytes)
		}
	}
	return low
}

// Audit records rec; it returns once the event is durable, or an error
// (the dispatcher then fails the request: auditing fails closed).
func (a *Auditor) Audit(ctx context.Context, rec *request.Record) error {
	if !a.sel.Records(rec) {
		a.skipped.Add(1) // a data event the operator chose not to record
		return nil
	}
	var td *TLSDetails
	if a.tls != nil {
		td = a.tls(ctx, rec)
	}
	if a.agg != nil && unauthenticatedFailure(rec) && a.agg.fold(rec, a.conv.region()) {
		// A refusal counted for the window's aggregate: not written
		// now (see AggregateConfig).
		a.folded.Add(1)
		return nil
	}
	buf := a.getBuf()
	b, omitted, err := a.conv.appendJSON((*buf)[:0], rec, td) // redacted as Convert redacts
	if err != nil {
		a.putBuf(buf, b)
		return err
	}
	if omitted > 0 {
		a.omitted.Add(uint64(omitted))
	}
	var issued *request.Issuance
	if rec.Issued != nil && rec.Issued.Temporary() && rec.Issued.Upstream == nil {
		// Upstream credentials are audited, not indexed: Brevet can
		// neither verify nor revoke them.
		issued = rec.Issued
	}
	_, err = a.append(ctx, buf, b, issued)
	return err
}

// AppendEvent appends an event that did not come from the dispatcher (for
// example an authorization decision of the gateway). It redacts the
// parameters and response elements again before encoding.
func (a *Auditor) AppendEvent(ctx context.Context, e *Event) (uint64, error) {
	e.RequestParameters = Redact(e.RequestParameters)
	e.ResponseElements = Redact(e.ResponseElements)
	return a.appendEvent(ctx, e)
}

// appendEvent encodes e, capping its maps as a successful request's, and
// appends it.
func (a *Auditor) appendEvent(ctx context.Context, e *Event) (uint64, error) {
	buf := a.getBuf()
	b, omitted, err := e.appendJSON((*buf)[:0], false, a.conv.maxField(&request.Record{}))
	if err != nil {
		a.putBuf(buf, b)
		return 0, err
	}
	if omitted > 0 {
		a.omitted.Add(uint64(omitted))
	}
	return a.append(ctx, buf, b, nil)
}

// append appends the event b, encoded in buf, and recycles buf once the
// trail no longer reads it.
func (a *Auditor) append(ctx context.Context, buf *[]byte, b []byte, issued *request.Issuance) (uint64, error) {
	seq, err := a.trail.AppendIssued(ctx, b, issued)
	// When ctx ends while Append waits for the commit, Append returns
	// and the writer may still be reading b; otherwise Append returned
	// before handing b over or after the sink's Write, which does not
	// keep it. ctx.Err() stays set once ctx has ended, so nil here means
	// the first cases.
	if ctx.Err() == nil {
		a.putBuf(buf, b)
	}
	return seq, err
}

// maxPooledBuf bounds the encoding buffers kept for reuse, so that one
// huge event does not pin its buffer.
const maxPooledBuf = 64 << 10

func (a *Auditor) getBuf() *[]byte {
	if p, ok := a.bufs.Get().(*[]byte); ok {
		return p
	}
	b := make([]byte, 0, 4096)
	return &b
}

func (a *Auditor) putBuf(p *[]byte, b []byte) {
	if cap(b) > maxPooledBuf {
		return
	}
	*p = b[:0]
	a.bufs.Put(p)
}

// Ready reports whether events can be made durable; the server's
// readiness check calls it.
func (a *Auditor) Ready() error { return a.trail.Ready() }

// PublicKey is the digest verification key.
func (a *Auditor) PublicKey() ed25519.PublicKey { return a.signer.Public() }

// Durable is the sink that decides durability (a *FileSink unless
// Options.Durable named another), for readers that need to know where the
// trail is kept.
func (a *Auditor) Durable() DurableSink { return a.durable }

// Trail is the underlying trail (for digests on demand and tests).
func (a *Auditor) Trail() *Trail { return a.trail }

// Close writes the aggregates of the window in progress, flushes, signs
// a final digest and closes the files.
func (a *Auditor) Close() error {
	select {
	case <-a.quit:
	default:
		close(a.quit)
	}
	<-a.bgDone
	if err := a.FlushAggregates(context.Background()); err != nil && !errors.Is(err, ErrClosed) {
		a.log.Error("audit: writing aggregated failures at close failed", "err", err)
	}
	return a.trail.Close()
}

// TLSDetailsFromState builds tlsDetails from a connection state; nil for
// plain HTTP. host is the request's Host header.
func TLSDetailsFromState(cs *tls.ConnectionState, host string) *TLSDetails {
	if cs == nil {
		return nil
	}
	return &TLSDetails{
		TLSVersion:               tlsVersionName(cs.Version),
		CipherSuite:              tls.CipherSuiteName(cs.CipherSuite),
		ClientProvidedHostHeader: host,
	}
}

// tlsVersionName spells versions as CloudTrail does ("TLSv1.3").
func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1"
	}
	return tls.VersionName(v)
}
