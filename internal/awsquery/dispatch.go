package awsquery

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"time"
)

// Principal is the authenticated caller, as the Authenticator established
// it. The dispatcher only needs its ARN (for AccessDenied messages and
// audit records); handlers and the Authorizer type-assert to the concrete
// type they share with the Authenticator.
type Principal interface {
	ARN() string
}

// AuthnRequest is what an Authenticator sees: the HTTP request (headers,
// URL), the body already read, and the action being called.
type AuthnRequest struct {
	HTTP      *http.Request
	Body      []byte
	Operation *OperationInfo
	Now       time.Time
}

// Authenticator establishes who is calling. It returns a typed error
// (*sigv4.Error, or an *Error from the catalogue) when the request is not
// authentic. For Operation.Unsigned actions an unsigned request is normal:
// the Authenticator returns an anonymous principal and the action verifies
// its own assertion.
type Authenticator interface {
	Authenticate(ctx context.Context, req *AuthnRequest) (Principal, error)
}

// AuthzRequest asks whether Principal may perform Action on Resource.
type AuthzRequest struct {
	Principal Principal
	// Action is the IAM action name, "sts:AssumeRole".
	Action string
	// Resource and Context come from the action's Target.
	Resource string
	Context  map[string][]string
	// Request facts for global condition keys.
	Now             time.Time
	SourceIP        string
	UserAgent       string
	SecureTransport bool
}

// Decision is the Authorizer's answer. Reason, when set, completes AWS's
// AccessDenied message after "because", e.g. "no identity-based policy
// allows the sts:AssumeRole action", or, when ExplicitDeny is set, after
// "with", e.g. "an explicit deny in an identity-based policy".
// EncodedMessage, when set, is the sealed explanation of a denial that
// only sts:DecodeAuthorizationMessage can read; the dispatcher appends it
// as AWS does ("Encoded authorization failure message: ...").
type Decision struct {
	Allowed        bool
	Reason         string
	ExplicitDeny   bool
	EncodedMessage string
}

// Authorizer evaluates policies. An error means the decision could not be
// made (it fails the request); a denial is Decision{Allowed: false}.
type Authorizer interface {
	Authorize(ctx context.Context, req *AuthzRequest) (Decision, error)
}

// AuditRecord is one request, whatever its outcome. Secrets never enter
// it: parameters and response elements of sensitive shapes are replaced
// with HiddenValue, and bearer assertions (WebIdentityToken,
// SAMLAssertion) with their SHA-256 (HashAssertion).
type AuditRecord struct {
	RequestID string
	// Service and Action are empty when the request named no known action.
	Service, Action, Version string
	// Principal is nil when authentication failed or did not happen.
	Principal Principal
	SourceIP  string
	UserAgent string
	// Host is the request's Host header and TLS its connection state (nil
	// for plain HTTP), for the event's tlsDetails.
	Host     string
	TLS      *tls.ConnectionState
	Start    time.Time
	Duration time.Duration
	// RequestParameters is the decoded input, keyed by lowerCamelCase
	// member names as CloudTrail does; nil when decoding failed.
	RequestParameters map[string]any
	// ResponseElements is the output on success, same form.
	ResponseElements map[string]any
	// Status is the HTTP status sent; ErrorCode and ErrorMessage are the
	// wire error, if any.
	Status       int
	ErrorCode    string
	ErrorMessage string
	// Err is the original error, for logs; it may carry internal detail
	// and must not be shown to clients.
	Err error
}

// HiddenValue replaces sensitive values in audit records (CloudTrail's
// wording).
const HiddenValue = "HIDDEN_DUE_TO_SECURITY_REASONS"

// Auditor makes a record durable. It is called exactly once per request,
// including requests that fail authentication or validation, before the
// response is written. If it returns an error the request fails with
// ServiceUnavailable: auditing fails closed.
type Auditor interface {
	Audit(ctx context.Context, rec *AuditRecord) error
}

// Request is what an action's handler receives.
type Request[In any] struct {
	Principal Principal
	Input     *In
	RequestID string
	Now       time.Time
	// Request facts, as the Authorizer sees them, for actions that
	// authorize inside themselves (AssumeRole's trust policy).
	SourceIP        string
	UserAgent       string
	SecureTransport bool
}

// Target is what an action touches, for authorization: the resource ARN
// ("*" for actions without a resource) and action-specific condition keys
// (for example sts:ExternalId, aws:RequestTag/...).
type Target struct {
	Resource string
	Context  map[string][]string
}

// Handler is one action's part of the pipeline.
type Handler[In, Out any] struct {
	// Target says what to authorize. Exactly one of Target and
	// SkipAuthorization must be set.
	Target func(ctx context.Context, req *Request[In]) (Target, error)
	// SkipAuthorization, when not empty, says why the action is not
	// subject to an identity policy check (GetCallerIdentity is always
	// allowed; AssumeRoleWithWebIdentity is authorized by the role's trust
	// policy inside the action). It is documentation that must be written.
	SkipAuthorization string
	// Serve performs the action.
	Serve func(ctx context.Context, req *Request[In]) (*Out, error)
}

