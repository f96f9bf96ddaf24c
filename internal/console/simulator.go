package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/policy"
)

// simRoutes registers the simulator pages.
func (h *Handler) simRoutes(m *http.ServeMux) {
	h.page(m, "GET /console/simulator", h.simForm)
	h.page(m, "POST /console/simulator", h.simRun)
}

// simPolicyInputs and simContextRows are how many custom policies and
// context entries the form offers.
const (
	simPolicyInputs = 2
	simContextRows  = 3
)

// maxSimResults bounds the (action, resource) pairs one run shows.
const maxSimResults = 100

// simContextTypes are ContextKeyType's values.
var simContextTypes = []string{"string", "stringList", "numeric", "numericList", "boolean", "booleanList",
	"ip", "ipList", "binary", "binaryList", "date", "dateList"}

// simView is the simulator's form, and its results once run.
type simView struct {
	PolicySourceArn string
	Policies        []simInput
	ActionNames     string
	ResourceArns    string
	// ResourcePolicy is an optional resource-based policy of the
	// resources.
	ResourcePolicy string
	// CallerArn is the IAM user the resource-based policy's Principal is
	// matched against: IAM requires one with a resource-based policy
	// unless the principal simulated is a user.
	CallerArn string
	Context   []simContext
	Types     []string
	Ran       bool
	Results   []simResult
	// Truncated: there were more results than the page shows.
	Truncated bool
	Error     *pageError
}

// simInput is one custom policy field of the form.
type simInput struct {
	N    int
	Text string
}

// simContext is one context key row of the form: its name, its values
// (comma separated) and ContextKeyType.
type simContext struct {
	N                 int
	Name, Values, Typ string
}

// simResult is one (action, resource) pair's decision and the
// statements that decided it.
type simResult struct {
	Action, Resource, Decision string
	Allowed                    bool
	Matched                    []simMatch
	Missing                    []string
}

// simMatch is one matched statement: which policy, and the policy's
// text split around the statement so the page can mark it.
type simMatch struct {
	PolicyID, PolicyType string
	Where                string
	HasText              bool
	Before, Mark, After  string
}

// simForm shows the simulator's empty form.
func (h *Handler) simForm(w http.ResponseWriter, r *http.Request, s *session) error {
	v := simFormFrom(r)
	return h.render(w, r, s, http.StatusOK, "simulator", "Policy simulator", "simulator", v)
}

// simFormFrom reads the form (empty on a GET; ?principal= fills the
// principal, as links from the users' and roles' pages do).
func simFormFrom(r *http.Request) *simView {
	v := &simView{PolicySourceArn: strings.TrimSpace(r.PostFormValue("PolicySourceArn")), Types: simContextTypes,
		ActionNames: r.PostFormValue("ActionNames"), ResourceArns: r.PostFormValue("ResourceArns"), ResourcePolicy: r.PostFormValue("ResourcePolicy"),
		CallerArn: strings.TrimSpace(r.PostFormValue("CallerArn"))}
	if v.PolicySourceArn == "" && r.Method == http.MethodGet {
		v.PolicySourceArn = r.URL.Query().Get("principal")
	}
	for i := 1; i <= simPolicyInputs; i++ {
		v.Policies = append(v.Policies, simInput{N: i, Text: r.PostFormValue("PolicyInputList.member." + strconv.Itoa(i))})
	}
	for i := 1; i <= simContextRows; i++ {
		p := "ContextEntries.member." + strconv.Itoa(i) + "."
		c := simContext{N: i, Name: r.PostFormValue(p + "ContextKeyName"), Values: r.PostFormValue(p + "ContextKeyValues"), Typ: r.PostFormValue(p + "ContextKeyType")}
		if c.Typ == "" {
			c.Typ = "string"
		}
		v.Context = append(v.Context, c)
	}
	return v
}

