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
	"time"

	"github.com/brevet-dev/brevet/internal/request"
)

// Options configures Open, the constructor the server calls.
type Options struct {
	// Dir is the audit directory (event files, digests, signing key).
	Dir string
	// Region is awsRegion in events; us-east-1 when empty.
	Region string
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
	tls     func(context.Context, *request.Record) *TLSDetails
	signer  *Signer
	bufs    sync.Pool // *[]byte, for encoding events
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
	return &Auditor{trail: tr, durable: fs, conv: Converter{Region: opts.Region}, tls: opts.TLSDetails, signer: signer}, nil
}

// Audit records rec; it returns once the event is durable, or an error
// (the dispatcher then fails the request: auditing fails closed).
func (a *Auditor) Audit(ctx context.Context, rec *request.Record) error {
	var td *TLSDetails
	if a.tls != nil {
		td = a.tls(ctx, rec)
	}
	buf := a.getBuf()
	b, err := a.conv.appendJSON((*buf)[:0], rec, td) // redacted as Convert redacts
	if err != nil {
		a.putBuf(buf, b)
		return err
	}
	var issued *request.Issuance
	if rec.Issued != nil && rec.Issued.Temporary() {
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
	buf := a.getBuf()
	b, err := e.AppendJSON((*buf)[:0])
	if err != nil {
		a.putBuf(buf, b)
		return 0, err
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

// Close flushes, signs a final digest and closes the files.
func (a *Auditor) Close() error { return a.trail.Close() }

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
