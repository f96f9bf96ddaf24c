package iamservice

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// The SourcePolicyType values IAM's simulator answers with: AWS's answers
// (the AWS CLI's and SDKs' users quote them) carry these, not the
// PolicySourceType enum of the API model ("user", "aws-managed", ...).
const (
	sourceIAMPolicy      = "IAM Policy"
	sourceResourcePolicy = "Resource Policy"
)

// inlineSourceID is the SourcePolicyId IAM gives an inline policy of a
// user, group or role: kind ("user", "group" or "role"), the entity's
// name and the policy's name, joined by underscores.
func inlineSourceID(kind, entity, policyName string) string {
	return kind + "_" + entity + "_" + policyName
}

// simPolicy is one policy taking part in a simulation, with the names the
// simulator reports it under.
type simPolicy struct {
	id, source string // SourcePolicyId, SourcePolicyType
	// key is the policy's name in the compiled set, unique in the
	// simulation: ids are not (an inline and a managed policy, two
	// groups' inline policies, or an inline policy named
	// "ResourcePolicy" may share one).
	key      string
	typ      policy.Type
	doc      *policy.Document
	compiled *policy.Compiled
	// spans are where each statement is written in the document's text,
	// for the MatchedStatements' StartPosition and EndPosition.
	spans []policy.Span
}

// newSimPolicy parses, validates and compiles one policy of the
// simulation, compiled under key.
func newSimPolicy(key, id, source string, typ policy.Type, text string) (simPolicy, error) {
	doc, err := policy.ParseAndValidate([]byte(text), typ)
	if err != nil {
		return simPolicy{}, err
	}
	c, err := policy.Compile(doc, typ, key)
	if err != nil {
		var ce *policy.CompileError
		if errors.As(err, &ce) {
			ce.Policy = id
		}
		return simPolicy{}, &policy.MalformedError{Message: err.Error()}
	}
	spans, _ := policy.SimulatorSpans([]byte(text))
	return simPolicy{key: key, id: id, source: source, typ: typ, doc: doc, compiled: c, spans: spans}, nil
}

// matched is the MatchedStatements entry of the policy's statement i,
// with where the statement is written as IAM reports it (see
// policy.SimulatorSpans).
func (sp *simPolicy) matched(i int) iamapi.Statement {
	st := iamapi.Statement{SourcePolicyId: sp.id, SourcePolicyType: sp.source}
	if i >= 0 && i < len(sp.spans) {
		span := sp.spans[i]
		st.StartPosition = position(span.Start)
		st.EndPosition = position(span.End)
	}
	return st
}

func position(p policy.Position) *iamapi.Position {
	line, col := int32(p.Line), int32(p.Column)
	return &iamapi.Position{Line: &line, Column: &col}
}

// simulation is what both simulator actions evaluate.
type simulation struct {
	policies []simPolicy // identity and boundary
	resource *simPolicy
	caller   policy.Caller
	actions  []string
	arns     []string
	owner    string
	ctx      []iamapi.ContextEntry
	// probes find the statements with conditions that apply to a
	// request (missingKeys), built on first use.
	probes []conditionProbe
}

// add adds an identity or boundary policy to the simulation.
func (sim *simulation) add(id, source string, typ policy.Type, text string) error {
	sp, err := newSimPolicy(strconv.Itoa(len(sim.policies)), id, source, typ, text)
	if err != nil {
		return err
	}
	sim.policies = append(sim.policies, sp)
	return nil
}

// inputPolicies adds the PolicyInputList and
// PermissionsBoundaryPolicyInputList documents.
func (sim *simulation) inputPolicies(identityDocs, boundaryDocs []string) error {
	for i, d := range identityDocs {
		if err := sim.add(fmt.Sprintf("PolicyInputList.%d", i+1), sourceIAMPolicy, policy.TypeIdentity, d); err != nil {
			return err
		}
	}
	for i, d := range boundaryDocs {
		if err := sim.add(fmt.Sprintf("PermissionsBoundaryPolicyInputList.%d", i+1), sourceIAMPolicy, policy.TypeBoundary, d); err != nil {
			return err
		}
	}
	return nil
}

