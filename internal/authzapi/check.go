package authzapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// DefaultMaxHeaders bounds the header fields of a checked request.
const DefaultMaxHeaders = 200

// The check protocols, as audit events name them (additionalEventData's
// CheckProtocol).
const (
	ProtocolEnvoyGRPC = "envoy-grpc"
	ProtocolEnvoyHTTP = "envoy-http"
	ProtocolNginx     = "nginx"
	ProtocolVerify    = "verify"
)

// Original is the request being checked, as the proxy describes it.
type Original struct {
	Method string
	// Path is the raw (escaped) path, without the query; RawQuery the
	// query without "?".
	Path, RawQuery string
	Host           string
	Header         http.Header
	// Secure says the original request came over TLS (aws:SecureTransport).
	Secure bool
	// SourceIP is the original client's address; "" when the proxy does
	// not say (the proxy's own address is used).
	SourceIP string
}

// Config configures a Checker.
type Config struct {
	// Map is the route map; required.
	Map *Map
	// Pipeline authenticates, authorizes and audits every check; required.
	// Its Authenticator verifies SigV4 for the map's signing names
	// (authn.Config.ExtraServices).
	Pipeline *request.Pipeline
	// Bearer, when set, verifies bearer tokens; without it a bearer token
	// is refused as an invalid token.
	Bearer BearerVerifier
	// MapError maps the pipeline's other errors (a store down, a
	// principal gone) to a wire error; nil when it does not know them.
	MapError func(error) *WireError
	// MaxHeaders bounds the header fields of a checked request;
	// DefaultMaxHeaders when zero.
	MaxHeaders int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives internal failures.
	Logger *slog.Logger
}

// Checker answers checks: the same pipeline behind every protocol.
type Checker struct {
	cfg      Config
	pipeline request.Pipeline
	routes   map[*request.Operation]*Route
}

