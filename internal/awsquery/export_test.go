package awsquery

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
