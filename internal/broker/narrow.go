package broker

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/sts"
)

// Narrower returns nil when the session policy pol provably grants
// nothing that ceiling does not, a *NarrowError saying which statement
// and which action or resource it could not prove otherwise, or the
// parse error of either document.
//
// The proof is sound and conservative: every Allow statement of pol must
// be covered by one Allow statement of ceiling, which means that each of
// its Action patterns lies within one of that statement's (glob
// containment with * and ?, without case), each of its Resource patterns
// likewise (with case, and component by component against an ARN
// pattern, as AWS matches ARNs: a wildcard never spans their first five
// colons), and each Condition entry of the ceiling statement is in the
// pol statement too, identical (more conditions only narrow). NotAction,
// NotResource or a principal in an Allow of pol cannot be proven; a
// ceiling statement with NotAction or NotResource covers nothing. Deny
// statements of pol only narrow. The ceiling's own Deny statements are
// not compared: what the broker passes upstream carries them (Narrow).
//
// A policy variable (${...}) in a pattern of pol stands for any text;
// one in a pattern of ceiling is matched only by the identical pattern.
func Narrower(pol, ceiling string) error {
	p, err := policy.Parse([]byte(pol))
	if err != nil {
		return err
	}
	c, err := policy.Parse([]byte(ceiling))
	if err != nil {
		return err
	}
	return narrower(p, c)
}

func narrower(p, c *policy.Document) error {
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect != policy.Allow {
			continue
		}
		name := statementName(st, i)
		switch {
		case st.NotAction != nil:
			return &NarrowError{Reason: name + " uses NotAction, which cannot be proven narrower."}
		case st.NotResource != nil:
			return &NarrowError{Reason: name + " uses NotResource, which cannot be proven narrower."}
		case st.Principal != nil || st.NotPrincipal != nil:
			return &NarrowError{Reason: name + " names a principal, which cannot be proven narrower."}
		}
		var why string
		best, covered := -1, false
		for j := range c.Statements {
			cs := &c.Statements[j]
			if cs.Effect != policy.Allow || cs.NotAction != nil || cs.NotResource != nil || cs.NotPrincipal != nil {
				continue
			}
			reason, stage := covers(cs, st, vars(p), vars(c))
			if reason == "" {
				covered = true
				break
			}
			if stage > best { // the reason of the statement that came closest
				why, best = reason, stage
			}
		}
		if !covered {
			if why == "" {
				why = "the ceiling allows nothing"
			}
			return &NarrowError{Reason: name + ": " + why + "."}
		}
	}
	return nil
}

// statementName names a statement of the caller's policy in a message.
func statementName(st *policy.Statement, i int) string {
	if st.Sid != "" {
		return fmt.Sprintf("statement %d (%s)", i+1, st.Sid)
	}
	return fmt.Sprintf("statement %d", i+1)
}

// covers returns "" when ceiling statement c covers policy statement s,
// else why not and how far it got (0 actions, 1 resources, 2
// conditions).
// sVars and cVars say whether each document's ${...} are policy
// variables (Version 2012-10-17) or literal text.
func covers(c, s *policy.Statement, sVars, cVars bool) (string, int) {
	for _, a := range s.Action {
		if !slices.ContainsFunc(c.Action, func(q string) bool { return within(a, q, true, sVars, cVars) }) {
			return "action " + a + " is not within the ceiling's actions", 0
		}
	}
	res := s.Resource
	if res == nil {
		res = policy.Values{"*"} // no Resource: count it the widest
	}
	for _, r := range res {
		if !slices.ContainsFunc(c.Resource, func(q string) bool { return within(r, q, false, sVars, cVars) }) {
			return "resource " + r + " is not within the ceiling's resources", 1
		}
	}
	for _, cc := range c.Condition {
		varying := sVars != cVars && slices.ContainsFunc(cc.Values, func(v string) bool { return strings.Contains(v, "${") })
		if varying || !slices.ContainsFunc(s.Condition, func(sc policy.Condition) bool { return sameCondition(cc, sc) }) {
			return "it lacks the ceiling's condition " + cc.Operator + " on " + cc.Key, 2
		}
	}
	return "", 3
}