// splitList splits a field of comma- or newline-separated values.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// params are the simulation's Query parameters.
func (v *simView) params() url.Values {
	p := url.Values{}
	if v.PolicySourceArn != "" {
		p.Set("PolicySourceArn", v.PolicySourceArn)
	}
	n := 0
	for _, in := range v.Policies {
		if strings.TrimSpace(in.Text) == "" {
			continue
		}
		n++
		p.Set("PolicyInputList.member."+strconv.Itoa(n), in.Text)
	}
	for i, a := range splitList(v.ActionNames) {
		p.Set("ActionNames.member."+strconv.Itoa(i+1), a)
	}
	for i, a := range splitList(v.ResourceArns) {
		p.Set("ResourceArns.member."+strconv.Itoa(i+1), a)
	}
	if strings.TrimSpace(v.ResourcePolicy) != "" {
		p.Set("ResourcePolicy", v.ResourcePolicy)
	}
	if v.CallerArn != "" {
		p.Set("CallerArn", v.CallerArn)
	}
	n = 0
	for _, c := range v.Context {
		if strings.TrimSpace(c.Name) == "" {
			continue
		}
		n++
		pre := "ContextEntries.member." + strconv.Itoa(n) + "."
		p.Set(pre+"ContextKeyName", strings.TrimSpace(c.Name))
		p.Set(pre+"ContextKeyType", c.Typ)
		for j, val := range splitList(c.Values) {
			p.Set(pre+"ContextKeyValues.member."+strconv.Itoa(j+1), val)
		}
	}
	return p
}

// simRun runs the simulation: SimulatePrincipalPolicy when a principal
// is named (the custom policies are added to its own), else
// SimulateCustomPolicy.
func (h *Handler) simRun(w http.ResponseWriter, r *http.Request, s *session) error {
	v := simFormFrom(r)
	params := v.params()
	params.Set("MaxItems", strconv.Itoa(maxSimResults))
	var out *iamapi.SimulatePolicyResponse
	var err error
	if v.PolicySourceArn != "" {
		out, err = call(h, r, s, iamapi.SimulatePrincipalPolicy, params)
	} else {
		out, err = call(h, r, s, iamapi.SimulateCustomPolicy, params)
	}
	if err != nil {
		pe, ok := formError(err)
		if !ok {
			return err
		}
		v.Error = pe
		return h.render(w, r, s, pe.Status, "simulator", "Policy simulator", "simulator", v)
	}
	v.Ran = true
	v.Truncated = out.IsTruncated != nil && *out.IsTruncated
	texts := &simTexts{h: h, r: r, s: s, v: v, cache: map[string]string{}}
	for _, er := range out.EvaluationResults {
		res := simResult{Action: er.EvalActionName, Resource: er.EvalResourceName, Decision: er.EvalDecision,
			Allowed: er.EvalDecision == iamapi.PolicyEvaluationDecisionTypeAllowed, Missing: er.MissingContextValues}
		for _, rs := range er.ResourceSpecificResults {
			// a named resource's missing keys are listed in its entry
			res.Missing = append(res.Missing, rs.MissingContextValues...)
		}
		for _, m := range er.MatchedStatements {
			res.Matched = append(res.Matched, markStatement(m, texts.text(m)))
		}
		v.Results = append(v.Results, res)
	}
	return h.render(w, r, s, http.StatusOK, "simulator", "Policy simulator", "simulator", v)
}

// markStatement splits text around the statement m points at. Without
// the text or the positions, the match is shown by name only.
func markStatement(m iamapi.Statement, text string) simMatch {
	sm := simMatch{PolicyID: m.SourcePolicyId, PolicyType: m.SourcePolicyType}
	if m.StartPosition == nil || m.EndPosition == nil || text == "" {
		return sm
	}
	sp, ok := policy.SimulatedStatement([]byte(text), pos(m.StartPosition), pos(m.EndPosition))
	if !ok {
		return sm
	}
	sm.Where = "lines " + strconv.Itoa(sp.Start.Line) + " to " + strconv.Itoa(sp.End.Line)
	a, b := sp.StartOffset, sp.EndOffset
	sm.HasText, sm.Before, sm.Mark, sm.After = true, text[:a], text[a:b], text[b:]
	return sm
}

// pos is p as a policy.Position (0 for a missing line or column).
func pos(p *iamapi.Position) policy.Position {
	var q policy.Position
	if p.Line != nil {
		q.Line = int(*p.Line)
	}
	if p.Column != nil {
		q.Column = int(*p.Column)
	}
	return q
}

