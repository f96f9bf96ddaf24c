// Package logbuf batches log output: a busy server writes its log once
// per interval instead of once per line.
//
// Every API request logs an access line, and an unbuffered line costs a
// write system call on the request path (measured at about a tenth of a
// cheap request's CPU time). A Writer keeps whole lines in memory and
// writes them out when the interval passes, when the buffer fills, on
// Flush and on Close. The price is that a process killed without warning
// loses at most one interval of log lines; the audit trail, not the log,
// is the durable record of requests.
//
// logbuf must not interpret what it buffers: it only batches bytes.
package logbuf

import (
	"io"
	"sync"
	"time"
)

// Defaults for New.
const (
	DefaultInterval = 100 * time.Millisecond
	DefaultSize     = 64 << 10
)

// Writer buffers writes to an underlying writer. It is safe for
// concurrent use. Each Write is kept whole: a log handler's one Write per
// record never interleaves with another's.
type Writer struct {
	out  io.Writer
	size int

	mu     sync.Mutex
	buf    []byte
	err    error // the first error of the underlying writer, reported by Flush
	closed bool

	stop chan struct{}
	done chan struct{}
}

// New returns a Writer that flushes to out every interval (DefaultInterval
// when zero) and whenever more than size bytes (DefaultSize when zero)
// are waiting. Close stops its flusher and flushes.
func New(out io.Writer, interval time.Duration, size int) *Writer {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if size <= 0 {
		size = DefaultSize
	}
	w := &Writer{out: out, size: size, buf: make([]byte, 0, size), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run(interval)
	return w
}

// Write buffers p. It never fails: errors of the underlying writer are
// kept for Flush and Close (a log line must not fail the request that
// wrote it). After Close it writes through.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.out.Write(p)
	}
	if len(w.buf)+len(p) > w.size && len(w.buf) > 0 {
		w.flushLocked()
	}
	if len(p) > w.size {
		w.write(p)
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Flush writes out what is buffered and returns the first error the
// underlying writer has returned so far.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	return w.err
}

// Close stops the periodic flush and flushes; later writes go straight to
// the underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return w.err
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	return w.Flush()
}

func (w *Writer) run(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.mu.Lock()
			w.flushLocked()
			w.mu.Unlock()
		case <-w.stop:
			return
		}
	}
}

func (w *Writer) flushLocked() {
	if len(w.buf) == 0 {
		return
	}
	w.write(w.buf)
	w.buf = w.buf[:0]
}

func (w *Writer) write(p []byte) {
	if _, err := w.out.Write(p); err != nil && w.err == nil {
		w.err = err
	}
}