// sameCondition reports whether two condition entries are identical:
// operator and key as AWS compares them (without case), the same values
// in any order.
func sameCondition(a, b policy.Condition) bool {
	if !strings.EqualFold(a.Operator, b.Operator) || !strings.EqualFold(a.Key, b.Key) || len(a.Values) != len(b.Values) {
		return false
	}
	x, y := slices.Clone(a.Values), slices.Clone(b.Values)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// vars reports whether d's ${...} are policy variables.
func vars(d *policy.Document) bool { return d.Version == policy.Version2012 }

// within reports whether every string pattern p matches is matched by
// pattern q (glob with * and ?), case-insensitively when fold. It is
// sound (true only when it holds) and complete enough for the patterns
// people write. pVars and qVars say whether ${...} are variables in p
// and q.
func within(p, q string, fold, pVars, qVars bool) bool {
	if fold {
		p, q = strings.ToLower(p), strings.ToLower(q)
	}
	if qVars && strings.Contains(q, "${") {
		return pVars && p == q // the same variables expand the same way
	}
	ps := []byte(p)
	if pVars {
		ps = symbols(p)
	}
	if fold {
		return globWithin(ps, []byte(q)) // actions: matched as a whole
	}
	// Resources: AWS matches an ARN pattern of six components component by
	// component (a wildcard never spans a colon of the first five), and
	// any other pattern as a whole. Against a whole pattern q, flat
	// containment is sound (what a component-wise p matches, its flat text
	// matches too); against an ARN pattern q, p must be one too and each
	// component within q's.
	qc, qARN := arnComponents([]byte(q))
	if !qARN {
		return globWithin(ps, []byte(q))
	}
	pc, pARN := arnComponents(ps)
	if !pARN {
		return false
	}
	for i := range pc {
		if !globWithin(pc[i], qc[i]) {
			return false
		}
	}
	return true
}

// arnComponents splits a resource pattern's symbols as the policy engine
// does: a pattern starting with "arn:" into six components at its first
// five colons (the last keeps the rest). It reports false for a pattern
// with fewer components or another start, which the engine matches whole.
func arnComponents(p []byte) ([6][]byte, bool) {
	var out [6][]byte
	if !bytes.HasPrefix(p, []byte("arn:")) {
		return out, false
	}
	for i := range 5 {
		j := bytes.IndexByte(p, ':')
		if j < 0 {
			return out, false
		}
		out[i], p = p[:j], p[j+1:]
	}
	out[5] = p
	return out, true
}

// wildVar stands, in a policy pattern's symbols, for a policy variable:
// any text, as '*'.
const wildVar = '*'

// symbols is p's pattern with each ${...} turned into '*'.
func symbols(p string) []byte {
	var out []byte
	for i := 0; i < len(p); i++ {
		if p[i] == '$' && i+1 < len(p) && p[i+1] == '{' {
			if end := strings.IndexByte(p[i:], '}'); end > 0 {
				out = append(out, wildVar)
				i += end
				continue
			}
		}
		out = append(out, p[i])
	}
	return out
}

// globWithin decides L(p) ⊆ L(q) by matching p's symbols against q's:
// q's '*' absorbs any run of p's symbols (including '*' and '?'), q's '?'
// one literal or '?' of p, q's literal only the same literal of p.
func globWithin(p, q []byte) bool {
	// memo[i][j]: 0 unknown, 1 true, 2 false.
	memo := make([][]uint8, len(p)+1)
	for i := range memo {
		memo[i] = make([]uint8, len(q)+1)
	}
	var rec func(i, j int) bool
	rec = func(i, j int) bool {
		if m := memo[i][j]; m != 0 {
			return m == 1
		}
		var ok bool
		switch {
		case j == len(q):
			ok = i == len(p)
		case q[j] == '*':
			ok = rec(i, j+1) || (i < len(p) && rec(i+1, j))
		case i == len(p):
			ok = false
		case q[j] == '?':
			ok = p[i] != '*' && rec(i+1, j+1)
		default:
			ok = p[i] == q[j] && rec(i+1, j+1)
		}
		memo[i][j] = 2
		if ok {
			memo[i][j] = 1
		}
		return ok
	}
	return rec(0, 0)
}

// Narrow is what the broker passes upstream for a caller's session
// policy under a ceiling: nil error only when Narrower proves it no
// wider, and then the caller's statements followed by the ceiling's Deny
// statements (without their Sid, so that none clashes).
func Narrow(pol, ceiling string) (string, error) {
	p, err := policy.Parse([]byte(pol))
	if err != nil {
		return "", err
	}
	c, err := policy.Parse([]byte(ceiling))
	if err != nil {
		return "", err
	}
	if err := narrower(p, c); err != nil {
		return "", err
	}
	added := false
	for _, st := range c.Statements {
		if st.Effect == policy.Deny {
			if vars(p) != vars(c) && usesVariables(&st) {
				return "", &NarrowError{Reason: "the brokered role's session policy denies with policy variables under another policy Version than the caller's."}
			}
			st.Sid, st.HasSid = "", false
			p.Statements = append(p.Statements, st)
			added = true
		}
	}
	if !added {
		return pol, nil
	}
	p.StatementIsObject = false
	out, err := policy.Print(p)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// usesVariables reports whether a statement's actions or resources hold
// ${...}.
func usesVariables(st *policy.Statement) bool {
	for _, vs := range []policy.Values{st.Action, st.NotAction, st.Resource, st.NotResource} {
		for _, v := range vs {
			if strings.Contains(v, "${") {
				return true
			}
		}
	}
	for _, c := range st.Condition {
		for _, v := range c.Values {
			if strings.Contains(v, "${") {
				return true
			}
		}
	}
	return false
}

// SessionPolicy is the session policy passed upstream for a caller of
// role who passed pol ("" for none) and policyARNs (sts.Broker): without
// a ceiling, pol; with one, the ceiling when the caller passed nothing,
// else Narrow's policy. Policy ARNs under a ceiling cannot be proven
// narrower: refused. A refusal is an *sts.AccessDeniedError with the
// NarrowError's text.
func (s *Service) SessionPolicy(role *sts.BrokeredRole, pol string, policyARNs []string) (string, error) {
	ceiling := role.SessionPolicy
	switch {
	case ceiling == "":
		return pol, nil
	case len(policyARNs) > 0:
		return "", &sts.AccessDeniedError{Message: (&NarrowError{Reason: "policy ARNs cannot be proven narrower than the brokered role's session policy."}).Error()}
	case pol == "":
		return ceiling, nil
	}
	out, err := Narrow(pol, ceiling)
	if ne, ok := errors.AsType[*NarrowError](err); ok {
		return "", &sts.AccessDeniedError{Message: ne.Error()}
	}
	return out, err
}

// SourceIdentity is the package's SourceIdentity (sts.Broker).
func (s *Service) SourceIdentity(p *identity.Principal) string { return SourceIdentity(p) }

var _ sts.Broker = (*Service)(nil)