// simTexts finds the text of the policies a simulation matched, each
// once: the form's own for PolicyInputList.N, else through the APIs (the
// principal's inline policies by name, and its groups'; its and its
// groups' attached managed policies, or its permissions boundary, by the
// ARN ListAttached*Policies or GetUser/GetRole gives for the name). Each
// list is asked for once per page, and a user is in at most maxSimGroups
// groups' worth of calls.
type simTexts struct {
	h        *Handler
	r        *http.Request
	s        *session
	v        *simView
	cache    map[string]string
	attached map[string]string // managed policy name -> ARN
	groups   []string          // the principal's groups, once listed
	listed   bool
	// boundary is the principal's permissions boundary's ARN, once
	// boundaryAsked.
	boundary      string
	boundaryAsked bool
}

// maxSimGroups bounds the groups whose policies the page looks through
// (IAM lets a user be in 10).
const maxSimGroups = 10

// text is the text of the policy m is a statement of, "" when it cannot
// be found (the match is then shown by name only).
func (t *simTexts) text(m iamapi.Statement) string {
	key := m.SourcePolicyType + "\x00" + m.SourcePolicyId
	if txt, ok := t.cache[key]; ok {
		return txt
	}
	txt := t.fetch(m)
	t.cache[key] = txt
	return txt
}

// fetch finds the text of m's policy: the form's, or the principal's
// through the APIs. IAM names an input policy PolicyInputList.N, the
// resource policy ResourcePolicy (of type "Resource Policy"), an inline
// policy KIND_ENTITY_POLICY (user_, role_ or group_), and a managed
// policy by its name.
func (t *simTexts) fetch(m iamapi.Statement) string {
	id := m.SourcePolicyId
	if n, ok := strings.CutPrefix(id, "PolicyInputList."); ok {
		return t.inputText(n)
	}
	if m.SourcePolicyType == "Resource Policy" {
		return t.v.ResourcePolicy
	}
	kind, name := entityOf(t.v.PolicySourceArn)
	if pol, ok := strings.CutPrefix(id, kind+"_"+name+"_"); ok && kind != "group" {
		var doc string
		var err error
		if kind == "user" {
			var out *iamapi.GetUserPolicyResponse
			if out, err = call(t.h, t.r, t.s, iamapi.GetUserPolicy, url.Values{"UserName": {name}, "PolicyName": {pol}}); err == nil {
				doc = out.PolicyDocument
			}
		} else {
			var out *iamapi.GetRolePolicyResponse
			if out, err = call(t.h, t.r, t.s, iamapi.GetRolePolicy, url.Values{"RoleName": {name}, "PolicyName": {pol}}); err == nil {
				doc = out.PolicyDocument
			}
		}
		if err == nil {
			return decodeDocument(doc)
		}
	}
	for _, g := range t.principalGroups(kind, name) {
		if pol, ok := strings.CutPrefix(id, "group_"+g+"_"); ok {
			out, err := call(t.h, t.r, t.s, iamapi.GetGroupPolicy, url.Values{"GroupName": {g}, "PolicyName": {pol}})
			if err == nil {
				return decodeDocument(out.PolicyDocument)
			}
		}
	}
	return t.managedText(t.managedARN(kind, name, id))
}

// inputText is the text of the form's custom policy PolicyInputList.n:
// the nth of the non-empty ones, as params numbers them.
func (t *simTexts) inputText(n string) string {
	i, err := strconv.Atoi(n)
	if err != nil {
		return ""
	}
	k := 0
	for _, in := range t.v.Policies {
		if strings.TrimSpace(in.Text) == "" {
			continue
		}
		if k++; k == i {
			return in.Text
		}
	}
	return ""
}

