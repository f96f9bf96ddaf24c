package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
)

// ErrorWriter writes an error the server raises itself (an overload
// refusal, a panic) in the protocol of a listener whose clients do not
// speak the Query protocol. e carries the AWS code, its HTTP status, the
// message and any Retry-After.
type ErrorWriter func(w http.ResponseWriter, ctx context.Context, e *awsquery.Error)

// streamListener is a second listener for a protocol whose requests
// stream their bodies (the S3 gateway): its handler takes every method and
// path and reads its own body; the server's connection and in-flight
// limits, request ids, recovery, access log and metrics apply as on the
// API's listener, with the server's own errors written by errw.
type streamListener struct {
	name    string // in the log: "s3"
	h       http.Handler
	errw    ErrorWriter
	handler http.Handler
	drainer drainer // what is read of a body its handler left (drain.go)
}

// WithStreaming adds the streaming listener's handler, served by
// RunStreaming. Unlike the API's, its request bodies are not read ahead
// or capped (uploads of gigabytes stream through), and no health or
// metrics paths are mounted on it (every path belongs to h).
// name names the listener in the log.
func WithStreaming(name string, h http.Handler, errw ErrorWriter) Option {
	return func(s *Server) {
		s.stream = &streamListener{name: name, h: h, errw: errw, drainer: drainer{timeout: drainTimeout, max: drainMaxBytes}}
	}
}

func (l *streamListener) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := infoFrom(r.Context()); info != nil {
			info.errw, info.api = l.errw, true
		}
		next.ServeHTTP(w, r)
	})
}

// RunStreaming serves the streaming listener's handler on ln, with the
// API's TLS settings, as Run serves the API. Whole requests have no
// deadline (a transfer takes as long as its bytes take); headers must come
// within ReadHeaderTimeout, idle connections close after IdleTimeout, and
// the connection caps bound what slow clients can hold. It can be called
// once.
func (s *Server) RunStreaming(ctx context.Context, ln net.Listener) error {
	if s.stream == nil {
		return errors.New("server: RunStreaming without WithStreaming")
	}
	if !s.streamStarted.CompareAndSwap(false, true) {
		return errors.New("server: RunStreaming called twice")
	}
	t := s.apiTimeouts()
	t.read, t.write = 0, 0
	return s.serve(ctx, s.limitConnections(ln), s.stream.handler, s.stream.name, t, s.tls)
}

// timeouts are an http.Server's deadlines.
type timeouts struct{ readHeader, read, write, idle time.Duration }

func (s *Server) apiTimeouts() timeouts {
	return timeouts{readHeader: s.cfg.ReadHeaderTimeout, read: s.cfg.ReadTimeout, write: s.cfg.WriteTimeout, idle: s.cfg.IdleTimeout}
}
