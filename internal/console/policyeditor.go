package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/policy/servicereference"
)

// This file serves the policy editor's JSON endpoints
// (templates/_policyeditor.html, static/policy.js): live validation with
// Brevet's own validator, and the Service Authorization Reference the
// generator offers actions, ARNs and condition keys from. They read no
// store and call no API: validation is pure, and the reference is the
// node's configuration.

// maxPolicyDocument bounds a document the editor validates, in
// characters, as IAM bounds the PolicyDocument parameter.
const maxPolicyDocument = 131072

// editorTypes are the policy types the editor validates as.
var editorTypes = map[string]policy.Type{
	"identity": policy.TypeIdentity,
	"trust":    policy.TypeTrust,
	"resource": policy.TypeResource,
}

// editorRoutes registers the editor's endpoints.
func (h *Handler) editorRoutes(m *http.ServeMux) {
	h.page(m, "POST /console/api/policy/validate", h.apiValidate)
	h.page(m, "GET /console/api/services", h.apiServices)
	h.page(m, "GET /console/api/services/{prefix}", h.apiService)
}

// problem is one error or warning the editor shows; Line and Column (from
// 1) say where, when known.
type problem struct {
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// validation is the validate endpoint's answer.
type validation struct {
	Errors   []problem `json:"errors"`
	Warnings []problem `json:"warnings"`
}

// apiValidate checks the document of the JSON body ({"document",
// "type"}) and answers with its errors and warnings (a validation); a
// body that is not such an object gets 400.
func (h *Handler) apiValidate(w http.ResponseWriter, r *http.Request, s *session) error {
	var in struct {
		Document string `json:"document"`
		Type     string `json:"type"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return writeJSON(w, http.StatusBadRequest, map[string]string{"message": "The request is not a JSON object with document and type."})
	}
	typ, ok := editorTypes[in.Type]
	if !ok {
		return writeJSON(w, http.StatusBadRequest, map[string]string{"message": "type must be identity, trust or resource."})
	}
	var cat policy.Catalog
	if h.cfg.Reference != nil {
		cat = h.cfg.Reference
	}
	return writeJSON(w, http.StatusOK, validatePolicy([]byte(in.Document), typ, cat))
}

// validatePolicy checks a document as IAM would for a policy of type t,
// with the validator's exact messages, and lints it when it is valid.
// Each problem carries where it is: a JSON syntax error where the text
// stops being JSON, a statement's error or warning the start of that
// statement.
func validatePolicy(data []byte, t policy.Type, cat policy.Catalog) validation {
	v := validation{Errors: []problem{}, Warnings: []problem{}}
	if p, ok := parameterProblem(data); ok {
		v.Errors = append(v.Errors, p)
		return v
	}
	doc, err := policy.ParseAndValidate(data, t)
	if err == nil {
		err = checkEditorSize(data, t)
	}
	if err != nil {
		v.Errors = append(v.Errors, errorProblem(data, t, err))
		return v
	}
	v.Warnings = lintProblems(data, doc, cat)
	return v
}

// errorProblem is the problem a document that IAM refuses has: the
// validator's message, with where it is for a malformed document.
func errorProblem(data []byte, t policy.Type, err error) problem {
	p := problem{Message: err.Error(), Code: "Error"}
	var malformed *policy.MalformedError
	var limit *policy.LimitError
	switch {
	case errors.As(err, &malformed):
		p.Message, p.Code = malformed.Message, "MalformedPolicyDocument"
		p.Line, p.Column = errorPosition(data, t)
	case errors.As(err, &limit):
		p.Message, p.Code = limit.Message, "LimitExceeded"
	}
	return p
}

// lintProblems are the warnings of a valid document, each at the start
// of its statement, looked up in cat (when not nil) within the budget of
// maxLintLookups.
func lintProblems(data []byte, doc *policy.Document, cat policy.Catalog) []problem {
	out := []problem{}
	spans, _ := policy.StatementSpans(data)
	var budget *lintBudget
	if cat != nil {
		budget = &lintBudget{Catalog: cat, seen: map[string]actionLookup{}}
		cat = budget
	}
	for _, wn := range policy.Lint(doc, cat) {
		p := problem{Message: wn.Message, Code: wn.Code}
		if wn.Statement >= 0 && wn.Statement < len(spans) {
			p.Line, p.Column = spans[wn.Statement].Start.Line, spans[wn.Statement].Start.Column
		}
		out = append(out, p)
	}
	if budget != nil && budget.truncated {
		out = append(out, problem{Code: "lint-truncated", Message: "The document has more than " +
			strconv.Itoa(maxLintLookups) + " action patterns: only the first were checked against the service reference."})
	}
	return out
}

// maxLintLookups bounds the action patterns of one document the editor
// looks up in the service reference. A wildcard is matched against every
// action of its service (ec2 has some 700), and a resource policy of
// 128 KiB holds thousands: unbounded, one keystroke's check took seconds.
const maxLintLookups = 256

// lintBudget is the reference as Lint sees it for one document: each
// action pattern looked up once, at most maxLintLookups of them; past
// that a pattern counts as matching (no warning) and truncated is set.
type lintBudget struct {
	policy.Catalog
	seen      map[string]actionLookup
	truncated bool
}

// actionLookup is one answer of the reference's ActionResourceServices.
type actionLookup struct {
	services []string
	matched  bool
}

// ActionResourceServices answers from the document's earlier lookups,
// else from the reference while the budget lasts (policy.Catalog).
func (b *lintBudget) ActionResourceServices(service, pattern string) ([]string, bool) {
	key := strings.ToLower(service + ":" + pattern)
	if l, ok := b.seen[key]; ok {
		return l.services, l.matched
	}
	if len(b.seen) >= maxLintLookups {
		b.truncated = true
		return nil, true
	}
	services, matched := b.Catalog.ActionResourceServices(service, pattern)
	b.seen[key] = actionLookup{services: services, matched: matched}
	return services, matched
}

// parameterProblem is what the PolicyDocument parameter's own
// constraints refuse before IAM reads the document: a character outside
// its pattern ([\u0009\u000A\u000D\u0020-\u00FF]+, with where the first
// is), or more than maxPolicyDocument characters.
func parameterProblem(data []byte) (problem, bool) {
	tooLong := problem{Code: "ValidationError", Message: "The policy document is longer than 131072 characters, the most IAM accepts."}
	if len(data) > 2*maxPolicyDocument {
		return tooLong, true // every character IAM accepts takes at most two bytes
	}
	n := 0
	for i := 0; i < len(data); n++ {
		r, size := utf8.DecodeRune(data[i:])
		if r > 0xFF || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') {
			pos := policy.PositionAt(data, i)
			return problem{Code: "ValidationError", Line: pos.Line, Column: pos.Column,
				Message: fmt.Sprintf("The policy document holds a character IAM does not accept (%U): only tab, line breaks and U+0020 to U+00FF.", r)}, true
		}
		i += size
	}
	if n > maxPolicyDocument {
		return tooLong, true
	}
	return problem{}, false
}

// checkEditorSize applies the size quota of where a document of type t is
// stored: a managed policy version for identity policies, a role for
// trust policies. Resource policies' limits are each service's.
func checkEditorSize(data []byte, t policy.Type) error {
	switch t {
	case policy.TypeIdentity:
		return policy.CheckManagedPolicySize(data)
	case policy.TypeTrust:
		return policy.CheckTrustPolicySize(data, 0)
	}
	return nil
}

// errorPosition says where a document's validation error is: where the
// text stops being JSON; else the start of the first statement that fails
// alone (or, for Sids that are not unique, the second statement with a
// Sid used before); else 0, 0 (the document as a whole: its Version, or a
// shape that is not a policy's).
func errorPosition(data []byte, t policy.Type) (line, column int) {
	if off, ok := policy.SyntaxErrorOffset(data); ok {
		p := policy.PositionAt(data, off)
		return p.Line, p.Column
	}
	spans, ok := policy.StatementSpans(data)
	if !ok {
		return 0, 0
	}
	doc, _ := policy.Parse(data) // nil when the shape is not a policy's
	i := failingStatement(data, spans, doc, t)
	if i < 0 || i >= len(spans) {
		return 0, 0
	}
	return spans[i].Start.Line, spans[i].Start.Column
}

// failingStatement finds the statement an error belongs to, -1 when it
// belongs to none.
func failingStatement(data []byte, spans []policy.Span, doc *policy.Document, t policy.Type) int {
	if doc == nil {
		// Parse refused the shape: the first statement it refuses alone.
		for i, sp := range spans {
			alone := `{"Version":"2012-10-17","Statement":[` + string(data[sp.StartOffset:sp.EndOffset]) + `]}`
			if _, err := policy.Parse([]byte(alone)); err != nil {
				return i
			}
		}
		return -1
	}
	if len(doc.Statements) != len(spans) {
		return -1
	}
	// An error the document has with any valid statement is the
	// document's own (its Version).
	probe := *doc
	probe.Statements = []policy.Statement{validStatement(t)}
	if policy.Validate(&probe, t) != nil {
		return -1
	}
	for i := range doc.Statements {
		probe.Statements = doc.Statements[i : i+1]
		if policy.Validate(&probe, t) != nil {
			return i
		}
	}
	seen := map[string]bool{}
	for i, st := range doc.Statements {
		if !st.HasSid || st.Sid == "" {
			continue
		}
		if seen[st.Sid] {
			return i
		}
		seen[st.Sid] = true
	}
	return -1
}

// validStatement is a statement valid in a policy of type t.
func validStatement(t policy.Type) policy.Statement {
	st := policy.Statement{Effect: policy.Allow, Action: policy.Values{"sts:AssumeRole"}}
	if t == policy.TypeIdentity || t == policy.TypeSession || t == policy.TypeBoundary {
		st.Resource = policy.Values{"*"}
		return st
	}
	st.Principal = &policy.Principal{Types: []policy.PrincipalEntry{{Type: "AWS", Values: policy.Values{"arn:aws:iam::123456789012:root"}}}}
	if t == policy.TypeResource {
		st.Resource = policy.Values{"*"}
	}
	return st
}

// apiServices lists the service prefixes of the reference (none without
// one: the generator then takes typed actions).
func (h *Handler) apiServices(w http.ResponseWriter, r *http.Request, s *session) error {
	out := struct {
		Services []string `json:"services"`
	}{Services: []string{}}
	if h.cfg.Reference != nil {
		out.Services = h.cfg.Reference.Services()
	}
	return writeJSON(w, http.StatusOK, out)
}

// serviceJSON is one service as the generator reads it.
type serviceJSON struct {
	Prefix        string          `json:"prefix"`
	Actions       []actionJSON    `json:"actions"`
	ResourceTypes []resourceJSON  `json:"resourceTypes"`
	ConditionKeys []conditionJSON `json:"conditionKeys"`
}

// actionJSON is one action of a service: the resource types it acts on
// (with their ARN templates) and its condition keys.
type actionJSON struct {
	Name          string         `json:"name"`
	ResourceTypes []resourceJSON `json:"resourceTypes"`
	ConditionKeys []string       `json:"conditionKeys"`
}

// resourceJSON is a resource type and its ARN template; Required when an
// action must name it.
type resourceJSON struct {
	Name     string `json:"name"`
	ARN      string `json:"arn"`
	Required bool   `json:"required,omitempty"`
}

// conditionJSON is a condition key and the reference's type for it.
type conditionJSON struct {
	Key  string `json:"key"`
	Type string `json:"type"`
}

// apiService is one service's actions (with the ARN templates of the
// resource types they act on), resource types and condition keys.
func (h *Handler) apiService(w http.ResponseWriter, r *http.Request, s *session) error {
	prefix := r.PathValue("prefix")
	if h.cfg.Reference == nil || !h.cfg.Reference.KnownService(prefix) {
		return writeJSON(w, http.StatusNotFound, map[string]string{"message": "No such service in the service reference."})
	}
	svc, err := h.cfg.Reference.Service(prefix)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, serviceOut(svc))
}

// serviceOut is svc as the generator reads it, every list sorted.
func serviceOut(svc *servicereference.Service) serviceJSON {
	out := serviceJSON{Prefix: svc.Prefix, Actions: []actionJSON{}, ResourceTypes: []resourceJSON{}, ConditionKeys: []conditionJSON{}}
	for _, a := range svc.Actions {
		aj := actionJSON{Name: a.Name, ResourceTypes: []resourceJSON{}, ConditionKeys: a.ConditionKeys}
		if aj.ConditionKeys == nil {
			aj.ConditionKeys = []string{}
		}
		for _, rt := range a.ResourceTypes {
			aj.ResourceTypes = append(aj.ResourceTypes, resourceJSON{Name: rt.Name, ARN: svc.ResourceTypes[rt.Name].ARN, Required: rt.Required})
		}
		out.Actions = append(out.Actions, aj)
	}
	slices.SortFunc(out.Actions, func(a, b actionJSON) int { return strings.Compare(a.Name, b.Name) })
	for _, rt := range svc.ResourceTypes {
		out.ResourceTypes = append(out.ResourceTypes, resourceJSON{Name: rt.Name, ARN: rt.ARN})
	}
	slices.SortFunc(out.ResourceTypes, func(a, b resourceJSON) int { return strings.Compare(a.Name, b.Name) })
	for _, k := range svc.ConditionKeys {
		out.ConditionKeys = append(out.ConditionKeys, conditionJSON{Key: k.Key, Type: k.Type})
	}
	for _, k := range svc.Templates {
		out.ConditionKeys = append(out.ConditionKeys, conditionJSON{Key: k.Key, Type: k.Type})
	}
	slices.SortFunc(out.ConditionKeys, func(a, b conditionJSON) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// writeJSON writes v as the JSON answer of a console endpoint.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}
