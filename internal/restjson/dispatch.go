package restjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// Config configures a Dispatcher.
type Config struct {
	// Pipeline authenticates, authorizes, commits and audits every
	// request; required.
	Pipeline *request.Pipeline
	// MaxBodyBytes bounds a request body; 64 KiB when 0.
	MaxBodyBytes int64
	// ErrorMappers map the errors every service shares (authentication
	// failures, the store down), tried after the service's own.
	ErrorMappers []ErrorMapper
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives internal failures.
	Logger *slog.Logger
}

// Dispatcher serves the REST-JSON actions registered on it, and the JSON
// 1.1 actions (named by X-Amz-Target, RegisterTarget).
type Dispatcher struct {
	cfg     Config
	mux     *http.ServeMux
	targets map[string]http.Handler
	// prefixes are the JSON 1.1 services' target prefixes with their
	// Service, for unknown actions.
	prefixes map[string]*Service
}

// New returns an empty Dispatcher.
func New(cfg Config) (*Dispatcher, error) {
	if err := cfg.Pipeline.Check(); err != nil {
		return nil, fmt.Errorf("restjson: %w", err)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg, mux: http.NewServeMux(), targets: map[string]http.Handler{}, prefixes: map[string]*Service{}}, nil
}

// Handles reports whether r is this dispatcher's: its X-Amz-Target
// starts with a registered JSON 1.1 service's prefix (whatever its method
// and path: ServeHTTP refuses what is not a POST to / in that service's
// words), or its method and clean path match a REST-JSON route (an
// X-Amz-Target of no service here changes nothing: REST-JSON ignores
// it). The server sends other requests to the next codec (the Query
// protocol's POST /, CloudTrail's JSON 1.1).
func (d *Dispatcher) Handles(r *http.Request) bool {
	if d.json11(r) != nil {
		return true
	}
	p := r.URL.Path
	if p == "" || p == "/" || path.Clean(p) != p {
		return false
	}
	_, pattern := d.mux.Handler(r)
	return pattern != ""
}

// ServeHTTP serves a request Handles accepted.
func (d *Dispatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := d.json11(r)
	if s == nil {
		d.mux.ServeHTTP(w, r)
		return
	}
	if h := d.targets[r.Header.Get("X-Amz-Target")]; h != nil && r.Method == http.MethodPost && (r.URL.Path == "/" || r.URL.Path == "") {
		h.ServeHTTP(w, r)
		return
	}
	code := "UnknownOperationException"
	if r.Method != http.MethodPost {
		code = "InvalidAction"
	}
	s.writeError(w, &Error{Code: code, Status: http.StatusBadRequest, Message: "The action or operation requested is invalid. Verify that the action is typed correctly."})
}

// json11 is the JSON 1.1 service whose X-Amz-Target prefix r's starts
// with; nil when there is none.
func (d *Dispatcher) json11(r *http.Request) *Service {
	t := r.Header.Get("X-Amz-Target")
	if t == "" {
		return nil
	}
	prefix, _, _ := strings.Cut(t, ".")
	return d.prefixes[prefix]
}

// ServiceConfig describes one service on a Dispatcher.
type ServiceConfig struct {
	// Name is the service's signing name, its IAM action prefix and its
	// event source's first label ("rolesanywhere", "iot").
	Name string
	// Version is its API version ("2018-05-10").
	Version string
	// Errors are its codes for the failures every service shares.
	Errors Errors
	// Mappers map its domain errors, tried first.
	Mappers []ErrorMapper
	// TargetPrefix, for a JSON 1.1 service (Cognito Identity's
	// "AWSCognitoIdentityService"), is what its X-Amz-Target values start
	// with: its actions are registered with RegisterTarget, its responses
	// are application/x-amz-json-1.1 and its errors carry __type.
	TargetPrefix string
}

// Service is a service's part of a Dispatcher, to Register actions on.
type Service struct {
	d *Dispatcher
	service
}

type service struct {
	name, version string
	errs          Errors
	mappers       []ErrorMapper
	target        string // JSON 1.1: the X-Amz-Target prefix
}

// Service returns the handle on which cfg's actions are registered.
func (d *Dispatcher) Service(cfg ServiceConfig) *Service {
	s := &Service{d: d, service: service{name: cfg.Name, version: cfg.Version, errs: cfg.Errors, mappers: cfg.Mappers, target: cfg.TargetPrefix}}
	if cfg.TargetPrefix != "" {
		d.prefixes[cfg.TargetPrefix] = s
	}
	return s
}