// managedText is the default version's document of the managed policy
// arn ("" for none).
func (t *simTexts) managedText(arn string) string {
	if arn == "" {
		return ""
	}
	pol, err := call(t.h, t.r, t.s, iamapi.GetPolicy, url.Values{"PolicyArn": {arn}})
	if err != nil {
		return ""
	}
	ver, err := call(t.h, t.r, t.s, iamapi.GetPolicyVersion, url.Values{"PolicyArn": {arn}, "VersionId": {pol.Policy.DefaultVersionId}})
	if err != nil {
		return ""
	}
	return decodeDocument(ver.PolicyVersion.Document)
}

// managedARN is the ARN of the managed policy named name attached to the
// principal (one ListAttached*Policies call, kept for the page).
func (t *simTexts) managedARN(kind, entity, name string) string {
	if t.attached == nil {
		t.attached = map[string]string{}
		var pols []iamapi.AttachedPolicy
		switch kind {
		case "user":
			if out, err := call(t.h, t.r, t.s, iamapi.ListAttachedUserPolicies, url.Values{"UserName": {entity}, "MaxItems": {"100"}}); err == nil {
				pols = out.AttachedPolicies
			}
		case "role":
			if out, err := call(t.h, t.r, t.s, iamapi.ListAttachedRolePolicies, url.Values{"RoleName": {entity}, "MaxItems": {"100"}}); err == nil {
				pols = out.AttachedPolicies
			}
		}
		if kind == "user" || kind == "group" {
			for _, g := range t.principalGroups(kind, entity) {
				if out, err := call(t.h, t.r, t.s, iamapi.ListAttachedGroupPolicies, url.Values{"GroupName": {g}, "MaxItems": {"100"}}); err == nil {
					pols = append(pols, out.AttachedPolicies...)
				}
			}
		}
		for _, p := range pols {
			if _, ok := t.attached[p.PolicyName]; !ok {
				t.attached[p.PolicyName] = p.PolicyArn
			}
		}
	}
	if arn, ok := t.attached[name]; ok {
		return arn
	}
	if arn := t.boundaryARN(kind, entity); arn != "" && arn[strings.LastIndex(arn, "/")+1:] == name {
		return arn
	}
	return ""
}

// boundaryARN is the ARN of the user's or role's permissions boundary,
// "" when it has none (one GetUser or GetRole call, kept for the page):
// a boundary's statements decide too, and it need not be attached.
func (t *simTexts) boundaryARN(kind, entity string) string {
	if t.boundaryAsked {
		return t.boundary
	}
	t.boundaryAsked = true
	var pb *iamapi.AttachedPermissionsBoundary
	switch kind {
	case "user":
		if out, err := call(t.h, t.r, t.s, iamapi.GetUser, url.Values{"UserName": {entity}}); err == nil {
			pb = out.User.PermissionsBoundary
		}
	case "role":
		if out, err := call(t.h, t.r, t.s, iamapi.GetRole, url.Values{"RoleName": {entity}}); err == nil {
			pb = out.Role.PermissionsBoundary
		}
	}
	if pb != nil {
		t.boundary = pb.PermissionsBoundaryArn
	}
	return t.boundary
}

// principalGroups are the groups whose policies apply to the principal:
// a user's groups (one ListGroupsForUser call), or the group itself.
func (t *simTexts) principalGroups(kind, entity string) []string {
	if t.listed {
		return t.groups
	}
	t.listed = true
	switch kind {
	case "group":
		t.groups = []string{entity}
	case "user":
		out, err := call(t.h, t.r, t.s, iamapi.ListGroupsForUser, url.Values{"UserName": {entity}, "MaxItems": {strconv.Itoa(maxSimGroups)}})
		if err != nil {
			return nil
		}
		for _, g := range out.Groups {
			t.groups = append(t.groups, g.GroupName)
		}
	}
	return t.groups
}

// entityOf is the kind ("user", "role", "group") and name of an IAM
// entity's ARN.
func entityOf(arn string) (kind, name string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return "", ""
	}
	res := parts[5]
	kind, rest, ok := strings.Cut(res, "/")
	if !ok {
		return "", ""
	}
	return kind, rest[strings.LastIndex(rest, "/")+1:]
}

// decodeDocument decodes a document as IAM returns it (percent-encoded).
func decodeDocument(doc string) string {
	if d, err := url.PathUnescape(doc); err == nil {
		return d
	}
	return doc
}
