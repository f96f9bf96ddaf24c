// Package lookup serves CloudTrail's LookupEvents API over Brevet's audit
// trail, so that `aws cloudtrail lookup-events --endpoint-url ...` and the
// SDKs read it as they read CloudTrail.
//
// It owns the JSON 1.1 protocol of that operation (and of GetTrailStatus,
// which answers the trail's verification status): the X-Amz-Target
// check, the request and response shapes, CloudTrail's errors and the
// pagination token. Lookups are answered from the audit event index
// (Config.Index) when it has a column for every filter, by a scan of the
// trail otherwise, with the same pages and tokens. Every call goes through the same request.Pipeline as
// the Query protocol's: authenticated (SigV4, service cloudtrail),
// authorized (cloudtrail:LookupEvents on "*"), and audited before the
// response is written (one event, eventSource cloudtrail.amazonaws.com,
// readOnly), failing closed.
package lookup

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/eventindex"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// Target is the X-Amz-Target of LookupEvents.
const Target = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"

// StatusTarget is the X-Amz-Target of GetTrailStatus, which Brevet
// answers with the trail's verification status (TrailStatus).
const StatusTarget = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetTrailStatus"

const contentType = "application/x-amz-json-1.1"

// maxBody bounds a request body; LookupEvents requests are small.
const maxBody = 64 << 10

// Error is a CloudTrail error response.
type Error struct {
	Code    string
	Message string
	Status  int
}

// Error is the code and the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Operation is LookupEvents, for the pipeline: the Authenticator chooses
// its SigV4 verifier by the service name, and the action is read-only.
var Operation = request.Operation{
	Service: "cloudtrail", Version: "2013-11-01", Name: "LookupEvents",
	Action: "cloudtrail:LookupEvents", Effect: request.ReadOnly,
}

// StatusOperation is GetTrailStatus, authorized like LookupEvents
// (cloudtrail:GetTrailStatus on "*") and read-only.
var StatusOperation = request.Operation{
	Service: "cloudtrail", Version: "2013-11-01", Name: "GetTrailStatus",
	Action: "cloudtrail:GetTrailStatus", Effect: request.ReadOnly,
}

// TrailStatus is GetTrailStatus' answer: CloudTrail's members IsLogging
// and LatestDigestDeliveryTime, and Brevet's verification of the trail
// (what `brevet audit verify` reports), as last computed. The trail is
// the whole node's, every account's events: its counts and the problem
// found are the installation's business, so Verification goes to callers
// of the installation's account (Config.Operator) only; every caller
// gets the Verdict.
type TrailStatus struct {
	IsLogging bool
	// LatestDigestDeliveryTime is when the last signed digest was
	// written (seconds since the epoch, CloudTrail's timestamps).
	LatestDigestDeliveryTime float64 `json:",omitempty"`
	// Verdict is the verification's outcome, without counts or problem.
	Verdict Verdict
	// Verification is the whole report; nil for callers of other accounts.
	Verification *Verification `json:",omitempty"`
}

// Verdict is what every account may know of the last verification.
type Verdict struct {
	// Pending is true until the first verification has finished.
	Pending bool `json:",omitempty"`
	// Intact is true when the chain and the digests verified.
	Intact bool
	// VerifiedAt is when the verification ran (seconds since the epoch).
	VerifiedAt float64 `json:",omitempty"`
}

// For is st as a caller of account sees it: with the Verdict taken from
// the Verification, which only the operator's account keeps.
func (st *TrailStatus) For(account, operator string) *TrailStatus {
	out := *st
	if v := st.Verification; v != nil {
		out.Verdict = Verdict{Pending: v.Pending, Intact: v.Intact, VerifiedAt: v.VerifiedAt}
	}
	if operator == "" || account != operator {
		out.Verification = nil
	} else if v := st.Verification; v != nil {
		c := *v
		out.Verification = &c
	}
	return &out
}

// Verification is the result of the last verification of the trail: the
// hash chain, the digests' signatures and their heads.
type Verification struct {
	// Pending is true until the first verification has finished.
	Pending bool `json:",omitempty"`
	// Intact is true when the chain and the digests verified.
	Intact bool
	// VerifiedAt is when the verification ran (seconds since the epoch).
	VerifiedAt    float64 `json:",omitempty"`
	Events        int
	LastSeq       uint64
	DigestLastSeq uint64
	// Uncovered counts the events after the last digest, not yet signed.
	Uncovered uint64
	// Problem is the inconsistency found, when not Intact.
	Problem string `json:",omitempty"`
}

