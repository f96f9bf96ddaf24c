package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/lookup"
)

// auditRoutes registers the audit pages: the explorer, one event, and a
// credential followed from its issuance to every use. Every page reads
// the trail through CloudTrail's LookupEvents (answered from the event
// index) and the trail's verification through GetTrailStatus, as the
// signed-in principal.
func (h *Handler) auditRoutes(m *http.ServeMux) {
	h.page(m, "GET /console/audit", h.auditList)
	h.page(m, "GET /console/audit/event", h.auditEvent)
	h.page(m, "GET /console/audit/credential", h.auditCredential)
}

// auditFilters are the explorer's filters, the form's field names.
type auditFilters struct {
	Start, End, Principal, Action, Error, Key string
}

// auditRow is one event of a table.
type auditRow struct {
	ID, Name, Source, Principal, PrincipalARN, SourceIP, ErrorCode, Key, Issued string
	Time                                                                        time.Time
	Data                                                                        bool
}

type auditListView struct {
	Filters auditFilters
	Rows    []auditRow
	Pager   pager
	Status  *lookup.TrailStatus
	// StatusError is why the verification status could not be read.
	StatusError *pageError
	// FormError is a filter the API refused (a bad time range).
	FormError *pageError
}

// lookupEventsReq is LookupEvents' request, with Brevet's extensions.
type lookupEventsReq struct {
	LookupAttributes  []lookupAttr `json:",omitempty"`
	StartTime         *int64       `json:",omitempty"`
	EndTime           *int64       `json:",omitempty"`
	MaxResults        int          `json:",omitempty"`
	NextToken         string       `json:",omitempty"`
	IncludeDataEvents bool         `json:",omitempty"`
}

type lookupAttr struct{ AttributeKey, AttributeValue string }

type lookupEventsResp struct {
	Events []struct {
		EventId, EventName, CloudTrailEvent string
	}
	NextToken string
}

// cloudTrail calls a CloudTrail operation as the signed-in principal and
// decodes its answer into out; a refusal is the API's error, as the
// error page shows it.
func (h *Handler) cloudTrail(r *http.Request, s *session, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	code, b, err := h.callAPI(r, s, "cloudtrail", target, body)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &e)
		return &pageError{Status: code, Code: e.Type, Message: e.Message}
	}
	return json.Unmarshal(b, out)
}

// lookupEvents runs LookupEvents and turns its events into rows.
func (h *Handler) lookupEvents(r *http.Request, s *session, req lookupEventsReq) ([]auditRow, string, error) {
	var resp lookupEventsResp
	if err := h.cloudTrail(r, s, lookup.Target, req, &resp); err != nil {
		return nil, "", err
	}
	rows := make([]auditRow, 0, len(resp.Events))
	for _, e := range resp.Events {
		rows = append(rows, rowOf(e.CloudTrailEvent))
	}
	return rows, resp.NextToken, nil
}

// rowOf is an event's row of a table, from its JSON (CloudTrailEvent).
func rowOf(raw string) auditRow {
	e, err := audit.DecodeEvent([]byte(raw))
	if err != nil {
		return auditRow{Name: "(an event that does not decode)"}
	}
	u := &e.UserIdentity
	row := auditRow{ID: e.EventID, Name: e.EventName, Source: e.EventSource, Principal: e.Username(), PrincipalARN: u.ARN,
		SourceIP: e.SourceIPAddress, ErrorCode: e.ErrorCode, Key: u.AccessKeyID, Time: e.Time(),
		Data: strings.EqualFold(e.EventCategory, audit.CategoryData)}
	if ad := e.AdditionalEventData; ad != nil && ad.IssuedCredential != nil {
		row.Issued = ad.IssuedCredential.AccessKeyID
	}
	return row
}

// formTime reads a filter's time: the form's datetime-local (UTC), a
// date, or RFC 3339.
func formTime(v string) (*int64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			sec := t.Unix()
			return &sec, true
		}
	}
	return nil, false
}