func (sim *simulation) resourcePolicy(doc string) error {
	if doc == "" {
		return nil
	}
	sp, err := newSimPolicy("resource", "ResourcePolicy", sourceResourcePolicy, policy.TypeResource, doc)
	if err != nil {
		return err
	}
	sim.resource = &sp
	return nil
}

// SimulateCustomPolicy evaluates the given policies, as if attached to a
// user of the caller's account (or to CallerArn), against each action and
// resource.
func (s *Service) SimulateCustomPolicy(ctx context.Context, p *identity.Principal, in *iamapi.SimulateCustomPolicyRequest, _ time.Time) (*iamapi.SimulatePolicyResponse, error) {
	sim := simulation{actions: in.ActionNames, arns: in.ResourceArns, owner: in.ResourceOwner, ctx: in.ContextEntries}
	if err := sim.inputPolicies(in.PolicyInputList, in.PermissionsBoundaryPolicyInputList); err != nil {
		return nil, err
	}
	if err := sim.resourcePolicy(in.ResourcePolicy); err != nil {
		return nil, err
	}
	if in.ResourcePolicy != "" && !isUserARN(in.CallerArn) {
		return nil, errCallerNotUser
	}
	if in.CallerArn != "" {
		sim.caller = policy.CallerFromARN(in.CallerArn)
	} else {
		sim.caller = policy.Caller{Kind: policy.IAMUser, Account: p.Account, ARN: iam.UserARN(p.Account, "/", "SimulatedUser"), UserName: "SimulatedUser"}
	}
	return sim.run(in.Marker, in.MaxItems)
}

// SimulatePrincipalPolicy evaluates the identity policies of a user
// (including its groups' policies), group or role, its permissions
// boundary, and any extra policies given, against each action and resource.
func (s *Service) SimulatePrincipalPolicy(ctx context.Context, p *identity.Principal, in *iamapi.SimulatePrincipalPolicyRequest, _ time.Time) (*iamapi.SimulatePolicyResponse, error) {
	sim := simulation{actions: in.ActionNames, arns: in.ResourceArns, owner: in.ResourceOwner, ctx: in.ContextEntries}
	ref, err := iam.ParseEntityARN(in.PolicySourceArn)
	if err != nil || ref.Account != p.Account {
		return nil, &iam.InvalidInputError{Message: "Invalid Entity Arn: " + in.PolicySourceArn + " does not clearly define entity type and name."}
	}
	switch ref.Type {
	case iam.ResourceUser, iam.ResourceRole:
		err = s.principalPolicies(ctx, &sim, ref, len(in.PermissionsBoundaryPolicyInputList) == 0)
	case iam.ResourceGroup:
		err = s.groupPolicies(ctx, &sim, ref)
	default:
		err = &iam.InvalidInputError{Message: "Invalid Entity Arn: " + in.PolicySourceArn + " does not clearly define entity type and name."}
	}
	if err != nil {
		return nil, err
	}
	if err := sim.inputPolicies(in.PolicyInputList, in.PermissionsBoundaryPolicyInputList); err != nil {
		return nil, err
	}
	if err := sim.resourcePolicy(in.ResourcePolicy); err != nil {
		return nil, err
	}
	if in.ResourcePolicy != "" && !isUserARN(cmp.Or(in.CallerArn, in.PolicySourceArn)) {
		return nil, errCallerNotUser
	}
	if in.CallerArn != "" {
		sim.caller = policy.CallerFromARN(in.CallerArn)
	}
	return sim.run(in.Marker, in.MaxItems)
}

// errCallerNotUser refuses a simulation with a resource-based policy
// whose caller (CallerArn, else for SimulatePrincipalPolicy the simulated
// entity) is not an IAM user: the policy's Principal element needs one.
var errCallerNotUser = &iam.InvalidInputError{Message: "Invalid caller - Caller must be an IAM user in this context."}

