package awsquery

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode/utf8"
)

// Kind is the wire type of a shape, as the service model names it.
type Kind uint8

// The shape kinds of the AWS service model.
const (
	KindString Kind = iota + 1
	KindBoolean
	KindInteger
	KindLong
	KindFloat
	KindDouble
	KindTimestamp
	KindBlob
	KindStructure
	KindList
	KindMap
)

// TimestampFormat says how a timestamp is written on the wire. The zero
// value is ISO 8601, the Query protocol's default.
type TimestampFormat uint8

// The timestamp formats of the service model.
const (
	TimestampISO8601 TimestampFormat = iota
	TimestampUnix
	TimestampRFC822
)

// Shape is one shape of a service model with the constraints the decoder
// validates and the names the encoder writes. The generator emits these for
// STS and IAM; the conformance tests build them from the test cases, so the
// same code path serves both.
//
// A Shape is immutable once built; it is shared by all requests.
type Shape struct {
	Name string
	Kind Kind

	// Structure members, in model order. Required is per member.
	Members []Member
	// List element (Kind == KindList).
	Member *Ref
	// Map key and value (Kind == KindMap).
	Key, Value *Ref

	// Flattened lists and maps repeat without a wrapper element.
	Flattened bool

	// Length (strings, lists, maps, blobs) or value (numbers) bounds.
	HasMin, HasMax bool
	Min, Max       int64

	// Pattern is the model's regular expression, in the model's (Java)
	// syntax; it must match the whole value.
	Pattern string
	// Enum lists the allowed string values, if any.
	Enum []string

	TimestampFormat TimestampFormat
	// Sensitive values are never echoed in error messages or audit records.
	Sensitive bool

	patternOnce sync.Once
	match       func(string) bool
	auditOnce   sync.Once
	audit       []auditKey // see auditKeys
}

// Ref is a reference to a shape from a structure member, list element or map
// key/value, with the wire names that the reference overrides.
type Ref struct {
	Shape *Shape
	// LocationName overrides the name on the wire ("member", "key", or the
	// member name when empty).
	LocationName string
	// Flattened on the reference overrides the shape's own setting.
	Flattened bool
	// XMLNamespace is written as xmlns (or xmlns:Prefix) on the element.
	XMLNamespace       string
	XMLNamespacePrefix string
}

// Member is a structure member.
type Member struct {
	// Name is the member name of the model (the Go field name's origin).
	Name string
	Ref
	Required bool
}

// WireName is the name of the member on the wire.
func (m *Member) WireName() string {
	if m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

func (m *Member) flattened() bool { return m.Flattened || m.Shape.Flattened }

// elementName is the wire name of the member's parameter (input) or
// element(s) (output). For a flattened list without a locationName of its
// own, the list member's locationName names the elements, as botocore
// reads and writes them.
func (m *Member) elementName() string {
	if m.LocationName == "" && m.Shape.Kind == KindList && m.flattened() && m.Shape.Member.LocationName != "" {
		return m.Shape.Member.LocationName
	}
	return m.WireName()
}

// Service describes one AWS Query service: the version its requests carry and
// the XML namespace of its responses.
type Service struct {
	// Name is the IAM service prefix used in action names ("sts", "iam").
	Name string
	// Version is the API version a request must carry ("2011-06-15").
	Version string
	// Namespace is the XML namespace of responses.
	Namespace string
}

// matches reports whether s matches the shape's pattern as a whole, the way
// Java's Matcher.matches does. Patterns that RE2 cannot express have a
// hand-written matcher.
func (s *Shape) matches(v string) bool {
	s.patternOnce.Do(func() { s.match = compilePattern(s.Pattern) })
	return s.match(v)
}

// compilePattern turns a model pattern (Java syntax) into a matcher.
func compilePattern(p string) func(string) bool {
	if m, ok := javaOnlyPatterns[p]; ok {
		return m
	}
	if m := classMatcher(javaToRE2(p)); m != nil {
		return m
	}
	re, err := regexp.Compile(`^(?:` + javaToRE2(p) + `)$`)
	if err != nil {
		// A model pattern we cannot compile would silently accept
		// anything; fail closed instead. The generator test compiles
		// every STS and IAM pattern, so this is only reachable from
		// hand-made shapes.
		return func(string) bool { return false }
	}
	return re.MatchString
}

func regexpCompiles(p string) bool {
	_, err := regexp.Compile(`^(?:` + javaToRE2(p) + `)$`)
	return err == nil
}

// javaToRE2 rewrites Java's \uXXXX escapes (exactly four hex digits, as Java
// reads them) into RE2's \x{XXXX}.
func javaToRE2(p string) string {
	if !strings.Contains(p, `\u`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			if p[i+1] == 'u' && i+6 <= len(p) && isHex4(p[i+2:i+6]) {
				b.WriteString(`\x{` + p[i+2:i+6] + `}`)
				i += 5
				continue
			}
			b.WriteString(p[i : i+2])
			i++
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// javaOnlyPatterns holds matchers for model patterns that use Java regex
// features RE2 lacks (look-ahead). Keyed by the exact model pattern.
var javaOnlyPatterns = map[string]func(string) bool{
	// IAM accountAliasType: 3-63 of [a-z0-9-], starting and ending with
	// [a-z0-9], no "--".
	`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: matchAccountAlias,
}

func matchAccountAlias(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-':
			if i == 0 || i == len(s)-1 || s[i+1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// classMatcher returns a fast matcher for the most common shape of model
// pattern, one character class repeated ("[\w+=,.@-]*", "[\u0020-\u00FF]+"),
// or nil for anything else. It matches exactly what the regexp would, and
// is several times faster on the policy documents that pass through it.
func classMatcher(p string) func(string) bool {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	// Leading ^ and trailing $ are redundant: matches are whole anyway.
	if re.Op == syntax.OpConcat {
		subs := re.Sub
		if len(subs) > 0 && (subs[0].Op == syntax.OpBeginText || subs[0].Op == syntax.OpBeginLine) {
			subs = subs[1:]
		}
		if len(subs) > 0 && (subs[len(subs)-1].Op == syntax.OpEndText || subs[len(subs)-1].Op == syntax.OpEndLine) {
			subs = subs[:len(subs)-1]
		}
		if len(subs) != 1 {
			return nil
		}
		re = subs[0]
	}
	if (re.Op != syntax.OpStar && re.Op != syntax.OpPlus) || re.Sub[0].Op != syntax.OpCharClass {
		return nil
	}
	if re.Flags&syntax.FoldCase != 0 || re.Sub[0].Flags&syntax.FoldCase != 0 {
		return nil
	}
	ranges := re.Sub[0].Rune
	var ascii [utf8.RuneSelf]bool
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r < utf8.RuneSelf; r++ {
			ascii[r] = true
		}
	}
	nonEmpty := re.Op == syntax.OpPlus
	return func(s string) bool {
		if nonEmpty && s == "" {
			return false
		}
		for i := 0; i < len(s); {
			if c := s[i]; c < utf8.RuneSelf {
				if !ascii[c] {
					return false
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if !inRanges(ranges, r) {
				return false
			}
			i += size
		}
		return true
	}
}

func inRanges(ranges []rune, r rune) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] <= r && r <= ranges[i+1] {
			return true
		}
	}
	return false
}