// New returns a Checker.
func New(cfg Config) (*Checker, error) {
	if cfg.Map == nil {
		return nil, errors.New("authzapi: Config.Map is required")
	}
	if err := cfg.Pipeline.Check(); err != nil {
		return nil, fmt.Errorf("authzapi: %w", err)
	}
	if cfg.MaxHeaders <= 0 {
		cfg.MaxHeaders = DefaultMaxHeaders
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Checker{cfg: cfg, routes: map[*request.Operation]*Route{}}
	for _, s := range cfg.Map.services {
		for _, r := range s.routes {
			c.routes[&r.op] = r
		}
	}
	// The same steps as every request's; only authentication learns to
	// read bearer tokens before it hands SigV4 to the node's verifier.
	c.pipeline = *cfg.Pipeline
	c.pipeline.Authenticator = &authenticator{sigv4: cfg.Pipeline.Authenticator, bearer: cfg.Bearer, routes: c.routes}
	return c, nil
}

// Result is a check's answer, whatever the protocol.
type Result struct {
	// Allowed requests get Headers, the caller's identity for the
	// upstream; Remove are the identity headers the client sent that the
	// proxy must drop.
	Allowed bool
	Headers []Header
	Remove  []string
	// Status, Code and Message say why not; EncodedMessage is the
	// encoded authorization message of a denial by policy; Reason the
	// denial's reason.
	Status                          int
	Code, Message, Reason           string
	EncodedMessage                  string
	RetryAfter                      time.Duration
	RequestID                       string
	PrincipalARN, Action, Resource  string
	principal                       *identity.Principal
	authenticationMethod, signature string
}

// Header is one identity header.
type Header struct{ Name, Value string }

// WireError is an error as the check protocols answer it.
type WireError struct {
	Status        int
	Code, Message string
}

func (e *WireError) Error() string { return e.Code + ": " + e.Message }

// NoRouteError: no route of the map matches the request; it is denied,
// never let through.
type NoRouteError struct{ Method, Path string }

func (e *NoRouteError) Error() string {
	return "No route of the authorization API matches " + e.Method + " " + e.Path
}

// malformed is a check request that does not describe a request.
func malformed(format string, a ...any) *WireError {
	return &WireError{Status: http.StatusBadRequest, Code: "InvalidRequest", Message: fmt.Sprintf(format, a...)}
}

// Check runs one check through the pipeline and audits it. env is the
// protocol's own request (its RemoteAddr is the proxy's address); parse
// reads the original request out of it.
func (c *Checker) Check(ctx context.Context, env *http.Request, proto string, parse func() (*Original, error)) *Result {
	rid := request.IDFromContext(ctx)
	if rid == "" {
		rid = request.NewID()
		ctx = request.WithRequestID(ctx, rid)
	}
	x := &call{c: c, proto: proto}
	x.Begin(env, rid, c.cfg.Now())
	x.orig, x.parseErr = parse()
	if x.parseErr == nil {
		x.parseErr = c.prepare(x)
	}
	err := c.pipeline.Run(ctx, &x.Exchange, x)
	res := c.result(ctx, x, err)
	if c.pipeline.Finish(ctx, c.record(x, err, res)) != nil {
		res = &Result{Status: http.StatusServiceUnavailable, Code: request.CodeServiceUnavailable,
			Message: "Service is unavailable. Please try again later.", RequestID: rid}
	}
	return res
}

// prepare turns the original request into the exchange's HTTP request:
// the Authenticator verifies its signature, the Authorizer reads its
// source address, user agent and transport.
func (c *Checker) prepare(x *call) error {
	o := x.orig
	if len(o.Header) > c.cfg.MaxHeaders {
		return malformed("the request has more than %d header fields", c.cfg.MaxHeaders)
	}
	if o.Method == "" || o.Path == "" || o.Path[0] != '/' {
		return malformed("the original request's method and path are required")
	}
	u := &url.URL{RawPath: o.Path, RawQuery: o.RawQuery}
	if p, err := url.PathUnescape(o.Path); err == nil {
		u.Path = p
	} else {
		return malformed("the original path is not validly escaped")
	}
	remote := x.HTTP.RemoteAddr
	if o.SourceIP != "" {
		// The proxy's word (X-Real-IP, sourceIp, Envoy's source): the
		// original request comes from there, for aws:SourceIp (a bearer
		// token's trust policy as much as the route's authorization),
		// the per-source budgets and the event's sourceIPAddress, so it
		// must be an address.
		ip, err := netip.ParseAddr(o.SourceIP)
		if err != nil || ip.Zone() != "" {
			return malformed("the original client's address is not an IP address")
		}
		remote = netip.AddrPortFrom(ip.Unmap(), 0).String()
	}
	uri := o.Path
	if o.RawQuery != "" {
		uri += "?" + o.RawQuery
	}
	r := &http.Request{Method: o.Method, URL: u, RequestURI: uri, Host: o.Host, Header: o.Header,
		RemoteAddr: remote, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Body: http.NoBody}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	if o.Secure {
		r.TLS = &tls.ConnectionState{}
	}
	// The pipeline passes its context along; the original request
	// carries none of its own (Context is then Background).
	x.HTTP, x.SourceIP = r, request.SourceIP(r)
	return nil
}

// call is one check as it moves through the pipeline (request.Call).
type call struct {
	request.Exchange
	c        *Checker
	proto    string
	orig     *Original
	parseErr error
	route    *Route
	caps     captures
	resource string
	context  map[string][]string
}

// Route matches the original request to a route; no route is a denial.
func (x *call) Route(_ context.Context, rx *request.Exchange) error {
	if x.parseErr != nil {
		return x.parseErr
	}
	o := x.orig
	x.route = x.c.cfg.Map.match(o.Method, strings.ToLower(o.Host), o.Path, &x.caps)
	if x.route == nil {
		return &NoRouteError{Method: o.Method, Path: o.Path}
	}
	rx.Op = &x.route.op
	// The body is the service's: Brevet never sees it. A declared
	// x-amz-content-sha256 is signed as declared (the Authenticator
	// checks the body against it only as it is read, and nothing reads
	// it); the service checks the body against it. Without one, the
	// request is verified as having an empty body.
	if declaresPayload(o) {
		rx.Stream = http.NoBody
	}
	return nil
}

// declaresPayload reports whether the request declares its payload hash
// (x-amz-content-sha256, in the headers or a presigned query).
func declaresPayload(o *Original) bool {
	return len(o.Header["X-Amz-Content-Sha256"]) > 0 || strings.Contains(o.RawQuery, "X-Amz-Content-Sha256=")
}

// Decode builds the resource ARN and the condition keys.
func (x *call) Decode(context.Context, *request.Exchange) error {
	r, o := x.route, x.orig
	var b strings.Builder
	for _, p := range r.resource {
		if p.capture < 0 {
			b.WriteString(p.literal)
			continue
		}
		v, ok := x.caps.value(o.Path, p.capture)
		if !ok {
			return malformed("the path is not validly escaped")
		}
		b.WriteString(v)
	}
	x.resource = b.String()
	if len(r.conditions) == 0 {
		return nil
	}
	x.context = make(map[string][]string, len(r.conditions))
	var q url.Values
	for _, cond := range r.conditions {
		var vals []string
		switch cond.kind {
		case fromQuery:
			if q == nil {
				var err error
				if q, err = url.ParseQuery(o.RawQuery); err != nil {
					return malformed("the query is not validly escaped")
				}
			}
			vals = q[cond.name]
		case fromHeader:
			vals = o.Header[cond.name]
			if len(vals) > 0 && !x.signs(cond.name) {
				return unsignedCondition(cond.name, cond.key)
			}
		case fromPath:
			v, ok := x.caps.value(o.Path, cond.capture)
			if !ok {
				return malformed("the path is not validly escaped")
			}
			vals = []string{v}
		}
		if len(vals) > 0 {
			x.context[cond.key] = vals
		}
	}
	return nil
}

// signs reports whether the checked request's SigV4 signature covers the
// header name. A header a condition key reads decides the authorization
// as much as the path does: unsigned, anyone holding a presigned URL or a
// captured request could set it. A request not signed with SigV4 (a
// bearer token) signs no header: its headers are the client's word, as
// docs/authorization-api.md says.
func (x *call) signs(name string) bool {
	sreq := sigv4.FromHTTP(x.HTTP, nil)
	a, err := sigv4.Parse(&sreq)
	if err != nil {
		return true // not SigV4: authentication already decided
	}
	for item := range strings.SplitSeq(a.SignedHeaders, ";") {
		if strings.EqualFold(item, name) {
			return true
		}
	}
	return false
}

// unsignedCondition refuses a request whose condition header is not
// signed.
func unsignedCondition(header, key string) *WireError {
	return &WireError{Status: http.StatusForbidden, Code: CodeAccessDenied,
		Message: fmt.Sprintf("The header %s, which the condition key %s reads, is not signed", header, key)}
}

// Target is the route's action on the route's resource.
func (x *call) Target(context.Context, *request.Exchange) (request.Target, bool, error) {
	return request.Target{Resource: x.resource, Context: x.context, ResourceAccount: x.route.Service.Account}, true, nil
}

// Act does nothing: the service behind the proxy acts.
func (x *call) Act(context.Context, *request.Exchange) error { return nil }

// result is the answer to x.
func (c *Checker) result(ctx context.Context, x *call, err error) *Result {
	res := &Result{RequestID: x.ID, Resource: x.resource}
	if x.route != nil {
		res.Action = x.route.Action
	}
	if p, ok := x.Principal.(*identity.Principal); ok && p != nil {
		res.principal = p
		res.PrincipalARN = p.CallerARN
	}
	res.authenticationMethod, res.signature = authMethod(x.HTTP)
	if err == nil {
		res.Allowed, res.Status = true, http.StatusOK
		res.Headers = identityHeaders(res.principal, x.ID)
		res.Remove = spoofed(x.orig.Header, res.Headers)
		return res
	}
	w := c.wire(ctx, x, err, res)
	res.Status, res.Code, res.Message = w.Status, w.Code, w.Message
	return res
}

// wire maps err to the protocols' answer.
func (c *Checker) wire(ctx context.Context, x *call, err error, res *Result) *WireError {
	if we, ok := errors.AsType[*WireError](err); ok {
		return we
	}
	if nr, ok := errors.AsType[*NoRouteError](err); ok {
		res.Reason = "no route"
		return &WireError{Status: http.StatusForbidden, Code: CodeAccessDenied, Message: nr.Error()}
	}
	if ad, ok := errors.AsType[*request.AccessDeniedError](err); ok {
		res.Reason, res.EncodedMessage = ad.Decision.Reason, ad.Decision.EncodedMessage
		return &WireError{Status: http.StatusForbidden, Code: CodeAccessDenied, Message: ad.Error()}
	}
	if te, ok := errors.AsType[*request.ThrottledError](err); ok {
		res.RetryAfter = te.RetryAfter
		return &WireError{Status: http.StatusTooManyRequests, Code: "Throttling", Message: "Rate exceeded"}
	}
	if se, ok := errors.AsType[*sigv4.Error](err); ok {
		return authWire(&WireError{Status: http.StatusForbidden, Code: sigv4Code(se.Kind), Message: se.Message})
	}
	if be, ok := errors.AsType[*BearerError](err); ok {
		return &WireError{Status: http.StatusUnauthorized, Code: be.Code, Message: be.Message}
	}
	if c.cfg.MapError != nil {
		if we := c.cfg.MapError(err); we != nil {
			return authWire(we)
		}
	}
	c.cfg.Logger.ErrorContext(ctx, "authorization check failed", "request_id", x.ID, "err", err)
	// Never a 500: the check fails closed, as a service that cannot
	// answer now.
	return &WireError{Status: http.StatusServiceUnavailable, Code: request.CodeServiceUnavailable, Message: "Service is unavailable. Please try again later."}
}

// CodeAccessDenied is the code of every denial.
const CodeAccessDenied = "AccessDenied"

// authCodes are the codes of authentication failures: answered 401.
var authCodes = map[string]bool{
	"InvalidClientTokenId": true, "SignatureDoesNotMatch": true, "ExpiredToken": true, "IncompleteSignature": true,
	"MissingAuthenticationToken": true, "InvalidIdentityToken": true, "ExpiredTokenException": true,
}

// authWire is we, answered 401 when its code is an authentication
// failure's (authCodes); a copy, so that we itself is left as it was.
func authWire(we *WireError) *WireError {
	if authCodes[we.Code] {
		return &WireError{Status: http.StatusUnauthorized, Code: we.Code, Message: we.Message}
	}
	return we
}

// sigv4Code is AWS's code for an authentication failure.
func sigv4Code(k sigv4.Kind) string {
	switch k {
	case sigv4.KindSignatureDoesNotMatch, sigv4.KindRequestExpired, sigv4.KindInvalidScope,
		sigv4.KindContentSHA256Mismatch, sigv4.KindIncompleteBody, sigv4.KindBadDigest:
		return "SignatureDoesNotMatch"
	case sigv4.KindInvalidClientTokenID:
		return "InvalidClientTokenId"
	case sigv4.KindExpiredToken:
		return "ExpiredToken"
	case sigv4.KindMissingAuthenticationToken:
		return "MissingAuthenticationToken"
	case sigv4.KindAccessDenied:
		return CodeAccessDenied
	}
	return "IncompleteSignature"
}

// authMethod says how the request authenticated, for the audit event.
func authMethod(r *http.Request) (method, signature string) {
	if r == nil {
		return "", ""
	}
	auth := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(auth, "Bearer "):
		return "Bearer", ""
	case strings.HasPrefix(auth, sigv4.AlgorithmHMAC), strings.HasPrefix(auth, sigv4.AlgorithmECDSA):
		return "AuthHeader", "SigV4"
	case r.URL != nil && strings.Contains(r.URL.RawQuery, "X-Amz-Signature="):
		return "QueryString", "SigV4"
	}
	return "", ""
}

