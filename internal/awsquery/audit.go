package awsquery

import "encoding/base64"

// auditMap renders a structure Value for an audit record: lowerCamelCase
// keys, as CloudTrail's requestParameters and responseElements, with the
// values of sensitive shapes replaced by HiddenValue. The redaction is
// driven by the model's sensitive trait, so no action can forget it.
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
				m[lowerFirst(s.Members[i].Name)] = auditValue(s.Members[i].Shape, &v.Elems[i])
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
