package awsquery

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/brevet-dev/brevet/internal/request"
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
	// Brevet's host join tokens (brevetapi): the hash is the token's id,
	// so CreateJoinToken's event and the EnrollHost that used the token
	// match.
	"JoinToken": true,
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
		return request.HiddenValue
	}
	switch s.Kind {
	case KindStructure:
		keys := s.auditKeys()
		n := 0
		for i := range s.Members {
			if i < len(v.Elems) && v.Elems[i].Set {
				n++
			}
		}
		// Sized for the members present, not all of them: a map of up to
		// eight entries is one group, and most requests set few members.
		m := make(map[string]any, n)
		for i := range s.Members {
			if i < len(v.Elems) && v.Elems[i].Set {
				mem, k := &s.Members[i], &keys[i]
				if k.hashed {
					m[k.name] = HashAssertion(v.Elems[i].Str)
					continue
				}
				m[k.name] = auditValue(mem.Shape, &v.Elems[i])
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

// auditKey is how one structure member appears in audit records.
type auditKey struct {
	// name is the lowerCamelCase key (lowerFirst of the member name).
	name string
	// hashed is set for the bearer assertions of hashedMembers.
	hashed bool
}

// auditKeys returns the audit key of each member, computed on first use
// and kept with the shape: every request's record needs them, and
// lower-casing the names per request cost an allocation per member.
func (s *Shape) auditKeys() []auditKey {
	s.auditOnce.Do(func() {
		keys := make([]auditKey, len(s.Members))
		for i := range s.Members {
			m := &s.Members[i]
			keys[i] = auditKey{name: lowerFirst(m.Name), hashed: hashedMembers[m.Name] && m.Shape.Kind == KindString}
		}
		s.audit = keys
	})
	return s.audit
}