// writeError writes e as the service's protocol does: JSON 1.1 services
// name the code in the body's __type as well.
func (s *service) writeError(w http.ResponseWriter, e *Error) {
	if s.target != "" {
		writeError(w, e, json11)
		return
	}
	WriteError(w, e)
}

// Handler is one action's part: its declared effect, what to authorize,
// and what to do. In is decoded from the JSON body, then its fields
// tagged `path:"name"`, `query:"name"` and `header:"Name"` are set from
// the path's segments, the query string and the headers (declare them
// `json:"-"`).
type Handler[In, Out any] struct {
	Effect request.Effect
	// Unsigned actions may be called without a SigV4 signature; the
	// Authenticator still sees them and decides (CreateSession is signed
	// with a certificate's key instead).
	Unsigned bool
	// Status is the success status; 200 when 0.
	Status int
	// Target names what to authorize; required unless Targets does, or
	// SkipAuthorization says why the action authorizes itself.
	Target            func(ctx context.Context, r *Request[In]) (request.Target, error)
	SkipAuthorization string
	// Targets, when set, names further authorizations the request needs
	// besides Target's, every one allowed: iam:PassRole on the role an
	// action hands to the service (IoT's CreateRoleAlias).
	Targets func(ctx context.Context, r *Request[In]) ([]request.Target, error)
	Serve   func(ctx context.Context, r *Request[In]) (*Out, error)
	// AuditResponse puts the output in the audit event's
	// responseElements; leave it off for outputs that carry secrets.
	AuditResponse bool
	// Sensitive names the input's members (by wire name) whose values
	// the audit record's requestParameters show as request.HiddenValue:
	// the members of sensitive shapes in the API model, and any other
	// secret (SSO OIDC's device and authorization codes).
	Sensitive []string
}

// Request is one call of an action, as its handler sees it: the exchange
// (principal, start time, source address, Issue) and the typed input.
type Request[In any] struct {
	*request.Exchange
	Input *In
}

// Register puts the action name on s, served at method and pattern (a
// net/http pattern path, "/trustanchor/{trustAnchorId}"). It panics on a
// handler that is incomplete or an input type it cannot bind: both are
// programming errors found at start.
func Register[In, Out any](s *Service, method, pattern, name string, h Handler[In, Out]) {
	if s.target != "" {
		panic("restjson: " + s.name + " is a JSON 1.1 service: register " + name + " with RegisterTarget")
	}
	s.d.mux.Handle(method+" "+pattern, newRoute(s, name, h))
}

// RegisterTarget puts the action name on the JSON 1.1 service s, served
// as POST / with X-Amz-Target PREFIX.name; its input is the JSON body
// (no path, query or header members).
func RegisterTarget[In, Out any](s *Service, name string, h Handler[In, Out]) {
	if s.target == "" {
		panic("restjson: " + s.name + " has no TargetPrefix: register " + name + " with Register")
	}
	s.d.targets[s.target+"."+name] = newRoute(s, name, h)
}

func newRoute[In, Out any](s *Service, name string, h Handler[In, Out]) *route[In, Out] {
	if !h.Effect.Valid() || h.Serve == nil || (h.Target == nil && h.Targets == nil && h.SkipAuthorization == "") {
		panic("restjson: " + s.name + ":" + name + " needs an Effect, a Serve and a Target or a SkipAuthorization reason")
	}
	b, err := newBinder[In]()
	if err != nil {
		panic("restjson: " + s.name + ":" + name + ": " + err.Error())
	}
	if h.Status == 0 {
		h.Status = http.StatusOK
	}
	return &route[In, Out]{svc: s, h: h, bind: b, op: request.Operation{
		Service: s.name, Version: s.version, Name: name, Action: s.name + ":" + name,
		Unsigned: h.Unsigned, Effect: h.Effect,
	}}
}

type route[In, Out any] struct {
	svc  *Service
	h    Handler[In, Out]
	bind *binder
	op   request.Operation
}

// call is one request of a route as it moves through the pipeline.
type call[In, Out any] struct {
	rt  *route[In, Out]
	req Request[In]
	out *Out
	x   request.Exchange
}

