package awsquery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
)

// Request is what an action's handler receives.
type Request[In any] struct {
	Principal request.Principal
	Input     *In
	RequestID string
	Now       time.Time
	// Request facts, as the Authorizer sees them, for actions that
	// authorize inside themselves (AssumeRole's trust policy).
	SourceIP        string
	UserAgent       string
	SecureTransport bool

	x *request.Exchange
}

// Issue records what the action minted: an action whose Effect is
// request.IssuesCredentials calls it before returning its output, and the
// request fails closed if it does not.
func (r *Request[In]) Issue(i request.Issuance) { r.x.Issue(i) }

// Handler is one action's part of the pipeline.
type Handler[In, Out any] struct {
	// Target says what to authorize. Exactly one of Target and
	// SkipAuthorization must be set.
	Target func(ctx context.Context, req *Request[In]) (request.Target, error)
	// SkipAuthorization, when not empty, says why the action is not
	// subject to an identity policy check (GetCallerIdentity is always
	// allowed; AssumeRoleWithWebIdentity is authorized by the role's trust
	// policy inside the action). It is documentation that must be written.
	SkipAuthorization string
	// SkipAuthorizationIf, with Target, says which requests are not
	// subject to the identity policy check: those that carry their own
	// authority (EnrollHost with a join token), while the others are
	// authorized on Target. It is optional.
	SkipAuthorizationIf func(req *Request[In]) bool
	// Targets, with Target, names further authorizations the request
	// needs besides Target's, every one allowed: iam:PassRole on the role
	// an action hands on (IAM's AddRoleToInstanceProfile). A request that
	// SkipAuthorizationIf excuses needs none of them.
	Targets func(ctx context.Context, req *Request[In]) ([]request.Target, error)
	// Effect is what the action does; it must be declared.
	Effect request.Effect
	// Serve performs the action.
	Serve func(ctx context.Context, req *Request[In]) (*Out, error)
}

// Config configures a Dispatcher. Pipeline is required.
type Config struct {
	// Pipeline is the steps every request goes through.
	Pipeline *request.Pipeline
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
	// MaxBodyBytes limits the request body; 1 MiB when zero.
	MaxBodyBytes int64
	// NewRequestID returns a request id; random UUIDs (AWS's format) when nil.
	NewRequestID func() string
	// ErrorMappers map domain errors of packages this one cannot import.
	ErrorMappers []ErrorMapper
	// Logger receives unmapped errors.
	Logger *slog.Logger
}

// DefaultMaxBodyBytes is the body limit when Config.MaxBodyBytes is zero:
// room for IAM's largest parameter (a 131,072-character policy document,
// percent-encoded) with margin.
const DefaultMaxBodyBytes = 1 << 20

// Dispatcher serves AWS Query requests: it parses Action and Version,
// authenticates, decodes and validates the typed input, authorizes, runs
// the action, audits and writes the XML response or <ErrorResponse>. It is
// an http.Handler. Register every action before serving.
type Dispatcher struct {
	cfg      Config
	routes   map[routeKey]*route
	versions map[string]*Service
	first    *Service
}

type routeKey struct{ version, action string }

type route struct {
	op *OperationInfo
	// req is the protocol-free description of the action, made once here
	// rather than per request.
	req request.Operation
	// target and act are the typed steps of the pipeline (typed.go).
	target func(ctx context.Context, x *exchange) (request.Target, bool, error)
	// more is the handler's Targets, after target (nil when it has none).
	more func(ctx context.Context, x *exchange) ([]request.Target, error)
	act  func(ctx context.Context, x *exchange) error
}

