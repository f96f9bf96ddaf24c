package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/request"
)

// internalFailureMessage is the only text a 500 carries: what went wrong
// is in the log, under the request id the client also got.
const internalFailureMessage = "An internal error occurred. Please try again."

// instrument is the outermost middleware: it gives the request its id,
// recovers panics, and once the response is done writes the access log
// line and counts the request. Wall-clock time is read here, at the edge,
// only to measure durations.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// The request's info and its status writer live as long as each
		// other: one allocation.
		x := &struct {
			info requestInfo
			sw   statusWriter
		}{info: requestInfo{id: request.NewID()}, sw: statusWriter{ResponseWriter: w}}
		info, sw := &x.info, &x.sw
		// Set would canonicalize the key, allocating, on every request.
		w.Header()[headerRequestIDKey] = []string{info.id}
		r = r.WithContext(withInfo(r.Context(), info))
		defer func() {
			d := time.Since(start)
			if info.api {
				s.metrics.observe(info, sw.status(), d.Seconds())
			}
			s.accessLog(r, info, sw, d)
		}()
		s.serveRecovering(sw, r, info, next)
	})
}

// serveRecovering runs next and turns a panic into a 500 InternalFailure,
// logged with its stack. If the response has already started it cannot be
// replaced; the connection is then aborted (http.ErrAbortHandler, which
// net/http handles quietly) so the client sees a failure, not a truncated
// success.
func (s *Server) serveRecovering(w *statusWriter, r *http.Request, info *requestInfo, next http.Handler) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler { //nolint:errorlint // a sentinel panic value, compared as net/http does
			w.aborted = true
			panic(p)
		}
		s.metrics.panics.Inc()
		s.log.ErrorContext(r.Context(), "panic serving request",
			"panic", fmt.Sprint(p), "stack", string(debug.Stack()), "method", r.Method, "path", r.URL.Path)
		if w.wroteHeader {
			w.aborted = true
			panic(http.ErrAbortHandler)
		}
		s.writeError(w, r.Context(), awsquery.CodeInternalFailure.New(internalFailureMessage))
	}()
	next.ServeHTTP(w, r)
}

// limitBody reads the API request body, up to the limit, before the API
// handler runs, in steps as its bytes arrive and within the body memory
// budget (limits.go). Reading it here, rather than wrapping it, means a
// body over the limit always gets the same RequestEntityTooLarge answer,
// whether or not the client declared its length, and whatever the handler
// does with a read error.
func (s *Server) limitBody(next http.Handler) http.Handler {
	limit := s.cfg.MaxRequestBody
	tooLarge := awsquery.CodeRequestEntityTooLarge.Errorf("The request body exceeds the limit of %d bytes.", limit)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if info := infoFrom(ctx); info != nil {
			info.api = true
		}
		if r.ContentLength > limit {
			s.writeError(w, ctx, tooLarge)
			return
		}
		body, reserved, err := readBody(r.Body, r.ContentLength, limit, &s.limits.body)
		defer s.limits.body.release(reserved)
		switch {
		case errors.Is(err, errBodyTooLarge):
			w.Header().Set("Connection", "close")
			s.writeError(w, ctx, tooLarge)
			return
		case errors.Is(err, errBodyBudget):
			s.overloaded(w, r, limitBodyMemory)
			return
		case err != nil:
			s.log.DebugContext(ctx, "reading request body", "err", err)
			s.writeError(w, ctx, awsquery.CodeMalformedQueryString.New("The request body could not be read."))
			return
		}
		r.Body = awsquery.NewBody(body) // the dispatcher takes the bytes as they are
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// writeError writes one of the errors the server raises itself, in
// awsquery's envelope, and records its code for the log and metrics.
func (s *Server) writeError(w http.ResponseWriter, ctx context.Context, e *awsquery.Error) {
	SetErrorCode(ctx, e.Code.Name)
	if info := infoFrom(ctx); info != nil && info.errw != nil {
		info.errw(w, ctx, e) // another protocol's (stream.go, mtls.go, WithAPIErrorWriter)
		return
	}
	awsquery.WriteError(w, nil, e, RequestID(ctx))
}

// accessLog writes one line per request. It logs the path and never the
// query string or any header but the user agent: presigned requests carry
// X-Amz-Signature, X-Amz-Credential and X-Amz-Security-Token in the query,
// and signed ones carry them in Authorization and X-Amz-Security-Token.
// API requests and server errors log at info; probes and other paths at
// debug, so that health checks do not drown the log.
func (s *Server) accessLog(r *http.Request, info *requestInfo, w *statusWriter, d time.Duration) {
	status := w.status()
	level := slog.LevelDebug
	if info.api || status >= http.StatusInternalServerError {
		level = slog.LevelInfo
	}
	ctx := r.Context()
	if !s.log.Enabled(ctx, level) {
		return
	}
	line := accessLine{
		time: time.Now(), level: level, method: r.Method, path: truncate(r.URL.Path, 256), status: status,
		duration: d, remoteAddr: r.RemoteAddr, userAgent: truncate(r.UserAgent(), 256),
		bytesIn: r.ContentLength, bytesOut: w.written, action: info.action, errorCode: info.errorCode,
		aborted: w.aborted, requestID: info.id,
	}
	if s.accessJSON != nil {
		bp := accessBufs.Get().(*[]byte)
		*bp = line.appendJSON((*bp)[:0])
		_, _ = s.accessJSON.Write(*bp)
		if cap(*bp) <= 4096 {
			accessBufs.Put(bp)
		}
		return
	}
	s.log.LogAttrs(ctx, level, "request", line.attrs()...) // request_id: NewLogHandler
}

// accessBufs holds the buffers the JSON access log formats lines in.
var accessBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// truncate bounds what a client can make one log line hold.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// statusWriter remembers the status and size of a response. Unwrap lets
// http.ResponseController reach the connection's own writer.
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
	written     int64
	aborted     bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader && code >= 200 {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(b)
	w.written += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// status is the status sent; 200 when the handler wrote nothing (net/http
// then sends 200), 500 when the exchange was aborted.
func (w *statusWriter) status() int {
	switch {
	case w.aborted:
		return http.StatusInternalServerError
	case !w.wroteHeader:
		return http.StatusOK
	}
	return w.code
}