// Config configures the handler.
type Config struct {
	// Dir is the audit trail directory.
	Dir string
	// Events, when set, replaces Dir as the source of events (a database
	// trail): it yields every event with a key that increases along the
	// trail, oldest first. Pagination tokens carry the key.
	Events func(fn func(key uint64, event []byte) error) error
	// Pipeline authenticates, authorizes and audits every call; required.
	Pipeline *request.Pipeline
	// WireError maps the errors of the pipeline's steps (authentication
	// failures) to CloudTrail's errors; an error it does not know (nil) is
	// an internal failure.
	WireError func(error) *Error
	// Index, when set, answers the lookups it can (every attribute but
	// ResourceType and ResourceName) instead of a scan of the trail.
	Index *Index
	// Status answers GetTrailStatus; without it GetTrailStatus is an
	// unknown operation.
	Status func(context.Context) (*TrailStatus, error)
	// Operator is the installation's account (the one `brevet serve`'s
	// bootstrap created): only its callers get GetTrailStatus'
	// Verification; other accounts get the Verdict. Empty: nobody does.
	Operator string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives internal failures.
	Logger *slog.Logger
}

// NewHandler returns the LookupEvents handler.
func NewHandler(cfg Config) (http.Handler, error) {
	if cfg.Dir == "" && cfg.Events == nil {
		return nil, errors.New("lookup: Config.Dir (or Events) is required")
	}
	if err := cfg.Pipeline.Check(); err != nil {
		return nil, fmt.Errorf("lookup: %w", err)
	}
	if cfg.Events == nil {
		dir := cfg.Dir
		cfg.Events = func(fn func(uint64, []byte) error) error {
			return audit.WalkRecords(dir, func(r audit.Record, _ audit.Position) error { return fn(r.Seq, r.Event) })
		}
	}
	if cfg.WireError == nil {
		cfg.WireError = func(error) *Error { return nil }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &handler{cfg: cfg}, nil
}

type handler struct{ cfg Config }

type attribute struct {
	AttributeKey   string
	AttributeValue string
}

type lookupRequest struct {
	LookupAttributes []attribute
	StartTime        *json.Number
	EndTime          *json.Number
	EventCategory    string
	MaxResults       *int
	NextToken        string
	// IncludeDataEvents is Brevet's extension: data events (S3 gateway,
	// authorization API) too, which CloudTrail's LookupEvents never
	// returns. The console follows a credential with it.
	IncludeDataEvents bool `json:",omitempty"`
}

type resource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName,omitempty"`
}

type event struct {
	EventID         string     `json:"EventId"`
	EventName       string     `json:"EventName"`
	ReadOnly        string     `json:"ReadOnly"`
	AccessKeyID     string     `json:"AccessKeyId,omitempty"`
	EventTime       float64    `json:"EventTime"`
	EventSource     string     `json:"EventSource"`
	Username        string     `json:"Username,omitempty"`
	Resources       []resource `json:"Resources"`
	CloudTrailEvent string     `json:"CloudTrailEvent"`
}

type response struct {
	Events    []event `json:"Events"`
	NextToken string  `json:"NextToken,omitempty"`
}

// ServeHTTP runs one call through the pipeline and writes its answer:
// the events, the trail status, or CloudTrail's error (ServiceUnavailable
// when the call's own audit event could not be made durable).
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rid := request.IDFromContext(ctx)
	if rid == "" {
		rid = request.NewID()
		ctx = request.WithRequestID(ctx, rid)
	}
	w.Header().Set("x-amzn-RequestId", rid)
	x := &exchange{h: h}
	x.Begin(r, rid, h.cfg.Now())
	err := h.cfg.Pipeline.Run(ctx, &x.Exchange, x)
	e := h.wireError(ctx, rid, err)
	if h.cfg.Pipeline.Finish(ctx, h.record(x, err, e)) != nil {
		e = &Error{Code: request.CodeServiceUnavailable, Message: "Service is unavailable. Please try again later.", Status: http.StatusServiceUnavailable}
	}
	if e != nil {
		if te, ok := errors.AsType[*request.ThrottledError](err); ok && e.Code == codeThrottling {
			w.Header().Set("Retry-After", request.RetryAfterSeconds(te.RetryAfter))
		}
		writeJSON(w, e.Status, map[string]string{"__type": e.Code, "message": e.Message})
		return
	}
	if x.status != nil {
		writeJSON(w, http.StatusOK, x.status)
		return
	}
	writeJSON(w, http.StatusOK, x.resp)
}

