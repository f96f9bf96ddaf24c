package loadgen

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
)

// DurableTrivialName is the Target.Name of the durable trivial handler,
// the second reference: what this machine can serve when every request
// waits for the durability Brevet promises, and nothing else.
const DurableTrivialName = "durable"

// Appender makes a record durable: Append returns once it is, or fails.
// *audit.Trail is one (the audit trail's group commit), which is what the
// benchmark gives DurableTrivial.
type Appender interface {
	Append(ctx context.Context, record []byte) (uint64, error)
}

// DurableRecords are the records DurableTrivial appends, one per request:
// AssumeRole for an AssumeRole request (and identity pools'
// GetCredentialsForIdentity, which issues credentials too), Other for any
// other. Each should
// be as large as the audit event Brevet writes for that request, so that
// the baseline writes and fsyncs the bytes Brevet does.
type DurableRecords struct {
	AssumeRole, Other []byte
}

// DurableTrivial is TrivialHandler plus the durability promise: before it
// answers, it appends the request's record to Log and waits until Log has
// made it durable, failing the request with a 503 when it cannot (Brevet
// fails closed too). It does no other work. Against it, what Brevet adds
// is its own overhead, not what the disk charges for durability.
//
// InFlight counts the requests it is serving, from their start, as Brevet
// counts its API requests: give it to the log's group commit
// (audit.TrailConfig.Callers) so that a batch waits for the requests in
// flight, as Brevet's trail does.
type DurableTrivial struct {
	// Log makes the records durable; it must be set before serving.
	Log     Appender
	records DurableRecords
	t       *trivial
	n       atomic.Int64
}

// NewDurableTrivial returns the handler; set Log before serving with it.
// It keeps records and never modifies them: every request appends the
// same bytes.
func NewDurableTrivial(records DurableRecords) *DurableTrivial {
	return &DurableTrivial{records: records, t: newTrivial()}
}

// InFlight is how many requests the handler is serving.
func (d *DurableTrivial) InFlight() int { return int(d.n.Load()) }

// ServeHTTP reads the body, appends the record and answers as
// TrivialHandler does.
func (d *DurableTrivial) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.n.Add(1)
	defer d.n.Add(-1)
	if resp, ok := d.t.sso(r); ok {
		if d.append(w, r, d.records.Other) {
			writeJSON(w, http.StatusOK, resp)
		}
		return
	}
	if resp, issues, ok := poolResponse(r); ok {
		rec := d.records.Other
		if issues {
			rec = d.records.AssumeRole
		}
		if d.append(w, r, rec) {
			writePoolJSON(w, resp)
		}
		return
	}
	assumeRole := d.t.read(r)
	rec := d.records.Other
	if assumeRole {
		rec = d.records.AssumeRole
	}
	if d.append(w, r, rec) {
		d.t.respond(w, assumeRole)
	}
}

// append makes rec durable, or answers ServiceUnavailable and returns
// false.
func (d *DurableTrivial) append(w http.ResponseWriter, r *http.Request, rec []byte) bool {
	if _, err := d.Log.Append(r.Context(), rec); err != nil {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, durableUnavailable)
		return false
	}
	return true
}

const durableUnavailable = `<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>` +
	`<Message>the durable trivial handler could not append its record</Message></Error></ErrorResponse>`