// isUserARN reports whether arn is an IAM user's ARN.
func isUserARN(arn string) bool {
	ref, err := iam.ParseEntityARN(arn)
	return err == nil && ref.Type == iam.ResourceUser
}

// principalPolicies loads a user's or role's policies from the
// authorization read model, the boundary too unless it is overridden.
func (s *Service) principalPolicies(ctx context.Context, sim *simulation, ref iam.EntityRef, withBoundary bool) error {
	var snap store.PrincipalSnapshot
	var err error
	kind := "user"
	if ref.Type == iam.ResourceUser {
		snap, err = s.st.Principals().LoadUser(ctx, ref.Account, ref.Name)
		if err != nil {
			return notFoundAs(err, iam.KindUser, ref.Name)
		}
		u := snap.User
		sim.caller = policy.Caller{Kind: policy.IAMUser, ARN: u.ARN(), Account: u.Account, UserName: u.Name, UserID: u.ID}
	} else {
		snap, err = s.st.Principals().LoadRole(ctx, ref.Account, ref.Name)
		if err != nil {
			return notFoundAs(err, iam.KindRole, ref.Name)
		}
		r := snap.Role
		kind = "role"
		sim.caller = policy.Caller{Kind: policy.Role, ARN: r.ARN(), Account: r.Account, UserID: r.ID}
	}
	for _, d := range snap.Policies {
		id := d.Name // a managed policy is reported by its name
		switch d.Source {
		case store.SourceInline:
			id = inlineSourceID(kind, ref.Name, d.Name)
		case store.SourceGroupInline:
			id = inlineSourceID("group", d.Group, d.Name)
		}
		if err := sim.add(id, sourceIAMPolicy, policy.TypeIdentity, d.Document); err != nil {
			return err
		}
	}
	if withBoundary && snap.Boundary != nil {
		if err := sim.add(snap.Boundary.Name, sourceIAMPolicy, policy.TypeBoundary, snap.Boundary.Document); err != nil {
			return err
		}
	}
	return nil
}

// groupPolicies loads a group's own inline and attached policies.
func (s *Service) groupPolicies(ctx context.Context, sim *simulation, ref iam.EntityRef) error {
	o := iam.Owner{Kind: iam.PrincipalGroup, Account: ref.Account, Name: ref.Name}
	if err := checkOwner(ctx, s.st, o); err != nil {
		return err
	}
	inl, err := s.st.InlinePolicies().List(ctx, o)
	if err != nil {
		return err
	}
	for _, ip := range inl {
		if err := sim.add(inlineSourceID("group", ref.Name, ip.Name), sourceIAMPolicy, policy.TypeIdentity, ip.Document); err != nil {
			return err
		}
	}
	att, err := s.st.Attachments().List(ctx, o)
	if err != nil {
		return err
	}
	for _, a := range att {
		pol, err := s.st.Policies().Get(ctx, a.ARN)
		if err != nil {
			return err
		}
		v, err := s.st.Policies().GetVersion(ctx, a.ARN, pol.DefaultVersion)
		if err != nil {
			return err
		}
		if err := sim.add(a.Name, sourceIAMPolicy, policy.TypeIdentity, v.Document); err != nil {
			return err
		}
	}
	sim.caller = policy.Caller{Kind: policy.IAMUser, Account: ref.Account, ARN: iam.UserARN(ref.Account, "/", "SimulatedUser"), UserName: "SimulatedUser"}
	return nil
}

var decisionNames = map[policy.Outcome]string{
	policy.Allowed:          iamapi.PolicyEvaluationDecisionTypeAllowed,
	policy.ExplicitlyDenied: iamapi.PolicyEvaluationDecisionTypeExplicitDeny,
	policy.ImplicitlyDenied: iamapi.PolicyEvaluationDecisionTypeImplicitDeny,
}

