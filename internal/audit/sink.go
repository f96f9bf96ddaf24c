package audit

import (
	"io"
	"log/slog"
	"sync"
)

// Sink stores chained events and signed digests. Write returns once the
// batch is stored as durably as the sink can store it; the Trail only
// acknowledges events after its sink's Write returned nil, so the sink
// given to a Trail decides durability. Sinks are called from one
// goroutine at a time. Write must not keep the batch, or its events'
// bytes, after it returns: the callers of Trail.Append reuse them.
type Sink interface {
	Write(batch []Record) error
	WriteDigest(d SignedDigest) error
	Close() error
}

// Repairer is implemented by sinks that can return to a consistent state
// after a failed Write (for the file sink: cut what a failed write left
// behind). The Trail calls it, with backoff, until it succeeds.
type Repairer interface {
	Repair() error
}

// WriterSink writes each event as one JSON line (the CloudTrail event
// alone, without the chain fields) to w, for log shippers reading
// standard output. It does not write digests and is not durable.
type WriterSink struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewWriterSink returns a sink writing JSON lines to w.
func NewWriterSink(w io.Writer) *WriterSink { return &WriterSink{w: w} }

// Write writes the batch's events in one Write call.
func (s *WriterSink) Write(batch []Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = s.buf[:0]
	for i := range batch {
		s.buf = append(s.buf, batch[i].Event...)
		s.buf = append(s.buf, '\n')
	}
	_, err := s.w.Write(s.buf)
	return err
}

// WriteDigest does nothing: digests belong with the durable trail.
func (s *WriterSink) WriteDigest(SignedDigest) error { return nil }

// Close does nothing; the writer belongs to the caller.
func (s *WriterSink) Close() error { return nil }

// TeeSink writes to a primary sink, which decides durability, and then
// to mirrors. A mirror's failure is logged and does not fail the batch:
// a broken pipe on standard output must not take the service down, and
// events it missed are still in the primary trail.
type TeeSink struct {
	Primary Sink
	Mirrors []Sink
	Logger  *slog.Logger
}

// Write writes to the primary, then, if that succeeded, to the mirrors.
func (t *TeeSink) Write(batch []Record) error {
	if err := t.Primary.Write(batch); err != nil {
		return err
	}
	for _, m := range t.Mirrors {
		if err := m.Write(batch); err != nil && t.Logger != nil {
			t.Logger.Warn("audit mirror sink failed", "err", err, "events", len(batch))
		}
	}
	return nil
}

// WriteDigest writes the digest to the primary and the mirrors.
func (t *TeeSink) WriteDigest(d SignedDigest) error {
	if err := t.Primary.WriteDigest(d); err != nil {
		return err
	}
	for _, m := range t.Mirrors {
		if err := m.WriteDigest(d); err != nil && t.Logger != nil {
			t.Logger.Warn("audit mirror sink failed to write a digest", "err", err)
		}
	}
	return nil
}

// Repair repairs the primary.
func (t *TeeSink) Repair() error {
	if r, ok := t.Primary.(Repairer); ok {
		return r.Repair()
	}
	return nil
}

// Close closes every sink and returns the primary's error.
func (t *TeeSink) Close() error {
	for _, m := range t.Mirrors {
		_ = m.Close()
	}
	return t.Primary.Close()
}