func (rt *route[In, Out]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := rt.svc.d
	ctx := r.Context()
	rid := request.IDFromContext(ctx)
	if rid == "" {
		rid = request.NewID()
		ctx = request.WithRequestID(ctx, rid)
	}
	w.Header().Set("x-amzn-RequestId", rid)
	c := &call[In, Out]{rt: rt}
	c.req.Exchange = &c.x
	c.x.Begin(r, rid, d.cfg.Now())
	err := d.cfg.Pipeline.Run(ctx, &c.x, c)
	var we *Error
	if err != nil {
		var unknown bool
		we, unknown = rt.svc.toWire(err, d.cfg.ErrorMappers)
		if unknown {
			d.cfg.Logger.ErrorContext(ctx, "internal failure", "request_id", rid, "action", rt.op.Action, "err", err)
		}
	}
	if d.cfg.Pipeline.Finish(ctx, c.record(err, we)) != nil {
		we = &Error{Code: rt.svc.errs.Unavailable, Status: http.StatusServiceUnavailable, Message: "Service is unavailable. Please try again later."}
	}
	if we != nil {
		rt.svc.writeError(w, we)
		return
	}
	var body []byte
	if c.out != nil {
		body, err = json.Marshal(c.out)
	}
	if err != nil || len(body) == 0 || string(body) == "null" {
		body = []byte("{}")
	}
	ct := "application/json"
	if rt.svc.target != "" {
		ct = json11
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rt.h.Status)
	_, _ = w.Write(body)
}

// WriteError writes e as a REST-JSON error: the x-amzn-ErrorType header,
// e's status (and Retry-After, when set) and a {"message": ...} body, or
// e.Body when set. Its Cause is not written.
func WriteError(w http.ResponseWriter, e *Error) { writeError(w, e, "") }

// json11 is the JSON 1.1 protocol's content type.
const json11 = "application/x-amz-json-1.1"

// ServiceErrors returns the codes of the JSON 1.1 service whose action r
// names by X-Amz-Target, for the errors the server writes itself (a body
// over the limit, an overload, a panic): its SDKs know only its own;
// false for any other request.
func (d *Dispatcher) ServiceErrors(r *http.Request) (Errors, bool) {
	if s := d.json11(r); s != nil {
		return s.errs, true
	}
	return Errors{}, false
}

// WriteErrorFor writes e as r's protocol answers errors: with __type and
// the JSON 1.1 content type when r names a JSON 1.1 service's action
// here by X-Amz-Target, as REST-JSON otherwise.
func (d *Dispatcher) WriteErrorFor(w http.ResponseWriter, r *http.Request, e *Error) {
	if s := d.json11(r); s != nil {
		s.writeError(w, e)
		return
	}
	WriteError(w, e)
}

// writeError writes e; contentType json11 adds the code as __type.
func writeError(w http.ResponseWriter, e *Error, contentType string) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", request.RetryAfterSeconds(e.RetryAfter))
	}
	var body []byte
	if e.Body != nil {
		body, _ = json.Marshal(e.Body)
	}
	if len(body) == 0 || string(body) == "null" {
		if contentType == json11 {
			body, _ = json.Marshal(struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}{e.Code, e.Message})
		} else {
			body, _ = json.Marshal(struct {
				Message string `json:"message"`
			}{e.Message})
		}
	}
	if contentType == "" {
		contentType = "application/json"
	}
	w.Header().Set("x-amzn-ErrorType", e.Code)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// record is the call's audit record: requestParameters are the input's
// members as the wire names them; responseElements the output's, when
// the action allows it.
func (c *call[In, Out]) record(err error, we *Error) *request.Record {
	rec := &request.Record{}
	now := c.rt.svc.d.cfg.Now()
	if we == nil {
		c.x.Record(rec, now, nil, c.rt.h.Status, "", "")
	} else {
		c.x.Record(rec, now, err, we.Status, we.Code, we.Message)
	}
	if c.req.Input != nil {
		rec.RequestParameters = c.rt.bind.params(c.req.Input)
		for _, k := range c.rt.h.Sensitive {
			if _, ok := rec.RequestParameters[k]; ok {
				rec.RequestParameters[k] = request.HiddenValue
			}
		}
	}
	if c.out != nil && c.rt.h.AuditResponse && we == nil {
		rec.ResponseElements = asMap(c.out)
	}
	return rec
}