// Config configures a Dispatcher. Authenticator, Authorizer and Auditor
// are required.
type Config struct {
	Authenticator Authenticator
	Authorizer    Authorizer
	Auditor       Auditor
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
	// MaxBodyBytes limits the request body; 1 MiB when zero.
	MaxBodyBytes int64
	// NewRequestID returns a request id; random UUIDs (AWS's format) when nil.
	NewRequestID func() string
	// ErrorMappers map domain errors of packages this one cannot import.
	ErrorMappers []ErrorMapper
	// Logger receives unmapped errors, panics and audit failures.
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
	// action is the IAM action name ("iam:DeleteUser"), made once here
	// rather than per request.
	action string
	run    func(ctx context.Context, x *exchange) error
}

// New returns a Dispatcher with no actions.
func New(cfg Config) (*Dispatcher, error) {
	if cfg.Authenticator == nil || cfg.Authorizer == nil || cfg.Auditor == nil {
		return nil, errors.New("awsquery: Authenticator, Authorizer and Auditor are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.NewRequestID == nil {
		cfg.NewRequestID = NewRequestID
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg, routes: map[routeKey]*route{}, versions: map[string]*Service{}}, nil
}

// Register adds an action. It panics on a programming error: a second
// handler for the same action, no Serve, or neither (or both) of Target
// and SkipAuthorization.
func Register[In, Out any](d *Dispatcher, op *Operation[In, Out], h Handler[In, Out]) {
	k := routeKey{op.Service.Version, op.Name}
	switch {
	case d.routes[k] != nil:
		panic("awsquery: " + op.Name + " registered twice")
	case h.Serve == nil:
		panic("awsquery: " + op.Name + ": Handler.Serve is nil")
	case (h.Target == nil) == (h.SkipAuthorization == ""):
		panic("awsquery: " + op.Name + ": set exactly one of Handler.Target and Handler.SkipAuthorization")
	}
	if d.first == nil {
		d.first = op.Service
	}
	d.versions[op.Service.Version] = op.Service
	d.routes[k] = &route{op: &op.OperationInfo, action: op.Service.Name + ":" + op.Name, run: func(ctx context.Context, x *exchange) error {
		return runTyped(ctx, d, x, op, &h)
	}}
}

// runTyped is the typed part of the pipeline: convert the validated input,
// authorize, serve, convert the output.
func runTyped[In, Out any](ctx context.Context, d *Dispatcher, x *exchange, op *Operation[In, Out], h *Handler[In, Out]) error {
	req := &Request[In]{Principal: x.principal, Input: op.DecodeInput(&x.input), RequestID: x.requestID, Now: x.start,
		SourceIP: x.sourceIP, UserAgent: x.r.UserAgent(), SecureTransport: x.r.TLS != nil}
	if h.Target != nil {
		t, err := h.Target(ctx, req)
		if err != nil {
			return err
		}
		if err := d.authorize(ctx, x, t); err != nil {
			return err
		}
	}
	out, err := h.Serve(ctx, req)
	if err != nil {
		return err
	}
	if out == nil {
		return fmt.Errorf("awsquery: %s returned neither output nor error", op.Name)
	}
	x.output = op.EncodeOutput(out)
	return nil
}

func (d *Dispatcher) authorize(ctx context.Context, x *exchange, t Target) error {
	action := x.action
	req := &AuthzRequest{
		Principal:       x.principal,
		Action:          action,
		Resource:        t.Resource,
		Context:         t.Context,
		Now:             x.start,
		SourceIP:        x.sourceIP,
		UserAgent:       x.r.UserAgent(),
		SecureTransport: x.r.TLS != nil,
	}
	dec, err := d.cfg.Authorizer.Authorize(ctx, req)
	if err != nil {
		return err
	}
	if dec.Allowed {
		return nil
	}
	msg := "User: " + principalARN(x.principal) + " is not authorized to perform: " + action + " on resource: " + t.Resource
	return CodeAccessDenied.New(AppendEncodedMessage(msg+DenialReason(dec), dec.EncodedMessage))
}

// DenialReason is the end of AWS's AccessDenied message for a denial: ""
// without a reason, " because <reason>" for an implicit deny, " with
// <reason>" for an explicit one.
func DenialReason(d Decision) string {
	switch {
	case d.Reason == "":
		return ""
	case d.ExplicitDeny:
		return " with " + d.Reason
	}
	return " because " + d.Reason
}

// AppendEncodedMessage completes an AccessDenied message with the encoded
// authorization message, as AWS words it; it returns msg unchanged when
// encoded is empty. Actions that deny inside their handler (AssumeRole's
// trust check) use it to word their denial like the dispatcher's.
func AppendEncodedMessage(msg, encoded string) string {
	if encoded == "" {
		return msg
	}
	return msg + ". Encoded authorization failure message: " + encoded
}

func principalARN(p Principal) string {
	if p == nil {
		return "anonymous"
	}
	return p.ARN()
}

// exchange is the state of one request as it moves through the pipeline.
type exchange struct {
	r         *http.Request
	requestID string
	start     time.Time
	sourceIP  string
	op        *OperationInfo
	action    string // the route's IAM action name
	svc       *Service
	principal Principal
	input     Value
	decoded   bool
	output    Value
	succeeded bool
	// authn and rec are the Authenticator's request and the audit
	// record, made in the same allocation as the exchange: every request
	// has both.
	authn AuthnRequest
	rec   AuditRecord
}

// ServeHTTP handles one AWS Query request end to end.
func (d *Dispatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := RequestIDFromContext(ctx)
	if id == "" {
		id = d.cfg.NewRequestID()
		ctx = WithRequestID(ctx, id)
	}
	x := &exchange{r: r, requestID: id, start: d.cfg.Clock(), sourceIP: sourceIP(r)}
	err := d.handle(ctx, x)

	var wire *Error
	if err != nil {
		var unmapped bool
		wire, unmapped = ToWire(err, d.cfg.ErrorMappers...)
		if unmapped {
			d.cfg.Logger.ErrorContext(ctx, "unmapped error", "request_id", id, "action", actionName(x), "err", err)
		}
	}
	rec := d.record(x, err, wire)
	if aerr := d.cfg.Auditor.Audit(ctx, rec); aerr != nil {
		d.cfg.Logger.ErrorContext(ctx, "audit failed; refusing the request", "request_id", id, "action", actionName(x), "err", aerr)
		wire = CodeServiceUnavailable.New("Service is unavailable. Please try again later.")
	}
	if wire != nil {
		WriteError(w, d.service(x), wire, id)
		return
	}
	bp := getXMLBuf()
	*bp = AppendResponse(*bp, x.op, &x.output, id)
	writeXML(w, http.StatusOK, *bp, id)
	putXMLBuf(bp)
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

// handle runs the pipeline up to (not including) the audit and the response.
func (d *Dispatcher) handle(ctx context.Context, x *exchange) (err error) {
	defer func() {
		if p := recover(); p != nil {
			d.cfg.Logger.ErrorContext(ctx, "panic in action", "request_id", x.requestID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("awsquery: panic: %v", p)
		}
	}()
	// Requests rarely carry more than a few parameters; the slice only
	// grows onto the heap for those that carry more than 16.
	var paramBuf [16]Param
	body, params, err := d.readParams(x.r, paramBuf[:0])
	if err != nil {
		return err
	}
	rt, err := d.route(x, params)
	if err != nil {
		return err
	}
	x.authn = AuthnRequest{HTTP: x.r, Body: body, Operation: x.op, Now: x.start}
	x.principal, err = d.cfg.Authenticator.Authenticate(ctx, &x.authn)
	if err != nil {
		return err
	}
	ctx = context.WithValue(ctx, principalKey{}, x.principal)
	x.input, err = Decode(x.op.Input, params)
	if err != nil {
		return err
	}
	x.decoded = true
	if err := Validate(x.op.Input, &x.input); err != nil {
		return err
	}
	if err := rt.run(ctx, x); err != nil {
		return err
	}
	x.succeeded = true
	return nil
}

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
	x.op, x.action = rt.op, rt.action
	return rt, nil
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (d *Dispatcher) record(x *exchange, err error, wire *Error) *AuditRecord {
	rec := &x.rec
	*rec = AuditRecord{
		RequestID: x.requestID,
		Principal: x.principal,
		SourceIP:  x.sourceIP,
		UserAgent: x.r.UserAgent(),
		Host:      x.r.Host,
		TLS:       x.r.TLS,
		Start:     x.start,
		Duration:  d.cfg.Clock().Sub(x.start),
		Status:    http.StatusOK,
		Err:       err,
	}
	if x.op != nil {
		rec.Service, rec.Action, rec.Version = x.op.Service.Name, x.op.Name, x.op.Service.Version
	}
	if x.decoded && x.op.Input != nil {
		rec.RequestParameters = auditMap(x.op.Input, &x.input)
	}
	if x.succeeded && x.op.Output != nil {
		rec.ResponseElements = auditMap(x.op.Output, &x.output)
	}
	if wire != nil {
		rec.Status, rec.ErrorCode, rec.ErrorMessage = wire.Code.Status, wire.Code.Name, wire.Message
	}
	return rec
}

// NewRequestID returns a random request id in AWS's format, a version 4
// UUID in lower case.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

type (
	requestIDKey struct{}
	principalKey struct{}
)

// PrincipalFromContext returns the authenticated principal of the request
// being served (in handlers and the Authorizer), or nil.
func PrincipalFromContext(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

// WithRequestID returns a context carrying the request id, so a server
// middleware that assigns ids first can hand its id to the dispatcher.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFromContext returns the request id, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