// New returns a Dispatcher with no actions.
func New(cfg Config) (*Dispatcher, error) {
	if err := cfg.Pipeline.Check(); err != nil {
		return nil, fmt.Errorf("awsquery: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.NewRequestID == nil {
		cfg.NewRequestID = request.NewID
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg, routes: map[routeKey]*route{}, versions: map[string]*Service{}}, nil
}

// Register adds an action. It panics on a programming error: a second
// handler for the same action, no Serve, no declared Effect, or neither
// (or both) of Target and SkipAuthorization.
func Register[In, Out any](d *Dispatcher, op *Operation[In, Out], h Handler[In, Out]) {
	k := routeKey{op.Service.Version, op.Name}
	switch {
	case d.routes[k] != nil:
		panic("awsquery: " + op.Name + " registered twice")
	case h.Serve == nil:
		panic("awsquery: " + op.Name + ": Handler.Serve is nil")
	case !h.Effect.Valid():
		panic("awsquery: " + op.Name + ": Handler.Effect must declare what the action does")
	case (h.Target == nil) == (h.SkipAuthorization == ""):
		panic("awsquery: " + op.Name + ": set exactly one of Handler.Target and Handler.SkipAuthorization")
	case h.SkipAuthorizationIf != nil && h.Target == nil:
		panic("awsquery: " + op.Name + ": Handler.SkipAuthorizationIf needs Handler.Target")
	case h.Targets != nil && h.Target == nil:
		panic("awsquery: " + op.Name + ": Handler.Targets needs Handler.Target")
	}
	if d.first == nil {
		d.first = op.Service
	}
	d.versions[op.Service.Version] = op.Service
	d.routes[k] = &route{
		op: &op.OperationInfo,
		req: request.Operation{
			Service: op.Service.Name, Version: op.Service.Version, Name: op.Name,
			Action: op.Service.Name + ":" + op.Name, Unsigned: op.Unsigned, Effect: h.Effect,
		},
		target: func(ctx context.Context, x *exchange) (request.Target, bool, error) {
			return typedTarget(ctx, x, op, &h)
		},
		act: func(ctx context.Context, x *exchange) error { return typedAct(ctx, x, op, &h) },
	}
	if h.Targets != nil {
		d.routes[k].more = func(ctx context.Context, x *exchange) ([]request.Target, error) {
			return h.Targets(ctx, x.typed.(*Request[In]))
		}
	}
}

// typedTarget makes the handler's typed request from the validated input
// and asks it what to authorize.
func typedTarget[In, Out any](ctx context.Context, x *exchange, op *Operation[In, Out], h *Handler[In, Out]) (request.Target, bool, error) {
	r := x.HTTP
	req := &Request[In]{Principal: x.Principal, Input: op.DecodeInput(&x.input), RequestID: x.ID, Now: x.Start,
		SourceIP: x.SourceIP, UserAgent: r.UserAgent(), SecureTransport: r.TLS != nil, x: &x.Exchange}
	x.typed = req
	if h.Target == nil || (h.SkipAuthorizationIf != nil && h.SkipAuthorizationIf(req)) {
		return request.Target{}, false, nil
	}
	t, err := h.Target(ctx, req)
	return t, err == nil, err
}

// typedAct runs the handler and converts its output.
func typedAct[In, Out any](ctx context.Context, x *exchange, op *Operation[In, Out], h *Handler[In, Out]) error {
	out, err := h.Serve(ctx, x.typed.(*Request[In]))
	if err != nil {
		return err
	}
	if out == nil {
		return fmt.Errorf("awsquery: %s returned neither output nor error", op.Name)
	}
	x.output = op.EncodeOutput(out)
	x.result = out
	return nil
}

// exchange is the state of one request as it moves through the pipeline:
// the protocol-free part and the Query protocol's own.
type exchange struct {
	request.Exchange
	d     *Dispatcher
	rt    *route
	op    *OperationInfo
	svc   *Service
	input Value
	// parsed says the input decoded (Route); decoded says so once the
	// caller is authenticated (Decode), for the audit record.
	parsed, decoded bool
	// decodeErr is why the input did not decode or validate, told after
	// authentication (Decode).
	decodeErr error
	output    Value
	// result is the handler's *Out, for Invoke.
	result any
	// typed is the handler's *Request[In], made once its input is decoded.
	typed any
	// rec is the audit record, made in the same allocation as the
	// exchange: every request has one.
	rec request.Record
	// target holds the one Target most actions authorize, so that
	// Targets allocates nothing for them.
	target [1]request.Target
}

// ServeHTTP handles one AWS Query request end to end.
func (d *Dispatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x, wire := d.serve(r)
	if wire != nil {
		WriteError(w, d.service(x), wire, x.ID)
		return
	}
	bp := getXMLBuf()
	*bp = AppendResponse(*bp, x.op, &x.output, x.ID)
	writeXML(w, http.StatusOK, *bp, x.ID)
	putXMLBuf(bp)
}

// serve takes r through the pipeline and audits it: what ServeHTTP and
// Invoke share. It returns the request's state and its wire error, nil
// on success.
func (d *Dispatcher) serve(r *http.Request) (*exchange, *Error) {
	ctx := r.Context()
	id := request.IDFromContext(ctx)
	if id == "" {
		id = d.cfg.NewRequestID()
		ctx = request.WithRequestID(ctx, id)
	}
	x := &exchange{d: d}
	x.Begin(r, id, d.cfg.Clock())
	p := d.cfg.Pipeline
	err := p.Run(ctx, &x.Exchange, x)

	var wire *Error
	if err != nil {
		var unmapped bool
		wire, unmapped = ToWire(err, d.cfg.ErrorMappers...)
		switch {
		case unmapped && clientGone(ctx, err):
			// Not a fault of ours: the client hung up (or its deadline
			// passed) while the action waited on it, so nobody reads
			// the answer; it is audited as what it was, not as a 500.
			wire = CodeServiceUnavailable.New(msgClientGone)
		case unmapped:
			d.cfg.Logger.ErrorContext(ctx, "unmapped error", "request_id", id, "action", actionName(x), "err", err)
		}
	}
	if p.Finish(ctx, d.record(x, err, wire)) != nil {
		wire = CodeServiceUnavailable.New("Service is unavailable. Please try again later.")
	}
	return x, wire
}

// msgClientGone answers a request whose client went away before it was
// served.
const msgClientGone = "The request ended before it was served: the client closed the connection or its deadline passed."

// clientGone reports whether err is the request's own context ending (the
// client closed the connection) rather than a failure of the server.
func clientGone(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

func actionName(x *exchange) string {
	if x.op == nil {
		return ""
	}
	return x.op.Name
}

// service is the service whose namespace the error envelope uses.
func (d *Dispatcher) service(x *exchange) *Service {
	if x.svc != nil {
		return x.svc
	}
	return d.first
}

// Route reads the parameters (query string and form body), finds the
// action and decodes its input (request.Call). A decoding or validation
// error waits for Decode, after authentication, so that an unsigned or
// badly signed request is told that first, as AWS does. The parameters
// are read into a buffer on the stack: requests rarely carry more than a
// few, and the slice only grows onto the heap for those that carry more
// than 16; decoding here, once, lets them stay there.
func (x *exchange) Route(_ context.Context, rx *request.Exchange) error {
	var paramBuf [16]Param
	body, params, err := x.d.readParams(rx.HTTP, paramBuf[:0])
	if err != nil {
		return err
	}
	x.Body = body
	if x.rt, err = x.d.route(x, params); err != nil {
		return err
	}
	if x.input, x.decodeErr = Decode(x.op.Input, params); x.decodeErr == nil {
		x.parsed = true
		x.decodeErr = ValidateFor(x.svc, x.op.Input, &x.input)
	}
	return nil
}

// Decode reports what decoding the input found (request.Call).
func (x *exchange) Decode(context.Context, *request.Exchange) error {
	x.decoded = x.parsed
	return x.decodeErr
}

// Target asks the handler what to authorize (request.Call).
func (x *exchange) Target(ctx context.Context, _ *request.Exchange) (request.Target, bool, error) {
	return x.rt.target(ctx, x)
}

// Targets asks the handler what to authorize: its Target, then its
// further Targets (request.MultiTarget, which the pipeline asks instead of
// Target); nothing for a request that authorizes itself.
func (x *exchange) Targets(ctx context.Context, _ *request.Exchange) ([]request.Target, error) {
	t, ok, err := x.rt.target(ctx, x)
	if err != nil {
		return nil, err
	}
	ts := x.target[:0]
	if ok {
		ts = append(ts, t)
	}
	if ok && x.rt.more != nil {
		more, err := x.rt.more(ctx, x)
		if err != nil {
			return nil, err
		}
		ts = append(ts, more...)
	}
	return ts, nil
}

// Act runs the handler (request.Call).
func (x *exchange) Act(ctx context.Context, _ *request.Exchange) error { return x.rt.act(ctx, x) }

// readParams reads the query string and, for form posts, the body,
// appending the parameters to params.
func (d *Dispatcher) readParams(r *http.Request, params []Param) ([]byte, []Param, error) {
	var body []byte
	if r.Body != nil {
		var err error
		body, err = readBody(r, d.cfg.MaxBodyBytes)
		if err != nil {
			return nil, nil, CodeMalformedQueryString.New("The request body could not be read.")
		}
		if int64(len(body)) > d.cfg.MaxBodyBytes {
			return nil, nil, CodeRequestEntityTooLarge.Errorf("The request body exceeds the limit of %d bytes.", d.cfg.MaxBodyBytes)
		}
	}
	params, err := ParseQuery(params, r.URL.RawQuery)
	if err != nil {
		return nil, nil, err
	}
	if len(body) > 0 && isForm(r.Header.Get("Content-Type")) {
		if params, err = ParseForm(params, string(body)); err != nil {
			return nil, nil, err
		}
	}
	return body, params, nil
}

// Body is a request body already in memory, as a server that enforces its
// own body limit has read it. Set as r.Body, it spares the dispatcher
// reading and copying the body a second time: it takes the bytes as they
// are.
type Body struct {
	bytes.Reader
	b []byte
}

// NewBody returns a Body holding b. b must not be modified afterwards.
func NewBody(b []byte) *Body {
	body := &Body{b: b}
	body.Reset(b)
	return body
}

// Close does nothing; it makes a Body an io.ReadCloser.
func (*Body) Close() error { return nil }

// readBody reads up to limit+1 bytes, in one allocation when the client
// declared the length, and none when the body is an unread Body.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if b, ok := r.Body.(*Body); ok && b.Len() == len(b.b) {
		_, _ = b.Seek(0, io.SeekEnd) // read, as far as anyone else can tell
		return b.b, nil
	}
	if n := r.ContentLength; n >= 0 && n <= limit {
		buf := make([]byte, n+1)
		m, err := io.ReadFull(r.Body, buf)
		switch err {
		case io.ErrUnexpectedEOF, io.EOF:
			return buf[:m], nil
		case nil:
			// More than declared: read on to find out how much.
			rest, err := io.ReadAll(io.LimitReader(r.Body, limit+1-int64(m)))
			return append(buf, rest...), err
		}
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r.Body, limit+1))
}

