package awsquery

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// AssertionHashPrefix starts the value recorded in place of a bearer
// assertion (a SAML assertion or web identity token): "sha256:" and the
// hex SHA-256 of the value as received.
const AssertionHashPrefix = "sha256:"

// hashedMembers are the sensitive members whose values are bearer
// assertions. Their audit value is a SHA-256 rather than HiddenValue, so
// that an event can be matched to an assertion someone holds (the issue's
// "record a SHA-256 of an assertion or token") without letting anyone who
// reads the trail replay it.
var hashedMembers = map[string]bool{
	"WebIdentityToken": true,
	"SAMLAssertion":    true,
}

// HashAssertion is the audit value of a bearer assertion.
func HashAssertion(s string) string {
	sum := sha256.Sum256([]byte(s))
	return AssertionHashPrefix + hex.EncodeToString(sum[:])
}

// auditMap renders a structure Value for an audit record: lowerCamelCase
// keys, as CloudTrail's requestParameters and responseElements, with the
// values of sensitive shapes replaced by HiddenValue (or, for the bearer
// assertions in hashedMembers, by their SHA-256). The redaction is driven
// by the model's sensitive trait, so no action can forget it.
func auditMap(s *Shape, v *Value) map[string]any {
	m, _ := auditValue(s, v).(map[string]any)
	return m
}

func auditValue(s *Shape, v *Value) any {
	if s.Sensitive {
		return HiddenValue
	}
	switch s.Kind {
	case KindStructure:
		m := make(map[string]any, len(s.Members))
		for i := range s.Members {
			if i < len(v.Elems) && v.Elems[i].Set {
				mem := &s.Members[i]
				if hashedMembers[mem.Name] && mem.Shape.Kind == KindString {
					m[lowerFirst(mem.Name)] = HashAssertion(v.Elems[i].Str)
					continue
				}
				m[lowerFirst(mem.Name)] = auditValue(mem.Shape, &v.Elems[i])
			}
		}
		return m
	case KindList:
		l := make([]any, len(v.Elems))
		for i := range v.Elems {
			l[i] = auditValue(s.Member.Shape, &v.Elems[i])
		}
		return l
	case KindMap:
		m := make(map[string]any, len(v.Elems))
		for i := range v.Elems {
			kv := v.Elems[i].Elems
			m[kv[0].Str] = auditValue(s.Value.Shape, &kv[1])
		}
		return m
	case KindString:
		return v.Str
	case KindBoolean:
		return v.Bool
	case KindInteger, KindLong:
		return v.Int
	case KindFloat, KindDouble:
		return v.Float
	case KindTimestamp:
		return formatISO8601(v.Time)
	case KindBlob:
		return base64.StdEncoding.EncodeToString(v.Bytes)
	}
	return nil
}
