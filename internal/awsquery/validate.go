package awsquery

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// redacted replaces sensitive values in messages and audit records.
const redacted = "*** Sensitive Data Redacted ***"

// Validate checks a decoded structure against its shape's constraints
// (required, length, range, pattern, enum) and reports every violation in
// one ValidationError worded as STS words it, the offending value quoted:
//
//	1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*
//
// Member paths are lowerCamelCase; list elements are addressed as
// 'tags.1.member.key'. Sensitive values are redacted. ValidateFor words
// the message as the given service does.
func Validate(s *Shape, v *Value) error { return validate(s, v, false) }

// ValidateFor is Validate worded as svc words it. IAM quotes no values
// ("Value at 'tags' failed to satisfy constraint: ..."), reports a bad
// element of a list of strings once, at the list, with every constraint
// its members carry ("Member must satisfy constraint: [...]"), and answers
// a name or path that breaks its pattern with a sentence of its own ("The
// specified value for userName is invalid. ..."). STS quotes the value.
func ValidateFor(svc *Service, s *Shape, v *Value) error {
	return validate(s, v, svc != nil && svc.Name == "iam")
}

func validate(s *Shape, v *Value, iamStyle bool) error {
	if s == nil {
		return nil
	}
	// The path is passed down by value, not kept in the validator, so
	// that pathBuf stays on the stack: a store through *validator would
	// move it to the heap on every request.
	var pathBuf [16]string
	vd := validator{iamStyle: iamStyle}
	vd.structure(pathBuf[:0], s, v)
	if vd.special != "" {
		return CodeValidationError.New(vd.special)
	}
	if len(vd.errs) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(vd.errs)))
	if len(vd.errs) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	b.WriteString(strings.Join(vd.errs, "; "))
	return CodeValidationError.New(b.String())
}

type validator struct {
	errs     []string
	iamStyle bool
	// special is IAM's own sentence for a name or path that breaks its
	// pattern; it replaces the whole message.
	special string
}

// IAM's patterns that have a sentence of their own when broken.
const (
	iamNamePattern       = `[\w+=,.@-]+`
	iamPathPattern       = `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
	iamPathPrefixPattern = `\u002F[\u0021-\u007F]*`
	iamPolicyPathPattern = `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
)

// iamPatternSentence is IAM's message for a value at field that breaks
// pattern, or "" when IAM words that failure the generic way. The texts
// are AWS's (an AttachUserPolicy with a bad userName, a CreateRole with a
// path not ending in "/", a ListPolicies with PathPrefix "/foo").
func iamPatternSentence(field, pattern string) string {
	switch {
	case pattern == iamNamePattern:
		return "The specified value for " + field + " is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"
	case field == "pathPrefix" && (pattern == iamPathPrefixPattern || pattern == iamPolicyPathPattern):
		return "The specified value for pathPrefix is invalid. It must begin with the / character and contain only alphanumeric characters and/or / characters."
	case pattern == iamPathPattern || pattern == iamPolicyPathPattern:
		return "The specified value for " + field + " is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."
	}
	return ""
}

// fail records a violation at path. Path segments are model member names
// (lowerCamelCased here, only on failure), list indexes and the words
// "member", "entry", "key", "value".
func (vd *validator) fail(path []string, val, constraint string) {
	vd.failWith(path, val, "Member must "+constraint)
}

// failWith records a violation whose constraint text is given whole. IAM
// quotes no value; STS quotes it ("null" for a missing member).
func (vd *validator) failWith(path []string, val, constraint string) {
	segs := make([]string, len(path))
	for i, s := range path {
		segs[i] = lowerFirst(s)
	}
	at := "Value " + val + " at '"
	if vd.iamStyle {
		at = "Value at '"
	}
	vd.errs = append(vd.errs, at+strings.Join(segs, ".")+"' failed to satisfy constraint: "+constraint)
}

func (vd *validator) structure(path []string, s *Shape, v *Value) {
	for i := range s.Members {
		m := &s.Members[i]
		var mv *Value
		if i < len(v.Elems) {
			mv = &v.Elems[i]
		}
		if mv == nil || !mv.Set {
			if m.Required {
				vd.fail(append(path, m.Name), "null", "not be null")
			}
			continue
		}
		vd.value(append(path, m.Name), m.Shape, mv)
	}
}