// auditList is the explorer: the newest events of the account, filtered,
// one page at a time, with the trail's verification status.
func (h *Handler) auditList(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	f := auditFilters{Start: q.Get("start"), End: q.Get("end"), Principal: strings.TrimSpace(q.Get("principal")),
		Action: strings.TrimSpace(q.Get("action")), Error: strings.TrimSpace(q.Get("error")), Key: strings.TrimSpace(q.Get("key"))}
	v := auditListView{Filters: f, Rows: []auditRow{}}
	req := lookupEventsReq{MaxResults: PageSize, NextToken: q.Get("marker"), IncludeDataEvents: true}
	var ok1, ok2 bool
	req.StartTime, ok1 = formTime(f.Start)
	req.EndTime, ok2 = formTime(f.End)
	for _, a := range []lookupAttr{{"Username", f.Principal}, {"EventName", f.Action}, {"ErrorCode", f.Error}, {"AccessKeyId", f.Key}} {
		if a.AttributeValue != "" {
			req.LookupAttributes = append(req.LookupAttributes, a)
		}
	}
	// The verification status heads the first page only: one API call
	// fewer on the others.
	if req.NextToken == "" {
		var st lookup.TrailStatus
		if err := h.cloudTrail(r, s, lookup.StatusTarget, struct{}{}, &st); err != nil {
			v.StatusError = h.asPageError(r, err)
		} else {
			v.Status = &st
		}
	}
	if !ok1 || !ok2 {
		v.FormError = &pageError{Status: http.StatusBadRequest, Code: "InvalidTimeRangeException", Message: "Start and end are dates and times, for example 2026-11-22T08:00."}
		return h.render(w, r, s, http.StatusBadRequest, "audit", "Audit trail", "audit", v)
	}
	rows, next, err := h.lookupEvents(r, s, req)
	var pe *pageError
	if errors.As(err, &pe) && pe.Status == http.StatusBadRequest && !pe.Denied() {
		v.FormError = pe
		return h.render(w, r, s, pe.Status, "audit", "Audit trail", "audit", v)
	}
	if err != nil {
		return err
	}
	v.Rows, v.Pager = rows, newPager(r, next)
	return h.render(w, r, s, http.StatusOK, "audit", "Audit trail", "audit", v)
}

type auditEventView struct {
	Row  auditRow
	JSON string
}

// auditEvent shows one event, its JSON indented.
func (h *Handler) auditEvent(w http.ResponseWriter, r *http.Request, s *session) error {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	if id == "" {
		return &pageError{Status: http.StatusNotFound, Code: "NotFound", Message: "Which event? The address names none."}
	}
	var resp lookupEventsResp
	req := lookupEventsReq{LookupAttributes: []lookupAttr{{"EventId", id}}, MaxResults: 1, IncludeDataEvents: true}
	if err := h.cloudTrail(r, s, lookup.Target, req, &resp); err != nil {
		return err
	}
	if len(resp.Events) == 0 {
		return &pageError{Status: http.StatusNotFound, Code: "NotFound", Message: "The account's trail holds no event " + id + "."}
	}
	raw := resp.Events[0].CloudTrailEvent
	var b bytes.Buffer
	if json.Indent(&b, []byte(raw), "", "  ") != nil {
		b.Reset()
		b.WriteString(raw)
	}
	return h.render(w, r, s, http.StatusOK, "audit_event", "Event "+resp.Events[0].EventName, "audit", auditEventView{Row: rowOf(raw), JSON: b.String()})
}

type auditCredentialView struct {
	Key string
	// Issuance is the event that issued the credential (first page only);
	// none for a long-term access key.
	Issuance []auditRow
	Uses     []auditRow
	Pager    pager
}

// auditCredential follows one access key: the event that issued it, then
// every request signed with it, newest first, data events included; the
// sessions made from it are among those uses (each names the key it
// issued).
func (h *Handler) auditCredential(w http.ResponseWriter, r *http.Request, s *session) error {
	key := strings.TrimSpace(r.URL.Query().Get("key"))
	if key == "" {
		return &pageError{Status: http.StatusNotFound, Code: "NotFound", Message: "Which access key? The address names none."}
	}
	v := auditCredentialView{Key: key}
	marker := r.URL.Query().Get("marker")
	if marker == "" {
		rows, _, err := h.lookupEvents(r, s, lookupEventsReq{LookupAttributes: []lookupAttr{{"IssuedAccessKeyId", key}}, MaxResults: 5})
		if err != nil {
			return err
		}
		v.Issuance = rows
	}
	rows, next, err := h.lookupEvents(r, s, lookupEventsReq{LookupAttributes: []lookupAttr{{"AccessKeyId", key}},
		MaxResults: PageSize, NextToken: marker, IncludeDataEvents: true})
	if err != nil {
		return err
	}
	v.Uses, v.Pager = rows, newPager(r, next)
	return h.render(w, r, s, http.StatusOK, "audit_credential", "Access key "+key, "audit", v)
}

// epochTime is a CloudTrail timestamp (seconds since the epoch) as a time.
func epochTime(f float64) time.Time {
	if f <= 0 || math.IsNaN(f) {
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}
