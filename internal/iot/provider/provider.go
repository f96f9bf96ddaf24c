// Package provider is the wire side of AWS IoT's credentials provider:
// the device-facing endpoint `GET /role-aliases/ALIAS/credentials`,
// served over mutual TLS, that answers
// {"credentials":{"accessKeyId","secretAccessKey","sessionToken","expiration"}}
// or AWS's {"message"} errors. It owns that wire format only: every
// request runs the one request.Pipeline (its Authenticator establishes
// the device from the client certificate of the TLS connection; the
// action, package iot, issues the session), so that every request is
// rate-limited, audited and its issuance indexed.
package provider

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/iot"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
)

// EventName is the action's name in the audit trail and the issuance
// index: the IoT policy action that allows a device to ask the
// credentials provider for a role's credentials.
const EventName = "AssumeRoleWithCertificate"

// op is the one operation the endpoint serves.
var op = request.Operation{
	Service: "iot", Version: "2015-05-28", Name: EventName, Action: "iot:" + EventName,
	Unsigned: true, Effect: request.IssuesCredentials,
}

// ThingNameHeader names the thing the device acts as.
const ThingNameHeader = "x-amzn-iot-thingname"

// Config configures a Handler.
type Config struct {
	// Pipeline runs every request; its Authenticator must be an
	// Authenticator of this package (or establish an *iot.Device).
	Pipeline *request.Pipeline
	Service  *iot.Service
	// ErrorMapper words the pipeline's shared failures (the store down);
	// nil maps none.
	ErrorMapper func(error) (status int, code, message string, ok bool)
	Now         func() time.Time
	Logger      *slog.Logger
}

// Handler serves the credentials provider's endpoint.
type Handler struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the endpoint's handler.
func New(cfg Config) (*Handler, error) {
	if err := cfg.Pipeline.Check(); err != nil {
		return nil, err
	}
	if cfg.Service == nil {
		return nil, errors.New("provider: no iot.Service")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /role-aliases/{roleAlias}/credentials", h.credentials)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		restjson.WriteError(w, &restjson.Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: "Not Found"})
	})
	return h, nil
}

// ServeHTTP serves a request. A path with dot segments or empty ones is
// not found, in the endpoint's shape: the router would redirect it to
// its cleaned form with an HTML body, which no device expects.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p == "" || path.Clean(p) != p {
		restjson.WriteError(w, &restjson.Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: "Not Found"})
		return
	}
	h.mux.ServeHTTP(w, r)
}

// Authenticator establishes the device from the TLS connection's client
// certificate (which the listener requests and does not verify: the
// registered certificates decide).
type Authenticator struct {
	Service *iot.Service
}