// codeThrottling is CloudTrail's answer to a request over a rate budget.
const codeThrottling = "ThrottlingException"

// wireError is CloudTrail's error for err, or nil for none.
func (h *handler) wireError(ctx context.Context, rid string, err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ad *request.AccessDeniedError
	if errors.As(err, &ad) {
		return &Error{Code: "AccessDeniedException", Message: ad.Error(), Status: http.StatusBadRequest}
	}
	if _, ok := errors.AsType[*request.ThrottledError](err); ok {
		return &Error{Code: codeThrottling, Message: "Rate exceeded", Status: http.StatusBadRequest}
	}
	if e := h.cfg.WireError(err); e != nil {
		return e
	}
	h.cfg.Logger.ErrorContext(ctx, "lookup-events failed", "request_id", rid, "err", err)
	return &Error{Code: "InternalFailure", Message: "an internal error occurred", Status: http.StatusInternalServerError}
}

// exchange is one call as it moves through the pipeline (request.Call).
type exchange struct {
	request.Exchange
	h      *handler
	q      *query
	params map[string]any
	resp   *response
	status *TrailStatus // GetTrailStatus' answer
}

// record is the call's audit record: CloudTrail's requestParameters are
// the request's members in lowerCamelCase; responseElements stay empty
// (the events returned are in the trail already).
func (h *handler) record(x *exchange, err error, e *Error) *request.Record {
	rec := &request.Record{}
	if e == nil {
		x.Record(rec, h.cfg.Now(), err, http.StatusOK, "", "")
	} else {
		x.Record(rec, h.cfg.Now(), err, e.Status, e.Code, e.Message)
	}
	op := &Operation
	if x.Op == &StatusOperation {
		op = &StatusOperation
	}
	rec.Service, rec.Action, rec.Version, rec.Effect = op.Service, op.Name, op.Version, op.Effect
	rec.RequestParameters = x.params
	return rec
}

// auditParams renders a decoded JSON body with lowerCamelCase keys.
func auditParams(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			if k != "" {
				k = strings.ToLower(k[:1]) + k[1:]
			}
			m[k] = auditParams(x)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i := range v {
			l[i] = auditParams(v[i])
		}
		return l
	}
	return v
}

// writeJSON writes v as the JSON 1.1 body of a response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// clientError is a 400 CloudTrail error with code and a formatted message.
func clientError(code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...), Status: http.StatusBadRequest}
}

// Route checks the method and X-Amz-Target and reads the body.
func (x *exchange) Route(_ context.Context, rx *request.Exchange) error {
	r := rx.HTTP
	if r.Method != http.MethodPost {
		return &Error{Code: "UnsupportedOperationException", Message: "use POST", Status: http.StatusMethodNotAllowed}
	}
	op := &Operation
	switch t := r.Header.Get("X-Amz-Target"); {
	case t == StatusTarget && x.h.cfg.Status != nil:
		op = &StatusOperation
	case t != Target:
		return clientError("UnknownOperationException", "operation %q is not supported", t)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return clientError("SerializationException", "reading the body: %v", err)
	}
	if len(body) > maxBody {
		return clientError("SerializationException", "request body larger than %d bytes", maxBody)
	}
	rx.Body, rx.Op = body, op
	return nil
}

// Decode parses and validates the request.
func (x *exchange) Decode(context.Context, *request.Exchange) error {
	if x.Op == &StatusOperation {
		// GetTrailStatus names a trail; Brevet has one.
		var req struct{ Name string }
		if len(x.Body) > 0 {
			if err := json.Unmarshal(x.Body, &req); err != nil {
				return clientError("SerializationException", "%v", err)
			}
			x.params = map[string]any{"name": req.Name}
		}
		return nil
	}
	var req lookupRequest
	if len(x.Body) > 0 {
		if err := json.Unmarshal(x.Body, &req); err != nil {
			return clientError("SerializationException", "%v", err)
		}
		var generic map[string]any
		if json.Unmarshal(x.Body, &generic) == nil {
			x.params, _ = auditParams(generic).(map[string]any)
		}
	}
	q, err := parseQuery(&req)
	if err != nil {
		return err
	}
	x.q = q
	if strings.EqualFold(req.EventCategory, "insight") {
		x.q = nil // Brevet has no Insights events
	}
	return nil
}