func (vd *validator) value(path []string, s *Shape, v *Value) {
	switch s.Kind {
	case KindString:
		vd.length(path, s, v, utf16Len(v.Str))
		if s.Pattern != "" && !s.matches(v.Str) {
			if vd.iamStyle && vd.special == "" && len(path) > 0 {
				if msg := iamPatternSentence(lowerFirst(path[len(path)-1]), s.Pattern); msg != "" {
					vd.special = msg
					return
				}
			}
			vd.fail(path, quoteValue(s, v), "satisfy regular expression pattern: "+s.Pattern)
		}
		if len(s.Enum) > 0 && !contains(s.Enum, v.Str) {
			vd.fail(path, quoteValue(s, v), "satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
		}
	case KindBlob:
		vd.length(path, s, v, len(v.Bytes))
	case KindInteger, KindLong:
		if s.HasMin && v.Int < s.Min {
			vd.fail(path, quoteValue(s, v), "have value greater than or equal to "+strconv.FormatInt(s.Min, 10))
		}
		if s.HasMax && v.Int > s.Max {
			vd.fail(path, quoteValue(s, v), "have value less than or equal to "+strconv.FormatInt(s.Max, 10))
		}
	case KindFloat, KindDouble:
		if s.HasMin && v.Float < float64(s.Min) {
			vd.fail(path, quoteValue(s, v), "have value greater than or equal to "+strconv.FormatInt(s.Min, 10))
		}
		if s.HasMax && v.Float > float64(s.Max) {
			vd.fail(path, quoteValue(s, v), "have value less than or equal to "+strconv.FormatInt(s.Max, 10))
		}
	case KindStructure:
		vd.structure(path, s, v)
	case KindList:
		vd.length(path, s, v, len(v.Elems))
		if vd.iamStyle && isScalar(s.Member.Shape.Kind) {
			vd.scalarList(path, s.Member.Shape, v)
			return
		}
		for i := range v.Elems {
			vd.value(append(path, strconv.Itoa(i+1), "member"), s.Member.Shape, &v.Elems[i])
		}
	case KindMap:
		vd.length(path, s, v, len(v.Elems))
		for i := range v.Elems {
			kv := v.Elems[i].Elems
			entry := append(path, "entry", strconv.Itoa(i+1), "key")
			vd.value(entry, s.Key.Shape, &kv[0])
			if kv[1].Set {
				entry[len(entry)-1] = "value"
				vd.value(entry, s.Value.Shape, &kv[1])
			}
		}
	}
}

func isScalar(k Kind) bool { return k != KindStructure && k != KindList && k != KindMap }

// scalarList checks the elements of a list of scalars the way IAM does: a
// bad element is reported once, at the list, with every constraint a
// member carries, as in
//
//	Value at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ..., Member must not be null]
func (vd *validator) scalarList(path []string, m *Shape, v *Value) {
	var probe validator
	for i := range v.Elems {
		probe.value(nil, m, &v.Elems[i])
		if len(probe.errs) > 0 {
			break
		}
	}
	if len(probe.errs) == 0 {
		return
	}
	var cs []string
	if m.HasMax {
		cs = append(cs, "Member must have "+boundWord(m)+" less than or equal to "+strconv.FormatInt(m.Max, 10))
	}
	if m.HasMin {
		cs = append(cs, "Member must have "+boundWord(m)+" greater than or equal to "+strconv.FormatInt(m.Min, 10))
	}
	if m.Pattern != "" {
		cs = append(cs, "Member must satisfy regular expression pattern: "+m.Pattern)
	}
	if len(m.Enum) > 0 {
		cs = append(cs, "Member must satisfy enum value set: ["+strings.Join(m.Enum, ", ")+"]")
	}
	// AWS lists "not null" for TagKeys' members but not for ClientIDList's
	// or ThumbprintList's (recorded answers); of the model's shapes only the
	// pattern tells them apart.
	if m.Pattern != "" {
		cs = append(cs, "Member must not be null")
	}
	vd.failWith(path, "", "Member must satisfy constraint: ["+strings.Join(cs, ", ")+"]")
}

// boundWord is what a member's bounds limit: a string's length, a number's value.
func boundWord(s *Shape) string {
	switch s.Kind {
	case KindInteger, KindLong, KindFloat, KindDouble:
		return "value"
	}
	return "length"
}

func (vd *validator) length(path []string, s *Shape, v *Value, n int) {
	if s.HasMin && int64(n) < s.Min {
		vd.fail(path, quoteValue(s, v), "have length greater than or equal to "+strconv.FormatInt(s.Min, 10))
	}
	if s.HasMax && int64(n) > s.Max {
		vd.fail(path, quoteValue(s, v), "have length less than or equal to "+strconv.FormatInt(s.Max, 10))
	}
}

// utf16Len counts UTF-16 code units, as the Java services AWS runs do.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// quoteValue renders a value for a validation message, in single quotes,
// roughly as Java's toString would; sensitive values are redacted and long
// ones truncated.
func quoteValue(s *Shape, v *Value) string {
	if s.Sensitive {
		return "'" + redacted + "'"
	}
	var b strings.Builder
	b.WriteByte('\'')
	writeValue(&b, s, v)
	b.WriteByte('\'')
	out := b.String()
	const max = 1024
	if len(out) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = out[:cut] + "...'"
	}
	return out
}

func writeValue(b *strings.Builder, s *Shape, v *Value) {
	if s.Sensitive {
		b.WriteString(redacted)
		return
	}
	switch s.Kind {
	case KindString:
		b.WriteString(v.Str)
	case KindBoolean:
		b.WriteString(strconv.FormatBool(v.Bool))
	case KindInteger, KindLong:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case KindFloat, KindDouble:
		b.WriteString(strconv.FormatFloat(v.Float, 'g', -1, 64))
	case KindTimestamp:
		b.WriteString(formatISO8601(v.Time))
	case KindBlob:
		b.WriteString(strconv.Itoa(len(v.Bytes)) + " bytes")
	case KindList:
		b.WriteByte('[')
		for i := range v.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, s.Member.Shape, &v.Elems[i])
		}
		b.WriteByte(']')
	case KindMap:
		b.WriteByte('{')
		for i := range v.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			kv := v.Elems[i].Elems
			writeValue(b, s.Key.Shape, &kv[0])
			b.WriteByte('=')
			writeValue(b, s.Value.Shape, &kv[1])
		}
		b.WriteByte('}')
	case KindStructure:
		b.WriteByte('{')
		first := true
		for i := range s.Members {
			if i >= len(v.Elems) || !v.Elems[i].Set {
				continue
			}
			if !first {
				b.WriteString(", ")
			}
			first = false
			b.WriteString(s.Members[i].Name + ": ")
			writeValue(b, s.Members[i].Shape, &v.Elems[i])
		}
		b.WriteByte('}')
	}
}