// Authenticate returns the *iot.Device of the request's client
// certificate, or an *iot.DeviceError.
func (a Authenticator) Authenticate(ctx context.Context, req *request.AuthnRequest) (request.Principal, error) {
	var der []byte
	if cs := req.HTTP.TLS; cs != nil && len(cs.PeerCertificates) > 0 {
		der = cs.PeerCertificates[0].Raw
	}
	d, err := a.Service.AuthenticateDevice(ctx, der, req.Now)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// call is one request on its way through the pipeline.
type call struct {
	h     *Handler
	x     request.Exchange
	alias string
	thing string
	out   *iot.Credentials
}

func (h *Handler) credentials(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rid := request.IDFromContext(ctx)
	if rid == "" {
		rid = request.NewID()
		ctx = request.WithRequestID(ctx, rid)
	}
	w.Header().Set("x-amzn-RequestId", rid)
	c := &call{h: h}
	c.x.Begin(r, rid, h.cfg.Now())
	err := h.cfg.Pipeline.Run(ctx, &c.x, c)
	var we *restjson.Error
	if err != nil {
		var unknown bool
		if we, unknown = h.toWire(err); unknown {
			h.cfg.Logger.ErrorContext(ctx, "internal failure", "request_id", rid, "action", op.Action, "err", err)
		}
	}
	if h.cfg.Pipeline.Finish(ctx, c.record(err, we)) != nil {
		we = &restjson.Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailableException", Message: "Service Unavailable"}
	}
	if we != nil {
		restjson.WriteError(w, we)
		return
	}
	body, _ := json.Marshal(response{Credentials: credentials{
		AccessKeyID: c.out.Credentials.AccessKeyId, SecretAccessKey: c.out.Credentials.SecretAccessKey,
		SessionToken: c.out.Credentials.SessionToken, Expiration: c.out.Credentials.Expiration.UTC().Format(time.RFC3339),
	}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// response is the endpoint's answer, as AWS's credentials provider
// writes it (expiration in RFC 3339, UTC, whole seconds).
type response struct {
	Credentials credentials `json:"credentials"`
}

type credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
	Expiration      string `json:"expiration"`
}

// Route names the operation; the request has no body to read.
func (c *call) Route(context.Context, *request.Exchange) error {
	c.x.Op = &op
	return nil
}

// Decode reads the role alias and the thing name.
func (c *call) Decode(_ context.Context, x *request.Exchange) error {
	c.alias = x.HTTP.PathValue("roleAlias")
	things := x.HTTP.Header.Values(ThingNameHeader)
	if len(things) > 1 {
		return &iot.DeviceError{Reason: iot.InvalidThingName, Detail: "x-amzn-iot-thingname given more than once"}
	}
	if len(things) == 1 {
		c.thing = things[0]
		if c.thing == "" {
			return &iot.DeviceError{Reason: iot.InvalidThingName, Detail: "empty x-amzn-iot-thingname"}
		}
	}
	return nil
}

// Target authorizes nothing: the role's trust policy decides, in the
// action (Brevet has no IoT policies; a registered ACTIVE certificate may
// ask for any role alias of its account whose role trusts the service).
func (c *call) Target(context.Context, *request.Exchange) (request.Target, bool, error) {
	return request.Target{}, false, nil
}

// Act issues the session.
func (c *call) Act(ctx context.Context, x *request.Exchange) error {
	d, ok := x.Principal.(*iot.Device)
	if !ok {
		return errors.New("provider: the principal is not a device")
	}
	out, err := c.h.cfg.Service.DeviceCredentials(ctx, d, &iot.CredentialsInput{
		RoleAlias: c.alias, ThingName: c.thing,
		Facts: authz.Facts{Now: x.Start, SourceIP: x.SourceIP, UserAgent: x.HTTP.UserAgent(), SecureTransport: x.HTTP.TLS != nil},
	})
	if err != nil {
		return err
	}
	c.out = out
	x.Issue(out.Issuance(EventName, x.SourceIP))
	return nil
}

// record is the request's audit record: the alias and thing asked for,
// and on success the role, the alias and the key id issued, never the
// secret or the token.
func (c *call) record(err error, we *restjson.Error) *request.Record {
	rec := &request.Record{}
	now := c.h.cfg.Now()
	if we == nil {
		c.x.Record(rec, now, nil, http.StatusOK, "", "")
	} else {
		c.x.Record(rec, now, err, we.Status, we.Code, we.Message)
	}
	if alias := c.x.HTTP.PathValue("roleAlias"); alias != "" { // c.alias, once decoded
		rec.RequestParameters = map[string]any{"roleAlias": alias}
		if c.thing != "" {
			rec.RequestParameters["thingName"] = c.thing
		}
	}
	if we == nil && c.out != nil {
		rec.ResponseElements = map[string]any{
			"credentials": map[string]any{
				"accessKeyId": c.out.Credentials.AccessKeyId,
				"expiration":  c.out.Credentials.Expiration.UTC().Format(time.RFC3339),
			},
			"roleAliasArn": c.out.RoleAliasARN, "roleArn": c.out.RoleARN,
			"assumedRoleId": c.out.AssumedRoleID, "sessionArn": c.out.SessionARN,
		}
	}
	return rec
}

// deviceErrors are AWS's answers to the device failures, as the
// credentials provider sends them.
var deviceErrors = map[iot.Reason]restjson.Error{
	iot.CertificateInvalid:   {Status: http.StatusForbidden, Code: "AccessDeniedException", Message: "Certificate is invalid on this endpoint"},
	iot.CertificateNotActive: {Status: http.StatusForbidden, Code: "AccessDeniedException", Message: "Access Denied"},
	iot.InvalidThingName:     {Status: http.StatusForbidden, Code: "AccessDeniedException", Message: "Invalid thing name passed"},
	iot.RoleAliasNotFound:    {Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: "Role alias does not exist"},
	iot.AssumeRoleRefused:    {Status: http.StatusBadRequest, Code: "InvalidRequestException", Message: "Unable to assume the role, or the role to assume does not exist"},
	iot.DurationExceedsMax:   {Status: http.StatusBadRequest, Code: "InvalidRequestException", Message: "The requested CredentialDurationSeconds exceeds the MaxSessionDuration set for the role"},
	iot.BadRequest:           {Status: http.StatusBadRequest, Code: "InvalidRequestException", Message: "Invalid request"},
}

// toWire maps err; the second result reports an error nobody knew (a
// bug, logged).
func (h *Handler) toWire(err error) (*restjson.Error, bool) {
	if de, ok := errors.AsType[*iot.DeviceError](err); ok {
		if w, ok := deviceErrors[de.Reason]; ok {
			return &w, false
		}
	}
	if te, ok := errors.AsType[*request.ThrottledError](err); ok {
		return &restjson.Error{Status: http.StatusTooManyRequests, Code: "ThrottlingException", Message: "Rate exceeded", RetryAfter: te.RetryAfter}, false
	}
	if h.cfg.ErrorMapper != nil {
		if status, code, msg, ok := h.cfg.ErrorMapper(err); ok {
			return &restjson.Error{Status: status, Code: code, Message: msg}, false
		}
	}
	return &restjson.Error{Status: http.StatusInternalServerError, Code: "InternalFailureException", Message: "Internal Failure"}, true
}