// Target is "*": LookupEvents has no resource-level permissions, and
// CloudTrail's AccessDenied sentence names none.
func (x *exchange) Target(context.Context, *request.Exchange) (request.Target, bool, error) {
	return request.Target{Resource: "*", Unnamed: true}, true, nil
}

// Act looks the events up. Like CloudTrail, a caller sees only its own
// account's events: one Brevet may hold several accounts.
func (x *exchange) Act(ctx context.Context, _ *request.Exchange) error {
	ip, ok := x.Principal.(*identity.Principal)
	if !ok || ip == nil || ip.Account == "" {
		return &Error{Code: "AccessDeniedException", Message: "The caller's account could not be determined.", Status: http.StatusBadRequest}
	}
	if x.Op == &StatusOperation {
		st, err := x.h.cfg.Status(ctx)
		if err != nil || st == nil {
			return err
		}
		x.status = st.For(ip.Account, x.h.cfg.Operator)
		return nil
	}
	if x.q == nil {
		x.resp = &response{Events: []event{}}
		return nil
	}
	x.q.filter.Account = ip.Account
	if err := x.q.bind(ip.Account); err != nil {
		return err
	}
	// LookupEvents returns management events only, as CloudTrail's does,
	// unless asked for data events too (Brevet's extension).
	if !x.q.data {
		x.q.filter.Category = audit.CategoryManagement
	}
	var resp *response
	var err error
	if x.h.cfg.Index != nil && x.q.indexed {
		resp, err = x.h.lookupIndex(ctx, x.q)
	} else {
		resp, err = x.h.lookup(x.q)
	}
	x.resp = resp
	return err
}

// query is a validated request.
type query struct {
	filter audit.Filter
	max    int
	before uint64 // only events with seq < before; 0: no bound
	// params is the parameters' hash (paramsHash), token the NextToken
	// given; hash binds the tokens to the parameters and the account
	// (bind).
	params [32]byte
	token  string
	hash   [8]byte
	data   bool // data events too
	// index is the query on the event index; indexed says whether the
	// index can answer it (every attribute has a column).
	index   store.EventFilter
	indexed bool
}

// parseQuery validates a request into a query, as CloudTrail validates
// it (its exceptions), with the NextToken checked against the parameters.
func parseQuery(req *lookupRequest) (*query, error) {
	q := &query{max: 50, data: req.IncludeDataEvents, indexed: true}
	if req.MaxResults != nil {
		if *req.MaxResults < 1 || *req.MaxResults > 50 {
			return nil, clientError("InvalidMaxResultsException", "MaxResults must be between 1 and 50")
		}
		q.max = *req.MaxResults
	}
	if req.EventCategory != "" && !strings.EqualFold(req.EventCategory, "insight") {
		return nil, clientError("InvalidEventCategoryException", "EventCategory must be insight")
	}
	var err error
	if q.filter.From, err = epoch(req.StartTime); err != nil {
		return nil, err
	}
	end, err := epoch(req.EndTime)
	if err != nil {
		return nil, err
	}
	if !end.IsZero() {
		q.filter.To = end.Add(time.Nanosecond) // EndTime is inclusive
		if end.Before(q.filter.From) {
			return nil, clientError("InvalidTimeRangeException", "StartTime is after EndTime")
		}
	}
	q.index.From, q.index.To = q.filter.From, q.filter.To
	if err := q.attributes(req.LookupAttributes); err != nil {
		return nil, err
	}
	q.params, q.token = paramsHash(req), req.NextToken
	return q, nil
}

// bind binds the query's tokens to the parameters and to the caller's
// account, and reads the NextToken it was given, which must have been
// issued for both.
func (q *query) bind(account string) error {
	sum := sha256.Sum256(append(q.params[:], account...))
	copy(q.hash[:], sum[:])
	if q.token == "" {
		return nil
	}
	var err error
	q.before, err = decodeToken(q.token, q.hash)
	return err
}

