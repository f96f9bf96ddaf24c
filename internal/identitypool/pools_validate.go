package identitypool

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// violations collects the model's constraint failures of one request, in
// AWS's words, so that a request breaking several rules hears of them all
// at once: "2 validation errors detected: Value 'x' at 'identityPoolName'
// failed to satisfy constraint: ...; Value null at ...".
type violations []string

// maxListedViolations bounds how many violations a message spells out: a
// body of thousands of bad members hears how many, and the first few.
const maxListedViolations = 10

// err is the InvalidParameterException of the violations; nil for none.
func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	n := strconv.Itoa(len(v)) + " validation errors detected: "
	if len(v) == 1 {
		n = "1 validation error detected: "
	}
	listed := strings.Join(v[:min(len(v), maxListedViolations)], "; ")
	if len(v) > maxListedViolations {
		listed += "; ..."
	}
	return &Error{Code: CodeInvalidParameter, Message: n + listed}
}

// add records that value at member breaks constraint.
func (v *violations) add(member, value, constraint string) {
	*v = append(*v, "Value '"+echoValue(value)+"' at '"+member+"' failed to satisfy constraint: "+constraint)
}

// null records that the required member is missing.
func (v *violations) null(member string) {
	*v = append(*v, "Value null at '"+member+"' failed to satisfy constraint: Member must not be null")
}

// str checks a string member's length (in characters, as the model
// counts) and, when re is set, its pattern (pattern is re's text as the
// model spells it). An empty optional member is absent: not checked.
func (v *violations) str(member, value string, min, max int, re *regexp.Regexp, pattern string) {
	n := utf8.RuneCountInString(value)
	switch {
	case n < min:
		v.add(member, value, "Member must have length greater than or equal to "+strconv.Itoa(min))
	case n > max:
		v.add(member, value, "Member must have length less than or equal to "+strconv.Itoa(max))
	case re != nil && !re.MatchString(value):
		v.add(member, value, "Member must satisfy regular expression pattern: "+pattern)
	}
}

// optional is str for a member that may be absent ("").
func (v *violations) optional(member, value string, min, max int, re *regexp.Regexp, pattern string) {
	if value != "" {
		v.str(member, value, min, max, re, pattern)
	}
}

// enum checks value is one of set.
func (v *violations) enum(member, value string, set ...string) {
	for _, s := range set {
		if value == s {
			return
		}
	}
	if value == "" {
		v.null(member)
		return
	}
	v.add(member, value, "Member must satisfy enum value set: ["+strings.Join(set, ", ")+"]")
}

// count checks the number of entries of a list or map member.
func (v *violations) count(member string, n, min, max int) {
	switch {
	case n < min:
		*v = append(*v, "Value at '"+member+"' failed to satisfy constraint: Member must have length greater than or equal to "+strconv.Itoa(min))
	case n > max:
		*v = append(*v, "Value at '"+member+"' failed to satisfy constraint: Member must have length less than or equal to "+strconv.Itoa(max))
	}
}

// maxEcho bounds how much of a value an error message repeats.
const maxEcho = 256

// echoValue is value as a message may repeat it: at most maxEcho characters,
// control characters replaced.
func echoValue(value string) string {
	if utf8.RuneCountInString(value) > maxEcho {
		r := []rune(value)
		value = string(r[:maxEcho]) + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, value)
}

// wholePattern compiles a model pattern to match whole strings.
func wholePattern(pattern string) *regexp.Regexp { return regexp.MustCompile(`^(?:` + pattern + `)$`) }

// The model's patterns, as it spells them (for the messages) and
// compiled.
const (
	patPoolName        = `[\w\s+=,.@-]+`
	patPoolID          = `[\w-]+:[0-9a-f-]+`
	patProviderID      = `[\w.;_/-]+`
	patDeveloperName   = `[\w._-]+`
	patCognitoName     = `[\w._:/-]+`
	patCognitoClientID = `[\w_]+`
	patRoleType        = `(un)?authenticated`
	patClaimName       = `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`
	patPaginationKey   = `[\S]+`
	patTag             = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
)

var (
	rePoolName        = wholePattern(patPoolName)
	reProviderID      = wholePattern(patProviderID)
	reDeveloperName   = wholePattern(patDeveloperName)
	reCognitoName     = wholePattern(patCognitoName)
	reCognitoClientID = wholePattern(patCognitoClientID)
	reClaimName       = wholePattern(patClaimName)
	rePaginationKey   = wholePattern(patPaginationKey)
	reTag             = wholePattern(patTag)
)

// validPoolID reports whether id matches the model's IdentityPoolId
// (1–55 characters of [\w-]+:[0-9a-f-]+). Written out rather than a
// regexp: GetId checks it on every call.
func validPoolID(id string) bool {
	if len(id) < 3 || len(id) > 55 {
		return false
	}
	colon := strings.IndexByte(id, ':')
	if colon < 1 || colon == len(id)-1 {
		return false
	}
	for i := 0; i < colon; i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	for i := colon + 1; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '-') {
			return false
		}
	}
	return true
}

// checkPoolID is the validation error of a malformed pool id; nil when
// it is well formed.
func checkPoolID(id string) error {
	if validPoolID(id) {
		return nil
	}
	var v violations
	switch {
	case id == "":
		v.null("identityPoolId")
	case len(id) > 55:
		v.add("identityPoolId", id, "Member must have length less than or equal to 55")
	default:
		v.add("identityPoolId", id, "Member must satisfy regular expression pattern: "+patPoolID)
	}
	return v.err()
}
