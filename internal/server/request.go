package server

import (
	"context"
	"log/slog"

	"github.com/brevet-dev/brevet/internal/request"
)

// HeaderRequestID is the response header AWS puts the request id in.
const HeaderRequestID = "x-amzn-RequestId"

// headerRequestIDKey is HeaderRequestID as http.Header.Set stores it.
const headerRequestIDKey = "X-Amzn-Requestid"

// requestInfo is what the middleware learns about one request while it is
// served. The handler's side fills in action and errorCode through
// SetAction and SetErrorCode; the middleware reads them after the handler
// returns, on the same goroutine, so no locking is needed. A handler must
// not call the setters from goroutines that outlive it.
type requestInfo struct {
	id        string
	action    string
	errorCode string
	api       bool // served by the API handler: counted in the metrics
	// errw, when set, writes the server's own errors in the protocol of
	// a streaming listener (stream.go), the client-certificate listener
	// (mtls.go) or an API request's service (WithAPIErrorWriter).
	errw ErrorWriter
	// held is what limitInFlight counted for the request (Park).
	held inFlightHold
}

type infoKey struct{}

func withInfo(ctx context.Context, info *requestInfo) context.Context {
	// The id also goes under the request package's key, so every codec uses this
	// id instead of making its own: one id per request, everywhere.
	ctx = request.WithRequestID(ctx, info.id)
	return context.WithValue(ctx, infoKey{}, info)
}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

// RequestID returns the id of the request ctx belongs to, or "" outside a
// request.
func RequestID(ctx context.Context) string {
	return request.IDFromContext(ctx)
}

// SetAction records the AWS action a request named, for the access log
// and the metrics. Call it only with actions the dispatcher knows, never
// with a name taken unchecked from the request: it becomes a metric label,
// and labels must come from a bounded set. Outside a request it does
// nothing.
func SetAction(ctx context.Context, action string) {
	if info := infoFrom(ctx); info != nil {
		info.action = action
	}
}

// SetErrorCode records the AWS error code a request failed with (from
// awsquery's catalogue, so a bounded set), for the access log and the
// metrics. Outside a request it does nothing.
func SetErrorCode(ctx context.Context, code string) {
	if info := infoFrom(ctx); info != nil {
		info.errorCode = code
	}
}

// NewLogHandler wraps h so that every record logged with a request's
// context carries its request_id, wherever in the program it is logged
// (logger.InfoContext(ctx, ...)). The server wraps the logger it is given
// unless it is wrapped already.
func NewLogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(logHandler); ok {
		return h
	}
	return logHandler{h}
}

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.Handler.WithGroup(name)}
}