// run evaluates every action on every resource.
func (sim *simulation) run(marker string, maxItems *int32) (*iamapi.SimulatePolicyResponse, error) {
	compiled := make([]*policy.Compiled, 0, len(sim.policies))
	byKey := map[string]*simPolicy{}
	hasBoundary := false
	for i := range sim.policies {
		sp := &sim.policies[i]
		compiled = append(compiled, sp.compiled)
		byKey[sp.key] = sp
		hasBoundary = hasBoundary || sp.typ == policy.TypeBoundary
	}
	var res *policy.Compiled
	if sim.resource != nil {
		res = sim.resource.compiled
		byKey[sim.resource.key] = sim.resource
	}
	set, err := policy.NewSet(compiled...)
	if err != nil {
		return nil, err
	}
	arns := sim.arns
	if len(arns) == 0 {
		arns = []string{"*"}
	}
	req := policy.Request{Caller: sim.caller}
	for _, e := range sim.ctx {
		req.Context.Add(e.ContextKeyName, e.ContextKeyValues...)
	}
	if sim.owner != "" {
		if ref, err := iam.ParseEntityARN(sim.owner); err == nil {
			req.ResourceAccount = ref.Account
		}
	}
	// Only the page's pairs are evaluated: pair k is action k/len(arns)
	// on arns[k%len(arns)].
	total := len(sim.actions) * len(arns)
	start, err := simPageStart(marker, total)
	if err != nil {
		return nil, err
	}
	end := min(total, start+pageSize(maxItems))
	results := make([]iamapi.EvaluationResult, 0, end-start)
	for k := start; k < end; k++ {
		req.Action, req.Resource = sim.actions[k/len(arns)], arns[k%len(arns)]
		results = append(results, sim.evaluate(set, res, &req, byKey, hasBoundary))
	}
	out := &iamapi.SimulatePolicyResponse{EvaluationResults: results, IsTruncated: ptr(end < total)}
	if end < total {
		out.Marker = indexMarker(end)
	}
	return out, nil
}

// simPageStart is the index of the first pair of the page marker asks
// for, of total pairs.
func simPageStart(marker string, total int) (int, error) {
	s, err := decodeMarker(marker, 'i')
	if err != nil || s == "" {
		return 0, err
	}
	start, err := strconv.Atoi(s)
	if err != nil || start < 0 || start > total {
		return 0, errBadMarker
	}
	return start, nil
}

// evaluate is the EvaluationResult of one action on one resource.
func (sim *simulation) evaluate(set *policy.Set, res *policy.Compiled, req *policy.Request, byKey map[string]*simPolicy, hasBoundary bool) iamapi.EvaluationResult {
	d := set.Evaluate(req, res)
	r := iamapi.EvaluationResult{EvalActionName: req.Action, EvalResourceName: req.Resource, EvalDecision: decisionNames[d.Outcome],
		MatchedStatements: []iamapi.Statement{}, MissingContextValues: sim.missingKeys(req)}
	boundaryAllows := false
	for _, m := range d.Matched {
		sp := byKey[m.Policy]
		if sp == nil {
			continue
		}
		if m.PolicyType == policy.TypeBoundary && m.Effect == policy.Allow {
			boundaryAllows = true
		}
		// An explicit deny is reported by its Deny statements alone
		// (EvaluationResult.MatchedStatements in the API reference).
		if d.Outcome == policy.ExplicitlyDenied && m.Effect != policy.Deny {
			continue
		}
		r.MatchedStatements = append(r.MatchedStatements, sp.matched(m.Index))
	}
	if hasBoundary {
		r.PermissionsBoundaryDecisionDetail = &iamapi.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: ptr(boundaryAllows && d.DeniedBy != policy.TypeBoundary)}
	}
	if req.Resource != "*" {
		resourceSpecific(&r)
	}
	return r
}

