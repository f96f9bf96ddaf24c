package request

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"
)

// Exchange is the protocol-free state of one request as it moves through
// the pipeline. A codec embeds it in its own per-request state.
type Exchange struct {
	ID    string
	Start time.Time
	HTTP  *http.Request
	// Body is the request body as the codec read it, for the
	// Authenticator (SigV4 signs it).
	Body []byte
	// Stream is a body the codec left unread (S3 uploads stream through
	// the gateway): set it in Route; after authentication it is the
	// Authenticator's verifying reader, which the action must read the
	// body from.
	Stream   io.Reader
	SourceIP string
	// Op is the action, once the codec routed the request; nil before,
	// and when the request named no known action.
	Op *Operation
	// Principal is the caller, once authenticated.
	Principal Principal
	// Succeeded is set once the action ran and every commit step passed.
	Succeeded bool
	// KeyID is the access key id the request presents, before it is
	// verified; set by the Pipeline's Limiter, "" when none.
	KeyID string

	issued    *Issuance
	authn     AuthnRequest
	unchanged bool
}

// Begin sets up x for an HTTP request: its id, start time and source
// address.
func (x *Exchange) Begin(r *http.Request, id string, start time.Time) {
	x.HTTP, x.ID, x.Start, x.SourceIP = r, id, start, SourceIP(r)
}

// Issue records what the action minted. An action whose Effect is
// IssuesCredentials must call it before it returns successfully; the
// pipeline fails the request closed otherwise.
func (x *Exchange) Issue(i Issuance) { x.issued = &i }

// Issued returns what the action minted, or nil.
func (x *Exchange) Issued() *Issuance { return x.issued }

// Unchanged says that the action, though its Effect is Writes, wrote
// nothing this time: Cognito's GetId for an identity that comes back
// only reads it. Commit steps that follow a write (the node's cache
// sync) skip the request then. Call it only where the action knows it
// wrote nothing; when unsure, don't: a needless sync costs time, a
// missed one leaves a write unseen by caches until the next.
func (x *Exchange) Unchanged() { x.unchanged = true }

// Wrote reports whether the action may have changed the store: its
// Effect writes (Effect.Writes) and it did not call Unchanged.
func (x *Exchange) Wrote() bool {
	return x.Op != nil && x.Op.Effect.Writes() && !x.unchanged
}

// Record returns the audit record of x, with what every protocol knows
// about it; the codec adds its parameters and response elements. err is
// the request's error and status, code and message its wire form (status
// http.StatusOK and no code for a success).
func (x *Exchange) Record(rec *Record, now time.Time, err error, status int, code, message string) {
	*rec = Record{
		RequestID: x.ID, Principal: x.Principal, SourceIP: x.SourceIP,
		UserAgent: x.HTTP.UserAgent(), Host: x.HTTP.Host, TLS: x.HTTP.TLS,
		Start: x.Start, Duration: now.Sub(x.Start),
		Status: status, ErrorCode: code, ErrorMessage: message, Err: err,
		PresentedKeyID: x.KeyID,
	}
	if x.Op != nil {
		rec.Service, rec.Action, rec.Version, rec.Effect = x.Op.Service, x.Op.Name, x.Op.Version, x.Op.Effect
	}
	if x.Succeeded {
		rec.Issued = x.Issued()
	}
}

// SourceIP is the address part of r.RemoteAddr.
func SourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Call is a codec's part of one request: the steps that need its wire
// format. The Pipeline calls them in order, each at most once, and stops
// at the first error.
type Call interface {
	// Route reads the request's envelope: it sets x.Op (the action) and
	// x.Body. It runs before authentication.
	Route(ctx context.Context, x *Exchange) error
	// Decode reads and validates the typed input, after authentication.
	Decode(ctx context.Context, x *Exchange) error
	// Target names what to authorize. ok is false for an action that
	// authorizes itself (it said why when it was registered).
	Target(ctx context.Context, x *Exchange) (t Target, ok bool, err error)
	// Act runs the action and keeps its output for the response.
	Act(ctx context.Context, x *Exchange) error
}

// MultiTarget is a Call whose requests may need several authorizations,
// every one allowed (an S3 CopyObject: s3:GetObject on the source and
// s3:PutObject on the target). The Pipeline calls Targets instead of
// Target; an empty list authorizes nothing (the action authorizes itself,
// as DeleteObjects does key by key).
type MultiTarget interface {
	Targets(ctx context.Context, x *Exchange) ([]Target, error)
}

// Pipeline is the steps every request goes through, whatever its
// protocol: authenticate (then confirm that the caller's principal still
// exists), authorize, act, commit (Run), then audit and observe (Finish).
// Authenticator, Authorizer and Auditor are required.
type Pipeline struct {
	Authenticator Authenticator
	// Principals, when set, confirms after authentication that the
	// caller's principal still exists.
	Principals PrincipalChecker
	Authorizer Authorizer
	// Committers run in order after a successful action, before its audit
	// event.
	Committers []Committer
	Auditor    Auditor
	// Observers see every record once it is audited.
	Observers []Observer
	// Limiter, when set, throttles requests before and after
	// authentication (package ratelimit).
	Limiter Limiter
	// Logger receives panics and audit failures.
	Logger *slog.Logger
}

// Check reports a Pipeline that lacks a required step.
func (p *Pipeline) Check() error {
	if p == nil || p.Authenticator == nil || p.Authorizer == nil || p.Auditor == nil {
		return errors.New("request: a Pipeline needs an Authenticator, an Authorizer and an Auditor")
	}
	return nil
}

