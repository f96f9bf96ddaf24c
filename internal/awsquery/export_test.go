package awsquery

import "regexp"

// PatternCompiles reports whether a model pattern compiles to a matcher
// (for the generated-table tests in package awsquery_test).
func PatternCompiles(p string) bool {
	if _, ok := javaOnlyPatterns[p]; ok {
		return true
	}
	return regexpCompiles(p)
}

// MatchPattern matches v against a model pattern as the validator does.
func MatchPattern(p, v string) bool { return compilePattern(p)(v) }

// FastAndRegexp matches v against p both with the character-class fast
// path (ok is false when p does not qualify for it) and with the regexp.
func FastAndRegexp(p, v string) (fast, slow, ok bool) {
	m := classMatcher(javaToRE2(p))
	if m == nil {
		return false, false, false
	}
	re := regexp.MustCompile(`^(?:` + javaToRE2(p) + `)$`)
	return m(v), re.MatchString(v), true
}