// attributes sets the query's filter, and its index filter, from the
// lookup attributes. CloudTrail takes one attribute; Brevet takes several
// with different keys, all of which must match (the console's filters).
func (q *query) attributes(attrs []attribute) error {
	var ms []func(*audit.Event) bool
	seen := map[string]bool{}
	for _, a := range attrs {
		if seen[a.AttributeKey] {
			return clientError("InvalidLookupAttributesException", "AttributeKey %q is given twice", a.AttributeKey)
		}
		seen[a.AttributeKey] = true
		m, err := matcher(a)
		if err != nil {
			return err
		}
		ms = append(ms, m)
		if !indexAttribute(&q.index, a) {
			q.indexed = false
		}
	}
	switch len(ms) {
	case 0:
	case 1:
		q.filter.Match = ms[0]
	default:
		q.filter.Match = func(e *audit.Event) bool {
			for _, m := range ms {
				if !m(e) {
					return false
				}
			}
			return true
		}
	}
	return nil
}

// epoch reads a CloudTrail timestamp (seconds since the epoch, possibly
// fractional); nil is the zero time.
func epoch(n *json.Number) (time.Time, error) {
	if n == nil {
		return time.Time{}, nil
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || f < 0 || f > 1e11 {
		return time.Time{}, clientError("InvalidTimeRangeException", "time %q is not valid", n.String())
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// matcher turns a lookup attribute into a predicate, as CloudTrail matches
// them: exact, case-sensitive values.
func matcher(a attribute) (func(*audit.Event) bool, error) {
	v := a.AttributeValue
	if v == "" {
		return nil, clientError("InvalidLookupAttributesException", "AttributeValue is required")
	}
	switch a.AttributeKey {
	case "EventId":
		return func(e *audit.Event) bool { return e.EventID == v }, nil
	case "EventName":
		return func(e *audit.Event) bool { return e.EventName == v }, nil
	case "ReadOnly":
		if v != "true" && v != "false" {
			return nil, clientError("InvalidLookupAttributesException", "ReadOnly must be true or false")
		}
		want := v == "true"
		return func(e *audit.Event) bool { return e.ReadOnly == want }, nil
	case "Username":
		return func(e *audit.Event) bool { return e.Username() == v }, nil
	case "EventSource":
		return func(e *audit.Event) bool { return e.EventSource == v }, nil
	case "AccessKeyId":
		return func(e *audit.Event) bool { return e.UserIdentity.AccessKeyID == v }, nil
	case "ErrorCode":
		// Brevet's extension: the events that failed with this code, or,
		// for "*", with any.
		if v == "*" {
			return func(e *audit.Event) bool { return e.ErrorCode != "" }, nil
		}
		return func(e *audit.Event) bool { return e.ErrorCode == v }, nil
	case "IssuedAccessKeyId":
		// Brevet's extension: the event that issued this temporary
		// credential.
		return func(e *audit.Event) bool { return eventindex.IssuedKey(e) == v }, nil
	case "ResourceType":
		return func(e *audit.Event) bool { return anyResource(e, func(r audit.Resource) bool { return r.Type == v }) }, nil
	case "ResourceName":
		return func(e *audit.Event) bool { return anyResource(e, func(r audit.Resource) bool { return r.ARN == v }) }, nil
	}
	return nil, clientError("InvalidLookupAttributesException", "unknown AttributeKey %q", a.AttributeKey)
}

// indexAttribute sets the index filter's field for a; false when the
// index has no column for it.
func indexAttribute(f *store.EventFilter, a attribute) bool {
	v := a.AttributeValue
	switch a.AttributeKey {
	case "EventId":
		f.EventID = v
	case "EventName":
		f.Name = v
	case "ReadOnly":
		ro := v == "true"
		f.ReadOnly = &ro
	case "Username":
		f.Username = v
	case "EventSource":
		f.Source = v
	case "AccessKeyId":
		f.AccessKeyID = v
	case "IssuedAccessKeyId":
		f.IssuedKeyID = v
	case "ErrorCode":
		if v == "*" {
			f.AnyError = true
		} else {
			f.ErrorCode = v
		}
	default:
		return false
	}
	return true
}

// anyResource reports whether one of e's resources satisfies f.
func anyResource(e *audit.Event, f func(audit.Resource) bool) bool {
	for _, r := range e.Resources {
		if f(r) {
			return true
		}
	}
	return false
}

// paramsHash is the hash of the parameters a NextToken is bound to: all
// but the token and MaxResults.
func paramsHash(req *lookupRequest) [32]byte {
	c := *req
	c.NextToken, c.MaxResults = "", nil
	b, _ := json.Marshal(c)
	return sha256.Sum256(b)
}

// The token is base64url(seq of the last event returned, 8 bytes ‖ the
// hash of the parameters and the account, 8 bytes). It is not secret: it only says where the
// next page starts.
func encodeToken(before uint64, h [8]byte) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], before)
	copy(b[8:], h[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// decodeToken reads a NextToken (encodeToken), refusing one issued for
// other parameters or another account (h).
func decodeToken(s string, h [8]byte) (uint64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 || [8]byte(b[8:]) != h {
		return 0, clientError("InvalidNextTokenException", "NextToken is not valid for these parameters")
	}
	return binary.BigEndian.Uint64(b[:8]), nil
}

type hit struct {
	seq uint64
	raw []byte
	e   *audit.Event
}

// lookup returns the newest matching events below the token's bound. It
// scans the trail, keeping only the newest max+1 matches in memory.
func (h *handler) lookup(q *query) (*response, error) {
	var hits []hit
	err := h.cfg.Events(func(key uint64, raw []byte) error {
		if q.before != 0 && key >= q.before {
			return nil
		}
		var e audit.Event
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("event %d: %w", key, err)
		}
		if !q.filter.Matches(&e) {
			return nil
		}
		hits = append(hits, hit{seq: key, raw: raw, e: &e})
		if len(hits) > 2*(q.max+1) {
			hits = append(hits[:0], hits[len(hits)-(q.max+1):]...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	resp := &response{Events: []event{}}
	for i := len(hits) - 1; i >= 0 && len(resp.Events) < q.max; i-- {
		resp.Events = append(resp.Events, toEvent(hits[i]))
	}
	if len(hits) > q.max {
		resp.NextToken = encodeToken(hits[len(hits)-q.max].seq, q.hash)
	}
	return resp, nil
}

// Index is the audit event index LookupEvents reads. On the file trail it
// is written behind the trail (within milliseconds): a lookup first waits
// for it, FlushWait at most, so that it sees the events acknowledged
// before it (a CLI script reading what it just did, the console's pages);
// past that bound it answers from the index as it is, as CloudTrail's
// LookupEvents shows events late, rather than fail or wait longer.
type Index struct {
	Store store.EventIndex
	// Flush, when set, returns once the index holds every event the trail
	// acknowledged before the call (eventindex.Indexer.Flush).
	Flush func(context.Context) error
}

// FlushWait bounds a lookup's wait for the index (Index.Flush).
const FlushWait = time.Second

// lookupIndex is lookup answered from the event index: the same events,
// in the same order, with the same tokens.
func (h *handler) lookupIndex(ctx context.Context, q *query) (*response, error) {
	ix := h.cfg.Index
	if ix.Flush != nil {
		fctx, cancel := context.WithTimeout(ctx, FlushWait)
		if err := ix.Flush(fctx); err != nil {
			h.cfg.Logger.DebugContext(ctx, "lookup-events: the audit event index lags; answering from it as it is", "err", err)
		}
		cancel()
	}
	f := q.index
	f.Account, f.Management, f.Before, f.Limit = q.filter.Account, !q.data, q.before, q.max+1
	recs, err := ix.Store.FindEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	resp := &response{Events: []event{}}
	for i := 0; i < len(recs) && i < q.max; i++ {
		e, err := audit.DecodeEvent(recs[i].Event)
		if err != nil {
			return nil, fmt.Errorf("lookup: indexed event %d: %w", recs[i].Key, err)
		}
		resp.Events = append(resp.Events, toEvent(hit{seq: recs[i].Key, raw: recs[i].Event, e: e}))
	}
	if len(recs) > q.max {
		resp.NextToken = encodeToken(recs[q.max-1].Key, q.hash)
	}
	return resp, nil
}

// toEvent is a hit as LookupEvents returns it: the summary members and
// the event's JSON as the trail holds it.
func toEvent(h hit) event {
	e := h.e
	ev := event{
		EventID: e.EventID, EventName: e.EventName, ReadOnly: fmt.Sprint(e.ReadOnly),
		AccessKeyID: e.UserIdentity.AccessKeyID, EventTime: float64(e.Time().Unix()),
		EventSource: e.EventSource, Username: e.Username(), Resources: []resource{},
		CloudTrailEvent: string(h.raw),
	}
	for _, r := range e.Resources {
		ev.Resources = append(ev.Resources, resource{ResourceType: r.Type, ResourceName: r.ARN})
	}
	return ev
}
