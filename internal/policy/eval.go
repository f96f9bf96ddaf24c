package policy

import "fmt"

// Set is the policies that apply to one principal: its identity-based
// policies, its permissions boundary and its session policies. Build it once
// per principal (or per session) and reuse it: it merges the action indexes
// of all its policies, so evaluating an action costs only the statements
// that name the action's service (plus those with wildcard actions), however
// many policies the principal has.
type Set struct {
	policies []*Compiled
	// index maps a service prefix to the (policy, statement) pairs filed
	// under it, in policy then statement order; wild holds the pairs to
	// consider for every action.
	byService map[string][]stmtRef
	wild      []stmtRef

	hasBoundary bool
	hasSession  bool
}

type stmtRef struct {
	policy int32
	stmt   int32
}

func (r stmtRef) less(o stmtRef) bool {
	return r.policy < o.policy || (r.policy == o.policy && r.stmt < o.stmt)
}

// NewSet builds the principal-side policy set. The policies must be of type
// TypeIdentity, TypeBoundary or TypeSession; a resource-based or trust
// policy belongs to the resource and is passed to Evaluate instead. Several
// boundary (or session) policies act as one policy of that type: any of them
// may allow.
func NewSet(policies ...*Compiled) (*Set, error) {
	s := &Set{byService: map[string][]stmtRef{}}
	// Evaluation order: identity, boundary, session. It fixes the order of
	// Decision.Matched.
	for _, t := range []Type{TypeIdentity, TypeBoundary, TypeSession} {
		for _, p := range policies {
			if p.typ == t {
				s.add(p)
			}
		}
	}
	for _, p := range policies {
		switch p.typ {
		case TypeIdentity, TypeBoundary, TypeSession:
		default:
			return nil, fmt.Errorf("policy %s: a %v cannot be part of a principal's policy set", p.name, p.typ)
		}
	}
	return s, nil
}

func (s *Set) add(p *Compiled) {
	pi := int32(len(s.policies))
	s.policies = append(s.policies, p)
	switch p.typ {
	case TypeBoundary:
		s.hasBoundary = true
	case TypeSession:
		s.hasSession = true
	}
	for svc, stmts := range p.index.byService {
		for _, st := range stmts {
			s.byService[svc] = append(s.byService[svc], stmtRef{pi, st})
		}
	}
	for _, st := range p.index.wild {
		s.wild = append(s.wild, stmtRef{pi, st})
	}
}

// tally is what the statements that matched a request add up to.
type tally struct {
	identityAllow bool
	boundaryAllow bool
	sessionAllow  bool
	resource      grant     // the most direct grant of a resource-policy Allow
	resourceBy    matchedBy // how that Allow matched the caller, by name first
	deny          bool
	deniedBy      Type
}

// Evaluate decides req against the set and, when the resource has one, its
// resource-based or trust policy (nil when it has none). A nil *Set is a
// principal without policies (anonymous callers, services). It allocates only
// the Decision's Matched slice; use EvaluateInto to reuse one.
func (s *Set) Evaluate(req *Request, resource *Compiled) Decision {
	var d Decision
	s.EvaluateInto(&d, req, resource)
	return d
}

// EvaluateInto is Evaluate writing into d, reusing d.Matched's storage: with
// enough capacity it does not allocate.
//
// The logic is AWS's (reference_policies_evaluation-logic in the IAM User
// Guide): an explicit Deny in any applicable policy wins; otherwise, within
// one account, an Allow that a resource-based policy grants directly to the
// user or session suffices, and any other Allow (identity-based, or a
// resource-based one naming the role or "*") must also be allowed by the
// permissions boundary and, for sessions, the session policies; across
// accounts both the resource-based policy and the principal's own policies
// must allow.
func (s *Set) EvaluateInto(d *Decision, req *Request, resource *Compiled) {
	*d = Decision{Matched: d.Matched[:0]}
	e := env{req: req}
	var t tally
	if s != nil {
		s.collect(d, &e, &t)
	}
	if resource != nil {
		collectResource(d, &e, &t, resource)
	}
	s.decide(d, req, resource, &t)
}

// collect evaluates the principal-side statements filed under the action's
// service and the wild ones, merging the two lists so statements are visited
// in policy order.
func (s *Set) collect(d *Decision, e *env, t *tally) {
	var buf [64]byte
	var bySvc []stmtRef
	if svc, ok := serviceOf(e.req.Action, &buf); ok {
		bySvc = s.byService[string(svc)]
	}
	wild := s.wild
	for len(bySvc) > 0 || len(wild) > 0 {
		var r stmtRef
		if len(wild) == 0 || (len(bySvc) > 0 && bySvc[0].less(wild[0])) {
			r, bySvc = bySvc[0], bySvc[1:]
		} else {
			r, wild = wild[0], wild[1:]
		}
		p := s.policies[r.policy]
		st := &p.stmts[r.stmt]
		if !st.applies(e) {
			continue
		}
		record(d, t, p, st)
		if st.effect == Allow {
			switch p.typ {
			case TypeIdentity:
				t.identityAllow = true
			case TypeBoundary:
				t.boundaryAllow = true
			case TypeSession:
				t.sessionAllow = true
			}
		}
	}
}

