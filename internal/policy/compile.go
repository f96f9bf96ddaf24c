package policy

import (
	"fmt"
	"strings"
)

// Compiled is a policy document in evaluable form: wildcards tokenized,
// ARNs split into components, condition values converted, principals
// sorted by type, and statements indexed by the service prefix of their
// actions. It is immutable and safe for concurrent use; compile a policy once
// when it is stored or loaded, not per request.
type Compiled struct {
	name  string
	typ   Type
	stmts []stmt
	index actionIndex
}

// Name is the name the policy was compiled with (its ARN or a label); a
// Decision reports it.
func (c *Compiled) Name() string { return c.name }

// Type is what the policy is used as.
func (c *Compiled) Type() Type { return c.typ }

// stmt is one compiled statement.
type stmt struct {
	sid    string
	index  int
	effect Effect

	actions   []pat // lower-cased patterns, matched case-insensitively
	notAction bool

	resources   []arnPat
	notResource bool
	// noResource: the statement has neither Resource nor NotResource
	// (trust policies); it applies to any resource.
	noResource bool

	principal    *principalSet // nil when the statement has neither element
	notPrincipal bool

	conds []cond
}

// CompileError says why a document could not be compiled. Documents that
// pass Validate compile, except for condition values that are not of the
// operator's type (a number for Numeric*, a CIDR for IpAddress, ...).
type CompileError struct {
	Policy    string
	Statement int
	Err       error
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("policy %s: statement %d: %v", e.Policy, e.Statement, e.Err)
}

func (e *CompileError) Unwrap() error { return e.Err }

// Compile turns a parsed document into its evaluable form. t is what the
// document is used as, and name identifies it in decisions (the policy ARN,
// or a label such as "identityPolicies[0]").
func Compile(doc *Document, t Type, name string) (*Compiled, error) {
	return CompileBound(doc, t, name, nil)
}

// CompileBound is Compile for a trust or resource policy whose AWS
// principals were bound to unique ids when it was saved: a principal ARN
// listed in bound matches only the user or role with the bound id (a role
// session ARN: that session of the role with the bound id), never another
// principal that has its name now. A principal value that is itself a
// unique id (IAM's form of a bound principal that was deleted) matches
// the principal with that id. Other principals match as Compile has them.
func CompileBound(doc *Document, t Type, name string, bound []Binding) (*Compiled, error) {
	vars := doc.Version == Version2012
	c := &Compiled{name: name, typ: t, stmts: make([]stmt, 0, len(doc.Statements))}
	for i := range doc.Statements {
		s, err := compileStatement(&doc.Statements[i], i, vars, bound)
		if err != nil {
			return nil, &CompileError{Policy: name, Statement: i, Err: err}
		}
		c.stmts = append(c.stmts, s)
	}
	c.index = buildIndex(c.stmts)
	return c, nil
}

func compileStatement(s *Statement, i int, vars bool, bound []Binding) (stmt, error) {
	out := stmt{sid: s.Sid, index: i, effect: s.Effect}
	if s.Effect != Allow && s.Effect != Deny {
		return stmt{}, fmt.Errorf("invalid effect %q", s.Effect)
	}
	acts := s.Action
	if s.NotAction != nil {
		acts, out.notAction = s.NotAction, true
	}
	for _, a := range acts {
		out.actions = append(out.actions, compilePat(strings.ToLower(a), true, false))
	}
	res := s.Resource
	switch {
	case s.NotResource != nil:
		res, out.notResource = s.NotResource, true
	case s.Resource == nil:
		out.noResource = true
	}
	for _, r := range res {
		out.resources = append(out.resources, compileARNPat(r, vars))
	}
	switch {
	case s.NotPrincipal != nil:
		out.principal, out.notPrincipal = compilePrincipal(s.NotPrincipal, bound), true
	case s.Principal != nil:
		out.principal = compilePrincipal(s.Principal, bound)
	}
	for _, c := range s.Condition {
		cc, err := compileCondition(c, vars)
		if err != nil {
			return stmt{}, err
		}
		out.conds = append(out.conds, cc)
	}
	return out, nil
}

// matchAction reports whether the statement's Action (or NotAction) covers
// the request's action.
func (s *stmt) matchAction(e *env, action string) bool {
	hit := false
	for i := range s.actions {
		if s.actions[i].match(e, action, true) {
			hit = true
			break
		}
	}
	return hit != s.notAction
}

// matchResource reports whether the statement's Resource (or NotResource)
// covers the request's resource.
func (s *stmt) matchResource(e *env) bool {
	if s.noResource {
		return true
	}
	hit := false
	for i := range s.resources {
		if s.resources[i].matchResource(e) {
			hit = true
			break
		}
	}
	return hit != s.notResource
}

// matchConditions reports whether every condition holds (they are ANDed).
func (s *stmt) matchConditions(e *env) bool {
	for i := range s.conds {
		if !s.conds[i].eval(e) {
			return false
		}
	}
	return true
}

// matchPrincipal returns how the statement's Principal or NotPrincipal names
// the caller, and by which. It is used for resource-based and trust policies
// only; the statements of identity-based, boundary and session policies apply
// to the principal they are attached to. A NotPrincipal that does not
// exclude the caller grants as "*" does.
func (s *stmt) matchPrincipal(c *Caller) (grant, matchedBy) {
	switch {
	case s.principal == nil:
		return grantNone, byName
	case s.notPrincipal:
		if s.principal.excludes(c, s.effect) {
			return grantNone, byNotPrincipal
		}
		return grantEntity, byNotPrincipal
	}
	return s.principal.match(c)
}

// actionIndex finds the statements that may match an action without
// looking at the others: statements are filed under each service prefix
// their actions name ("s3", "iam"); statements whose actions have a
// wildcard in the prefix ("*", "s3*:Get") or that use NotAction are filed as
// wild and considered for every action.
type actionIndex struct {
	byService map[string][]int32
	wild      []int32
}

func buildIndex(stmts []stmt) actionIndex {
	idx := actionIndex{byService: map[string][]int32{}}
	for i := range stmts {
		s := &stmts[i]
		services, wild := actionServices(s)
		if wild {
			idx.wild = append(idx.wild, int32(i))
			continue
		}
		for _, svc := range services {
			idx.byService[svc] = append(idx.byService[svc], int32(i))
		}
	}
	return idx
}

// actionServices returns the distinct service prefixes of a statement's
// actions, or wild when the statement must be considered for any action.
func actionServices(s *stmt) (services []string, wild bool) {
	if s.notAction {
		return nil, true
	}
	for _, a := range s.actions {
		raw := a.raw
		if !a.plain {
			// Rebuild the prefix from tokens: it is usable only when it is
			// literal text ending at a colon.
			raw = ""
			for _, t := range a.toks {
				if t.kind != tokLit {
					if !strings.Contains(raw, ":") {
						return nil, true
					}
					break
				}
				raw += t.text
			}
		}
		svc, _, ok := strings.Cut(raw, ":")
		if !ok {
			// No colon: only "*"-like patterns can match a "svc:Op" action;
			// keep them in the wild list to stay correct.
			return nil, true
		}
		if !contains(services, svc) {
			services = append(services, svc)
		}
	}
	return services, false
}

// serviceOf writes the lower-cased service prefix of action into buf and
// returns it; ok is false when the action has no prefix that fits.
func serviceOf(action string, buf *[64]byte) ([]byte, bool) {
	i := strings.IndexByte(action, ':')
	if i < 0 || i > len(buf) {
		return nil, false
	}
	for j := 0; j < i; j++ {
		buf[j] = lowerASCII(action[j])
	}
	return buf[:i], true
}