// record is the check's audit record: a data event of the route's
// service. The query is left out: a presigned URL's signature and
// session token are in it.
func (c *Checker) record(x *call, err error, res *Result) *request.Record {
	rec := &request.Record{}
	x.Record(rec, c.cfg.Now(), err, res.Status, res.Code, res.Message) // an allowed check's: 200, no code
	rec.Category = request.CategoryData
	if r := x.route; r != nil {
		rec.Service, rec.Action, rec.Version = r.Service.Name, r.op.Name, ""
		// The check changes nothing in Brevet (its operation is ReadOnly
		// for the pipeline), but the event describes the request to the
		// service: readOnly unless its method writes.
		if m := x.orig.Method; m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions {
			rec.Effect = request.Writes
		}
		if x.resource != "" {
			rec.Resources = []request.Resource{{Type: r.Service.ResourceType, ARN: x.resource}}
		}
	}
	if o := x.orig; o != nil {
		rec.RequestParameters = map[string]any{"method": o.Method, "path": o.Path, "host": o.Host}
	}
	rec.Details = map[string]string{"CheckProtocol": x.proto}
	if res.authenticationMethod != "" {
		rec.Details["AuthenticationMethod"] = res.authenticationMethod
	}
	if res.signature != "" {
		rec.Details["SignatureVersion"] = res.signature
	}
	return rec
}