// collectResource evaluates the resource's policy, which also has to name
// the caller in its Principal.
func collectResource(d *Decision, e *env, t *tally, p *Compiled) {
	var buf [64]byte
	var bySvc []int32
	if svc, ok := serviceOf(e.req.Action, &buf); ok {
		bySvc = p.index.byService[string(svc)]
	}
	wild := p.index.wild
	for len(bySvc) > 0 || len(wild) > 0 {
		var i int32
		if len(wild) == 0 || (len(bySvc) > 0 && bySvc[0] < wild[0]) {
			i, bySvc = bySvc[0], bySvc[1:]
		} else {
			i, wild = wild[0], wild[1:]
		}
		st := &p.stmts[i]
		if st.principal == nil {
			// A resource-based statement must name its principals (Validate
			// rejects one that does not); unnamed, it grants nobody.
			continue
		}
		g, by := st.matchPrincipal(&e.req.Caller)
		if g == grantNone || !st.applies(e) {
			continue
		}
		record(d, t, p, st)
		if st.effect == Allow && (g > t.resource || (g == t.resource && by < t.resourceBy)) {
			t.resource, t.resourceBy = g, by
		}
	}
}

// applies reports whether the statement covers the request (principal
// aside): action, resource and conditions.
func (st *stmt) applies(e *env) bool {
	return st.matchAction(e, e.req.Action) &&
		st.matchResource(e) &&
		st.matchConditions(e)
}

func record(d *Decision, t *tally, p *Compiled, st *stmt) {
	d.Matched = append(d.Matched, MatchedStatement{
		Policy: p.name, PolicyType: p.typ, Sid: st.sid, Index: st.index, Effect: st.effect,
	})
	if st.effect == Deny && !t.deny {
		t.deny, t.deniedBy = true, p.typ
	}
}

// decide turns the tally into the outcome and its explanation.
func (s *Set) decide(d *Decision, req *Request, resource *Compiled, t *tally) {
	if t.deny {
		d.Outcome, d.DeniedBy, d.Reason = ExplicitlyDenied, t.deniedBy, deniedReason(t.deniedBy)
		return
	}
	c := &req.Caller
	hasBoundary := s != nil && s.hasBoundary
	hasSession := s != nil && s.hasSession
	boundaryOK := !hasBoundary || t.boundaryAllow
	sessionOK := true
	if c.Kind.isSession() {
		// A role session without session policies keeps its role's
		// permissions; a federated user session has only what its session
		// policy allows.
		sessionOK = t.sessionAllow || (!hasSession && c.Kind == AssumedRole)
	}
	identityAllow := t.identityAllow
	trust := resource != nil && resource.typ == TypeTrust
	cross := c.Account != "" && req.ResourceAccount != "" && c.Account != req.ResourceAccount
	if c.Kind == Root {
		// The root user has no identity-based policies and no boundary:
		// its own account grants it everything, so only explicit denies
		// (and, across accounts, the resource policy) limit it.
		identityAllow, boundaryOK, sessionOK = true, true, true
	}
	rootInOwnAccount := c.Kind == Root && !cross

	deny := func(missing Type, reason string) {
		d.Outcome, d.MissingAllow, d.Reason = ImplicitlyDenied, missing, reason
	}
	allow := func(reason string) { d.Outcome, d.Reason = Allowed, reason }

	switch {
	case trust && t.resource == grantNone:
		deny(TypeTrust, reasonNoTrustAllow)
	case cross && t.resource == grantNone:
		deny(resourceType(resource), reasonNoCrossAccount)
	case !cross && t.resource == grantDirect:
		allow(reasonResourceAllows)
	case !cross && t.resource == grantEntity && boundaryOK && sessionOK:
		allow(resourceAllowReason(t.resourceBy))
	case identityAllow && boundaryOK && sessionOK:
		switch {
		case cross:
			allow(reasonCrossAccount)
		case rootInOwnAccount && !t.identityAllow:
			allow(reasonRootUser)
		default:
			allow(reasonIdentityAllows)
		}
	case !identityAllow && (cross || t.resource < grantEntity):
		if c.Kind.hasIdentityPolicies() {
			deny(TypeIdentity, reasonNoIdentityAllow)
		} else {
			deny(resourceType(resource), reasonNoResourceAllow)
		}
	case !boundaryOK:
		deny(TypeBoundary, reasonBoundaryNotAllow)
	case !hasSession && c.Kind == FederatedUser:
		deny(TypeSession, reasonNoSessionPolicy)
	default:
		deny(TypeSession, reasonSessionNotAllow)
	}
}

// resourceAllowReason explains an allow that the resource policy grants
// on its own, in the resource's account.
func resourceAllowReason(by matchedBy) string {
	switch by {
	case byWildcard:
		return reasonResourceAllowsAll
	case byNotPrincipal:
		return reasonResourceAllowsNotPrincipal
	}
	return reasonResourceAllows
}

func resourceType(resource *Compiled) Type {
	if resource != nil && resource.typ == TypeTrust {
		return TypeTrust
	}
	return TypeResource
}