func isForm(ct string) bool {
	switch ct {
	case "", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8":
		// What SDKs send, answered without parsing (ParseMediaType
		// allocates a map for the parameters).
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// route finds the action from the Action and Version parameters, with
// AWS's answers when they are missing or unknown.
func (d *Dispatcher) route(x *exchange, params []Param) (*route, error) {
	var action, version string
	var hasAction, hasVersion bool
	for _, p := range params {
		switch p.Name {
		case "Action":
			if hasAction {
				return nil, CodeInvalidQueryParameter.New("The parameter Action appears more than once.")
			}
			action, hasAction = p.Value, true
		case "Version":
			if hasVersion {
				return nil, CodeInvalidQueryParameter.New("The parameter Version appears more than once.")
			}
			version, hasVersion = p.Value, true
		}
	}
	if svc := d.versions[version]; svc != nil {
		x.svc = svc
	}
	if action == "" {
		return nil, CodeMissingAction.New("Missing Action")
	}
	if version == "" {
		version = "NO_VERSION_SPECIFIED"
	}
	rt := d.routes[routeKey{version, action}]
	if rt == nil {
		return nil, CodeInvalidAction.Errorf("Could not find operation %s for version %s", truncate(action), truncate(version))
	}
	x.op, x.Op = rt.op, &rt.req
	return rt, nil
}

func (d *Dispatcher) record(x *exchange, err error, wire *Error) *request.Record {
	rec := &x.rec
	status, code, msg := http.StatusOK, "", ""
	if wire != nil {
		status, code, msg = wire.Code.Status, wire.Code.Name, wire.Message
	}
	x.Record(rec, d.cfg.Clock(), err, status, code, msg)
	if x.decoded && x.op.Input != nil {
		rec.RequestParameters = auditMap(x.op.Input, &x.input)
	}
	if x.Succeeded && x.op.Output != nil {
		rec.ResponseElements = auditMap(x.op.Output, &x.output)
	}
	return rec
}