// resourceSpecific gives the result of a simulation on a named resource
// (not "*") the shape IAM gives it: the decision, the matched statements
// and the missing context keys repeated in one ResourceSpecificResults
// entry for the resource, the keys there instead of at the top, and an
// EvalDecisionDetails present but empty, as for a resource of the
// caller's own account.
func resourceSpecific(r *iamapi.EvaluationResult) {
	r.ResourceSpecificResults = []iamapi.ResourceSpecificResult{{
		EvalResourceName:                  r.EvalResourceName,
		EvalResourceDecision:              r.EvalDecision,
		MatchedStatements:                 r.MatchedStatements,
		MissingContextValues:              r.MissingContextValues,
		PermissionsBoundaryDecisionDetail: r.PermissionsBoundaryDecisionDetail,
	}}
	r.MissingContextValues = []string{}
	r.EvalDecisionDetails = map[string]string{}
}

// missingKeys lists the condition keys, absent from the request context,
// of the statements whose action and resource match the request: the
// values the caller would have to supply for the result to be certain.
// Keys the evaluator derives from the caller itself are not missing.
func (sim *simulation) missingKeys(req *policy.Request) []string {
	if sim.probes == nil {
		sim.probes = sim.conditionProbes()
	}
	probe := *req
	probe.ResourceAccount = ""
	seen := map[string]bool{}
	var out []string
	for _, pr := range sim.probes {
		for _, m := range pr.set.Evaluate(&probe, nil).Matched {
			for _, c := range pr.stmts[m.Index].Condition {
				k := strings.ToLower(c.Key)
				if seen[k] || derivedKey(k) {
					continue
				}
				if _, ok := req.Context.Lookup(c.Key); ok {
					continue
				}
				seen[k] = true
				out = append(out, c.Key)
			}
		}
	}
	sort.Strings(out)
	return nonNil(out)
}

// conditionProbe tells which of a policy's statements with conditions
// apply to a request by their action and resource alone: set holds an
// Allow copy of each, without its conditions and principals, compiled
// once for the simulation and evaluated once per request (compiling
// each statement for each request took seconds for a page).
type conditionProbe struct {
	set   *policy.Set
	stmts []policy.Statement // the originals, by index in set's policy
}

// conditionProbes builds the probe of every policy that has statements
// with conditions. A statement whose copy does not compile applies to
// nothing.
func (sim *simulation) conditionProbes() []conditionProbe {
	all := sim.policies
	if sim.resource != nil {
		all = append(all[:len(all):len(all)], *sim.resource)
	}
	probes := []conditionProbe{}
	for _, sp := range all {
		var copies, originals []policy.Statement
		for _, st := range sp.doc.Statements {
			if len(st.Condition) == 0 {
				continue
			}
			cp := probeStatement(st)
			if _, err := policy.Compile(&policy.Document{Version: policy.Version2012, Statements: []policy.Statement{cp}}, policy.TypeIdentity, "probe"); err != nil {
				continue
			}
			copies, originals = append(copies, cp), append(originals, st)
		}
		if len(copies) == 0 {
			continue
		}
		c, err := policy.Compile(&policy.Document{Version: policy.Version2012, Statements: copies}, policy.TypeIdentity, "probe")
		if err != nil {
			continue
		}
		set, err := policy.NewSet(c)
		if err != nil {
			continue
		}
		probes = append(probes, conditionProbe{set: set, stmts: originals})
	}
	return probes
}

// probeStatement is an Allow copy of st without its conditions and
// principals, matching any resource when st names none.
func probeStatement(st policy.Statement) policy.Statement {
	st.Effect, st.Condition, st.HasCondition = policy.Allow, nil, false
	st.Principal, st.NotPrincipal = nil, nil
	if st.Resource == nil && st.NotResource == nil {
		st.Resource = policy.Values{"*"}
	}
	return st
}

// derivedKey reports keys the evaluator fills in from the caller.
func derivedKey(k string) bool {
	switch k {
	case "aws:username", "aws:userid", "aws:principaltype", "aws:principalarn", "aws:principalaccount":
		return true
	}
	return false
}
