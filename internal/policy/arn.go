package policy

import "strings"

// ARN-aware matching, used for Resource/NotResource and the Arn* condition
// operators. AWS checks each of the six colon-delimited components of an ARN
// (arn, partition, service, region, account, resource) separately, so a
// wildcard in one component never spills into the next; the last component
// (the resource) may itself contain colons.

const arnParts = 6

// arnPat is a compiled resource or ARN pattern.
type arnPat struct {
	// whole matches the entire string; used for "*", for patterns that are
	// not ARNs, and for values that are not ARNs.
	whole pat
	// parts are the six component patterns when isARN.
	parts [arnParts]pat
	isARN bool
}

// compileARNPat compiles a Resource element or an Arn* condition value.
// Resources are always wildcard patterns; vars enables policy variables.
func compileARNPat(s string, vars bool) arnPat {
	p := arnPat{whole: compilePat(s, true, vars)}
	if p.whole.any || !strings.HasPrefix(s, "arn:") {
		return p
	}
	// Split the token list (not the raw text: a variable such as
	// ${aws:username} contains a colon) on the first five literal colons.
	var cur []patTok
	part := 0
	for _, t := range p.whole.toks {
		if t.kind != tokLit || part == arnParts-1 {
			cur = append(cur, t)
			continue
		}
		text := t.text
		for part < arnParts-1 {
			i := strings.IndexByte(text, ':')
			if i < 0 {
				break
			}
			if i > 0 {
				cur = append(cur, patTok{kind: tokLit, text: text[:i]})
			}
			p.parts[part] = patFromToks(cur)
			cur = nil
			part++
			text = text[i+1:]
		}
		if text != "" {
			cur = append(cur, patTok{kind: tokLit, text: text})
		}
	}
	if part != arnParts-1 {
		return p // fewer than six components: match the whole text
	}
	p.parts[part] = patFromToks(cur)
	p.isARN = true
	return p
}

// patFromToks builds a pat from tokens split out of a larger pattern.
func patFromToks(toks []patTok) pat {
	p := pat{toks: toks, plain: true}
	for _, t := range toks {
		switch t.kind {
		case tokVar:
			p.hasVar = true
			p.plain = false
		case tokStar, tokQuest:
			p.plain = false
		default:
			p.raw += t.text
		}
	}
	p.finish()
	return p
}

// match reports whether s matches the pattern, component by component when
// both are ARNs.
func (p *arnPat) match(e *env, s string) bool {
	if p.whole.any {
		return true
	}
	if !p.isARN {
		return p.whole.match(e, s, false)
	}
	var parts [arnParts]string
	if !splitARN(s, &parts) {
		return false
	}
	return p.matchParts(e, &parts)
}

// matchResource is match for the request's own resource, whose components
// are split once per request.
func (p *arnPat) matchResource(e *env) bool {
	if p.whole.any {
		return true
	}
	if !p.isARN {
		return p.whole.match(e, e.req.Resource, false)
	}
	parts, ok := e.resourceParts()
	return ok && p.matchParts(e, parts)
}

func (p *arnPat) matchParts(e *env, parts *[arnParts]string) bool {
	// The resource component differs most often; check it first.
	for _, i := range [arnParts]int{5, 2, 4, 3, 1, 0} {
		if !p.parts[i].match(e, parts[i], false) {
			return false
		}
	}
	return true
}

// splitARN splits an ARN into its six components without allocating. It
// reports false when s has fewer than six components or does not start with
// "arn".
func splitARN(s string, parts *[arnParts]string) bool {
	for i := 0; i < arnParts-1; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return false
		}
		parts[i] = s[:j]
		s = s[j+1:]
	}
	parts[arnParts-1] = s
	return parts[0] == "arn"
}
