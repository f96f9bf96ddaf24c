package policy

import "unicode/utf8"

// This file holds the wildcard matcher shared by actions, resources, the
// *Like and Arn* condition operators and principal-free string comparisons.
//
// A pattern is compiled once into a list of tokens: literal text, "*", "?"
// and policy variables. Variables are resolved per request into literal
// tokens in a caller-owned array, so matching never allocates.

type tokKind uint8

const (
	tokLit   tokKind = iota // literal text (also a resolved variable)
	tokStar                 // "*": any run of characters, possibly empty
	tokQuest                // "?": exactly one character
	tokVar                  // "${key}" or "${key, 'default'}", resolved per request
)

// patTok is one token of a compiled pattern.
type patTok struct {
	kind tokKind
	// text is the literal text, or the variable's key for tokVar.
	text string
	// def is the variable's default value when hasDef is true.
	def    string
	hasDef bool
}

// pat is a compiled wildcard (or exact) pattern.
type pat struct {
	toks []patTok
	// raw is the pattern as written; used directly when the pattern is one
	// literal (the common case), skipping the token walk.
	raw string
	// plain is true when the pattern has no wildcard and no variable.
	plain bool
	// hasVar is true when some token is a tokVar.
	hasVar bool
	// any is true for the pattern "*" alone.
	any bool
	// prefix is true for "literal*", the most common wildcard pattern;
	// raw then holds the literal and matching is a prefix comparison.
	prefix bool
}

// finish sets the fast-path flags from the tokens.
func (p *pat) finish() {
	p.any = len(p.toks) == 1 && p.toks[0].kind == tokStar
	if len(p.toks) == 2 && p.toks[0].kind == tokLit && p.toks[1].kind == tokStar {
		p.prefix, p.raw = true, p.toks[0].text
	}
}

// maxResolvedToks bounds the tokens a pattern with variables may have; a
// longer pattern is resolved on the heap (rare, and only for odd policies).
const maxResolvedToks = 24

// compilePat tokenizes s. wild says whether "*" and "?" are wildcards (they
// are literal for StringEquals); vars says whether "${...}" is a variable
// (it is literal text under Version 2008-10-17).
func compilePat(s string, wild, vars bool) pat {
	p := pat{raw: s}
	lit := make([]byte, 0, len(s))
	flush := func() {
		if len(lit) > 0 {
			p.toks = append(p.toks, patTok{kind: tokLit, text: string(lit)})
			lit = lit[:0]
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case wild && c == '*':
			flush()
			// Consecutive stars are one star.
			if n := len(p.toks); n == 0 || p.toks[n-1].kind != tokStar {
				p.toks = append(p.toks, patTok{kind: tokStar})
			}
			i++
		case wild && c == '?':
			flush()
			p.toks = append(p.toks, patTok{kind: tokQuest})
			i++
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			tok, n, ok := parseVariable(s[i:])
			if !ok {
				lit = append(lit, c)
				i++
				continue
			}
			if tok.kind == tokLit {
				lit = append(lit, tok.text...)
			} else {
				flush()
				p.toks = append(p.toks, tok)
				p.hasVar = true
			}
			i += n
		default:
			lit = append(lit, c)
			i++
		}
	}
	flush()
	p.plain = !p.hasVar
	for _, t := range p.toks {
		if t.kind == tokStar || t.kind == tokQuest {
			p.plain = false
		}
	}
	if p.plain {
		// A plain pattern may still differ from raw when it used ${*} etc.
		p.raw = ""
		for _, t := range p.toks {
			p.raw += t.text
		}
	}
	p.finish()
	return p
}

// resolve returns the pattern's tokens with every variable replaced by its
// value, using buf as storage. ok is false when a variable has no value and
// no default: AWS then treats the pattern as matching nothing.
func (p *pat) resolve(e *env, buf []patTok) (toks []patTok, ok bool) {
	if !p.hasVar {
		return p.toks, true
	}
	toks = buf[:0]
	for _, t := range p.toks {
		if t.kind == tokVar {
			v, found := e.variable(t.text)
			if !found {
				if !t.hasDef {
					return nil, false
				}
				v = t.def
			}
			t = patTok{kind: tokLit, text: v}
		}
		toks = append(toks, t)
	}
	return toks, true
}

// match reports whether s matches the pattern. fold makes ASCII letters
// compare case-insensitively (actions); everything else is case-sensitive.
func (p *pat) match(e *env, s string, fold bool) bool {
	if p.any {
		return true
	}
	if p.plain {
		if fold {
			return equalFoldASCII(p.raw, s)
		}
		return p.raw == s
	}
	if p.prefix {
		if len(s) < len(p.raw) {
			return false
		}
		if fold {
			return equalFoldASCII(p.raw, s[:len(p.raw)])
		}
		return p.raw == s[:len(p.raw)]
	}
	var buf [maxResolvedToks]patTok
	toks, ok := p.resolve(e, buf[:])
	if !ok {
		return false
	}
	return globTokens(toks, s, fold)
}

// globTokens matches s against tokens made only of tokLit, tokStar and
// tokQuest. It is the classic linear-time wildcard match: on a mismatch it
// backtracks to just after the last star, which has consumed one more
// character.
func globTokens(toks []patTok, s string, fold bool) bool {
	ti, li, si := 0, 0, 0
	starTi, starSi := -1, 0
	for si < len(s) {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokStar:
				starTi, starSi = ti, si
				ti, li = ti+1, 0
				continue
			case tokQuest:
				_, n := utf8.DecodeRuneInString(s[si:])
				si += n
				ti, li = ti+1, 0
				continue
			default:
				if li == len(t.text) {
					ti, li = ti+1, 0
					continue
				}
				if byteEq(t.text[li], s[si], fold) {
					li++
					si++
					if li == len(t.text) {
						ti, li = ti+1, 0
					}
					continue
				}
			}
		}
		if starTi < 0 {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starSi:])
		starSi += n
		si = starSi
		ti, li = starTi+1, 0
	}
	if li != 0 {
		return false
	}
	for ; ti < len(toks); ti++ {
		if toks[ti].kind == tokStar || (toks[ti].kind == tokLit && toks[ti].text == "") {
			continue
		}
		return false
	}
	return true
}

func byteEq(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	return fold && lowerASCII(a) == lowerASCII(b)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}