// Route reads the body, bounded. A JSON 1.1 request that is signed must
// have signed its X-Amz-Target (targetSigned).
func (c *call[In, Out]) Route(_ context.Context, x *request.Exchange) error {
	x.Op = &c.rt.op
	if c.rt.svc.target != "" && !targetSigned(x.HTTP) {
		return &Error{Code: "IncompleteSignatureException", Status: http.StatusBadRequest,
			Message: "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."}
	}
	max := c.rt.svc.d.cfg.MaxBodyBytes
	if x.HTTP.ContentLength > max {
		return c.invalid("The request body is too large.")
	}
	body, err := io.ReadAll(io.LimitReader(x.HTTP.Body, max+1))
	if err != nil {
		return c.invalid("The request body could not be read.")
	}
	if int64(len(body)) > max {
		return c.invalid("The request body is too large.")
	}
	x.Body = body
	return nil
}

func (c *call[In, Out]) invalid(msg string) *Error {
	return &Error{Code: c.rt.svc.errs.Validation, Status: http.StatusBadRequest, Message: msg}
}

// Decode reads the typed input from the body, the path, the query and the
// headers.
func (c *call[In, Out]) Decode(_ context.Context, x *request.Exchange) error {
	in := new(In)
	if len(x.Body) > 0 {
		if err := json.Unmarshal(x.Body, in); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				return c.invalid("Value at '" + te.Field + "' failed to satisfy constraint: Member must be of type " + modelType(te.Type) + ".")
			}
			return c.invalid("The request body is not valid JSON.")
		}
	}
	if msg := c.rt.bind.bind(in, x.HTTP); msg != "" {
		return c.invalid(msg)
	}
	c.req.Input = in
	return nil
}

// modelType names a Go type by the API model's type it decodes: what a
// value of the wrong type should have been (json.UnmarshalTypeError's
// Value is what was sent instead).
func modelType(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return modelType(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "double"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "blob"
		}
		return "list"
	case reflect.Array:
		return "list"
	case reflect.Map:
		return "map"
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return "timestamp"
		}
		return "structure"
	}
	return "value"
}

// Targets asks the handler what to authorize: its Target, then its
// Targets (request.MultiTarget); none for an action that authorizes
// itself.
func (c *call[In, Out]) Targets(ctx context.Context, _ *request.Exchange) ([]request.Target, error) {
	var ts []request.Target
	if c.rt.h.Target != nil {
		t, err := c.rt.h.Target(ctx, &c.req)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	if c.rt.h.Targets != nil {
		more, err := c.rt.h.Targets(ctx, &c.req)
		if err != nil {
			return nil, err
		}
		ts = append(ts, more...)
	}
	return ts, nil
}

// Target asks the handler what to authorize (the pipeline asks Targets,
// which includes it).
func (c *call[In, Out]) Target(ctx context.Context, _ *request.Exchange) (request.Target, bool, error) {
	if c.rt.h.Target == nil {
		return request.Target{}, false, nil
	}
	t, err := c.rt.h.Target(ctx, &c.req)
	return t, err == nil, err
}

// Act runs the handler.
func (c *call[In, Out]) Act(ctx context.Context, _ *request.Exchange) error {
	out, err := c.rt.h.Serve(ctx, &c.req)
	if err != nil {
		return err
	}
	c.out = out
	return nil
}

// asMap renders v as its JSON members, for the audit record.
func asMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

// targetSigned reports whether r's signature, if it has one, covers its
// X-Amz-Target header. That header is the JSON 1.1 action, so a
// signature without it allows whatever action its holder names with
// the signed body (a DescribeIdentityPool's body is a DeleteIdentityPool's
// too); every AWS SDK signs it. An unsigned request has nothing to bind:
// the Authenticator decides whether its action may be called so.
func targetSigned(r *http.Request) bool {
	sr := sigv4.Request{Method: r.Method, RawQuery: r.URL.RawQuery, Header: r.Header}
	a, err := sigv4.Parse(&sr)
	if err != nil {
		return true // unsigned, or malformed: the Authenticator's to answer
	}
	for h := range strings.SplitSeq(a.SignedHeaders, ";") {
		if strings.EqualFold(h, "x-amz-target") {
			return true
		}
	}
	return false
}
