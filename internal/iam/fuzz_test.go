package iam

import (
	"regexp"
	"testing"
)

// The validators are hand-written for speed; these regexps are the API
// model's patterns, translated to Go syntax, as the oracle.
var (
	nameRE       = regexp.MustCompile(`^[A-Za-z0-9_+=,.@-]+$`)
	pathRE       = regexp.MustCompile(`^(?:/|/[\x21-\x7e]+/)$`)
	policyPathRE = regexp.MustCompile(`^(?:/[A-Za-z0-9.,+@=_-]+)*/$`)
)

// FuzzValidators: ValidateUserName, ValidatePath and ValidatePolicyPath agree
// with the regexps of the API model (within the length limits).
func FuzzValidators(f *testing.F) {
	for _, s := range []string{"alice", "a b", "/", "/a/b/", "/a//", "//", "/é/", "a=b,c.d@e-f_g+h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidateUserName(s) == nil, nameRE.MatchString(s) && len(s) <= MaxUserNameLen; got != want {
			t.Errorf("ValidateUserName(%q) ok=%v, regexp says %v", s, got, want)
		}
		if got, want := ValidatePath(s) == nil, pathRE.MatchString(s) && len(s) <= MaxPathLen; got != want {
			t.Errorf("ValidatePath(%q) ok=%v, regexp says %v", s, got, want)
		}
		if got, want := ValidatePolicyPath(s) == nil, policyPathRE.MatchString(s) && len(s) <= MaxPathLen; got != want {
			t.Errorf("ValidatePolicyPath(%q) ok=%v, regexp says %v", s, got, want)
		}
	})
}