// Run takes x through authentication, the call's decoding, authorization,
// the action and the commit steps. It returns the request's error, nil on
// success (then x.Succeeded is set); a panic in any step is an error.
func (p *Pipeline) Run(ctx context.Context, x *Exchange, c Call) (err error) {
	defer func() {
		if v := recover(); v != nil {
			p.logger().ErrorContext(ctx, "panic in request", "request_id", x.ID, "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("request: panic: %v", v)
		}
	}()
	if p.Limiter != nil {
		if err := p.Limiter.Admit(ctx, x); err != nil {
			return err
		}
	}
	if err := c.Route(ctx, x); err != nil {
		return err
	}
	if err := p.authenticate(ctx, x); err != nil {
		return err
	}
	ctx = context.WithValue(ctx, principalKey{}, x.Principal)
	if err := c.Decode(ctx, x); err != nil {
		return err
	}
	if err := p.authorizeCall(ctx, x, c); err != nil {
		return err
	}
	if err := c.Act(ctx, x); err != nil {
		return err
	}
	if err := p.commit(ctx, x); err != nil {
		return err
	}
	x.Succeeded = true
	return nil
}

// authorizeCall authorizes what c's request needs: its Target, or every
// one of its Targets.
func (p *Pipeline) authorizeCall(ctx context.Context, x *Exchange, c Call) error {
	if mt, ok := c.(MultiTarget); ok {
		ts, err := mt.Targets(ctx, x)
		if err != nil {
			return err
		}
		for i := range ts {
			if err := p.Authorize(ctx, x, ts[i]); err != nil {
				return err
			}
		}
		return nil
	}
	t, ok, err := c.Target(ctx, x)
	if err != nil || !ok {
		return err
	}
	return p.Authorize(ctx, x, t)
}

// authenticate establishes x's caller and confirms that its principal
// still exists; the Limiter, if any, sees a failure and may answer it, and
// sees a success.
func (p *Pipeline) authenticate(ctx context.Context, x *Exchange) (err error) {
	x.authn = AuthnRequest{HTTP: x.HTTP, Body: x.Body, Stream: x.Stream, Operation: x.Op, Now: x.Start}
	x.Principal, err = p.Authenticator.Authenticate(ctx, &x.authn)
	x.Stream = x.authn.Stream
	if err == nil && p.Principals != nil {
		err = p.Principals.CheckPrincipal(ctx, x.Principal, x.Start)
	}
	switch {
	case p.Limiter == nil:
		return err
	case err != nil:
		return p.Limiter.Failed(ctx, x, err)
	}
	return p.Limiter.Authenticated(ctx, x)
}

// ErrNotIssued fails an action declared IssuesCredentials that returned
// without saying what it issued: nothing may leave the server unrecorded.
var ErrNotIssued = errors.New("request: the action issues credentials but recorded no issuance")

func (p *Pipeline) commit(ctx context.Context, x *Exchange) error {
	if x.Op.Effect == IssuesCredentials && x.issued == nil {
		return fmt.Errorf("%s: %w", x.Op.Action, ErrNotIssued)
	}
	for _, c := range p.Committers {
		if err := c.Commit(ctx, x); err != nil {
			return err
		}
	}
	return nil
}

// Authorize asks the Authorizer whether x's principal may perform x's
// action on t, and returns an *AccessDeniedError when it may not.
func (p *Pipeline) Authorize(ctx context.Context, x *Exchange, t Target) error {
	action := t.Action
	if action == "" {
		action = x.Op.Action
	}
	req := AuthzRequest{
		Principal: x.Principal, Action: action, Resource: t.Resource, Context: t.Context,
		ResourceAccount: t.ResourceAccount, ResourcePolicy: t.ResourcePolicy,
		Now: x.Start, SourceIP: x.SourceIP, UserAgent: x.HTTP.UserAgent(), SecureTransport: x.HTTP.TLS != nil,
	}
	dec, err := p.Authorizer.Authorize(ctx, &req)
	if err != nil {
		return err
	}
	if dec.Allowed {
		return nil
	}
	e := &AccessDeniedError{Principal: principalARN(x.Principal), Action: action, Decision: dec}
	if !t.Unnamed {
		e.Resource = t.Resource
	}
	return e
}

// AuditTimeout bounds how long Finish waits for a request's event to be
// durable once the request's own context has ended.
const AuditTimeout = 10 * time.Second

// Finish audits rec, then lets the observers see it. An error means the
// event is not durable: the codec must answer ServiceUnavailable instead
// of what it was going to send.
//
// The event is made durable even when the client has gone (ctx
// cancelled: it hung up, or its deadline passed): the request may have
// changed state already, and every such change is on the trail. Finish
// keeps ctx's values and waits at most AuditTimeout.
func (p *Pipeline) Finish(ctx context.Context, rec *Record) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), AuditTimeout)
	defer cancel()
	err := p.Auditor.Audit(actx, rec)
	if err != nil {
		p.logger().ErrorContext(ctx, "audit failed; refusing the request", "request_id", rec.RequestID, "action", rec.Action, "err", err)
		rec.Status, rec.ErrorCode, rec.ErrorMessage = http.StatusServiceUnavailable, CodeServiceUnavailable, ""
	}
	for _, o := range p.Observers {
		o.Observe(ctx, rec)
	}
	return err
}

// CodeServiceUnavailable is the error code an observer sees for a request
// refused because its audit event could not be made durable: every
// protocol answers it so.
const CodeServiceUnavailable = "ServiceUnavailable"

func (p *Pipeline) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

func principalARN(p Principal) string {
	if p == nil {
		return "anonymous"
	}
	return p.ARN()
}
