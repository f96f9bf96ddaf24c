package policy

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEvalWildcard checks the wildcard matcher against a regular
// expression built from the same pattern ("*" → ".*", "?" → "."), with and
// without case folding.
func FuzzEvalWildcard(f *testing.F) {
	f.Add("s3:Get*", "s3:GetObject", false)
	f.Add("a*b?c*", "aXbYcZ", true)
	f.Add("*aab", "aaab", false)
	f.Add("?é*", "xé", false)
	f.Fuzz(func(t *testing.T, pattern, s string, fold bool) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) || len(pattern) > 64 || len(s) > 256 {
			return
		}
		var re strings.Builder
		re.WriteString(`(?s)^`)
		if fold {
			// The matcher folds ASCII letters only.
			for _, r := range pattern + s {
				if r >= 0x80 {
					return
				}
			}
			re.WriteString(`(?i)`)
		}
		for _, r := range pattern {
			switch r {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString(`$`)
		want := regexp.MustCompile(re.String()).MatchString(s)
		p := compilePat(pattern, true, false)
		e := env{req: &Request{}}
		if got := p.match(&e, s, fold); got != want {
			t.Fatalf("match(%q, %q, fold=%v) = %v, regexp %s says %v", pattern, s, fold, got, re.String(), want)
		}
	})
}
