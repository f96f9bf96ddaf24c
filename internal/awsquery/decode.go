package awsquery

import (
	"encoding/base64"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Param is one name=value pair of a Query request, unescaped.
type Param struct {
	Name, Value string
}

// maxListElems bounds the elements of any one list or map in a request. The
// largest list in the STS and IAM models allows 50; the bound keeps the
// decoder linear on hostile input.
const maxListElems = 1000

// ParseForm splits an application/x-www-form-urlencoded body into
// parameters, in order, appending to dst; '+' is a space. A bad
// percent-escape is MalformedQueryString, as AWS reports it.
func ParseForm(dst []Param, s string) ([]Param, error) { return parseParams(dst, s, true) }

// ParseQuery is ParseForm for a URL's raw query string, where '+' is a
// literal plus. SigV4 canonicalizes the query that way, so the parameters
// the action sees are exactly the ones that were signed: reading '+' as a
// space here would let anyone on the path turn a signed "a+b" into "a b".
func ParseQuery(dst []Param, s string) ([]Param, error) { return parseParams(dst, s, false) }

func parseParams(dst []Param, s string, plusIsSpace bool) ([]Param, error) {
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := unescape(k, plusIsSpace)
		if err != nil {
			return dst, err
		}
		if v, err = unescape(v, plusIsSpace); err != nil {
			return dst, err
		}
		dst = append(dst, Param{k, v})
	}
	return dst, nil
}

func unescape(s string, plusIsSpace bool) (string, error) {
	if strings.IndexByte(s, '%') < 0 && (!plusIsSpace || strings.IndexByte(s, '+') < 0) {
		return s, nil
	}
	unescapeFn := url.PathUnescape
	if plusIsSpace {
		unescapeFn = url.QueryUnescape
	}
	u, err := unescapeFn(s)
	if err != nil {
		return "", CodeMalformedQueryString.New("The query string contains a syntax error: invalid percent-encoding.")
	}
	return u, nil
}

// protocolParam reports whether a parameter belongs to the protocol or to
// authentication (Action, Version, SigV4 presigning, legacy SigV2) rather
// than to the action's input.
func protocolParam(name string) bool {
	switch name {
	case "Action", "Version",
		"AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
		"Timestamp", "Expires", "SecurityToken":
		return true
	}
	return strings.HasPrefix(name, "X-Amz-")
}

// Decode decodes the input parameters of one request into a Value of the
// structure shape s, rejecting parameters the shape does not name, repeated
// parameters and malformed values. Protocol parameters (see protocolParam)
// are skipped. It does not validate constraints; see Validate.
func Decode(s *Shape, params []Param) (Value, error) {
	if s == nil {
		s = emptyStructure
	}
	v := Value{Set: true, Elems: make([]Value, len(s.Members))}
	for _, p := range params {
		if protocolParam(p.Name) {
			continue
		}
		if err := setStruct(&v, s, p.Name, p.Name, p.Value); err != nil {
			return Value{}, err
		}
	}
	if err := finish(&v, s); err != nil {
		return Value{}, err
	}
	return v, nil
}

func unknownParam(full string) error {
	return CodeInvalidQueryParameter.Errorf("The parameter %s is not recognized.", truncate(full))
}

// truncate keeps hostile parameter names from bloating error responses.
func truncate(s string) string {
	const max = 128
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

func setStruct(v *Value, s *Shape, key, full, val string) error {
	name, rest, hasRest := strings.Cut(key, ".")
	for i := range s.Members {
		m := &s.Members[i]
		if m.elementName() != name {
			continue
		}
		if v.Elems == nil {
			v.Elems = make([]Value, len(s.Members))
		}
		v.Set = true
		return set(&v.Elems[i], &m.Ref, m.flattened(), rest, hasRest, full, val)
	}
	return unknownParam(full)
}

// set assigns val to the part of v that key (relative to v) addresses.
func set(v *Value, r *Ref, flattened bool, key string, hasKey bool, full, val string) error {
	s := r.Shape
	switch s.Kind {
	case KindStructure:
		if !hasKey {
			return unknownParam(full)
		}
		return setStruct(v, s, key, full, val)
	case KindList:
		if !hasKey {
			// "List=" with no value is an empty list.
			if val != "" || v.Set {
				return unknownParam(full)
			}
			v.Set = true
			return nil
		}
		if !flattened {
			var seg string
			seg, key, hasKey = strings.Cut(key, ".")
			if seg != listMemberName(s) || !hasKey {
				return unknownParam(full)
			}
		}
		var idx string
		idx, key, hasKey = strings.Cut(key, ".")
		e, err := element(v, idx, full)
		if err != nil {
			return err
		}
		return set(e, s.Member, s.Member.Flattened || s.Member.Shape.Flattened, key, hasKey, full, val)
	case KindMap:
		if !hasKey {
			if val != "" || v.Set {
				return unknownParam(full)
			}
			v.Set = true
			return nil
		}
		if !flattened {
			var seg string
			seg, key, hasKey = strings.Cut(key, ".")
			if seg != "entry" || !hasKey {
				return unknownParam(full)
			}
		}
		var idx, part string
		idx, key, hasKey = strings.Cut(key, ".")
		if !hasKey {
			return unknownParam(full)
		}
		part, key, hasKey = strings.Cut(key, ".")
		e, err := element(v, idx, full)
		if err != nil {
			return err
		}
		if e.Elems == nil {
			e.Elems = make([]Value, 2)
		}
		e.Set = true
		switch part {
		case refName(s.Key, "key"):
			return set(&e.Elems[0], s.Key, false, key, hasKey, full, val)
		case refName(s.Value, "value"):
			return set(&e.Elems[1], s.Value, s.Value.Flattened || s.Value.Shape.Flattened, key, hasKey, full, val)
		}
		return unknownParam(full)
	}
	if hasKey {
		return unknownParam(full)
	}
	if v.Set {
		return CodeInvalidQueryParameter.Errorf("The parameter %s appears more than once.", truncate(full))
	}
	return setScalar(v, s, full, val)
}

func listMemberName(s *Shape) string { return refName(s.Member, "member") }

func refName(r *Ref, def string) string {
	if r.LocationName != "" {
		return r.LocationName
	}
	return def
}

// element returns the list or map element with wire index idx, adding it
// if new. Indexes are 1-based decimals without leading zeros; gaps are
// allowed and closed up in index order by finish.
func element(v *Value, idx, full string) (*Value, error) {
	n, ok := parseIndex(idx)
	if !ok {
		return nil, unknownParam(full)
	}
	v.Set = true
	// Parameters usually arrive grouped by element, so look from the end.
	for i := len(v.Elems) - 1; i >= 0; i-- {
		if v.Elems[i].idx == n {
			return &v.Elems[i], nil
		}
	}
	if len(v.Elems) >= maxListElems {
		return nil, CodeInvalidQueryParameter.Errorf("The parameter %s has too many members.", truncate(full))
	}
	if v.Elems == nil {
		v.Elems = make([]Value, 0, 4)
	}
	v.Elems = append(v.Elems, Value{idx: n})
	return &v.Elems[len(v.Elems)-1], nil
}

func parseIndex(s string) (int32, bool) {
	if s == "" || len(s) > 9 || s[0] == '0' {
		return 0, false
	}
	var n int32
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int32(c-'0')
	}
	return n, true
}

func setScalar(v *Value, s *Shape, full, val string) error {
	switch s.Kind {
	case KindString:
		v.Str = val
	case KindBoolean:
		switch {
		case strings.EqualFold(val, "true"):
			v.Bool = true
		case strings.EqualFold(val, "false"):
			v.Bool = false
		default:
			return badValue(s, full, val, "a boolean")
		}
	case KindInteger, KindLong:
		bits := 64
		if s.Kind == KindInteger {
			bits = 32
		}
		n, err := strconv.ParseInt(val, 10, bits)
		if err != nil {
			return badValue(s, full, val, "an integer in range")
		}
		v.Int = n
	case KindFloat, KindDouble:
		f, err := strconv.ParseFloat(val, 64)
		if err != nil && !math.IsInf(f, 0) {
			return badValue(s, full, val, "a number")
		}
		v.Float = f
	case KindTimestamp:
		t, err := parseTimestamp(val, s.TimestampFormat)
		if err != nil {
			return badValue(s, full, val, "a timestamp")
		}
		v.Time = t
	case KindBlob:
		b, err := base64.StdEncoding.DecodeString(val)
		if err != nil {
			return badValue(s, full, val, "base64-encoded")
		}
		v.Bytes = b
	default:
		return unknownParam(full)
	}
	v.Set = true
	return nil
}

func badValue(s *Shape, full, val, want string) error {
	if s.Sensitive {
		val = redacted
	}
	return CodeInvalidParameterValue.Errorf("Value '%s' for parameter %s is invalid: it must be %s.", truncate(val), truncate(full), want)
}

// parseTimestamp reads a timestamp in the shape's format. ISO 8601 is the
// Query protocol's default: RFC 3339 with optional fractional seconds and a
// Z or numeric offset.
func parseTimestamp(s string, f TimestampFormat) (time.Time, error) {
	switch f {
	case TimestampUnix:
		sec, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(sec) || math.IsInf(sec, 0) || math.Abs(sec) > 1e12 {
			return time.Time{}, errBadTimestamp
		}
		whole, frac := math.Modf(sec)
		return time.Unix(int64(whole), int64(math.Round(frac*1e3))*1e6).UTC(), nil
	case TimestampRFC822:
		return time.Parse(time.RFC1123, s)
	}
	return time.Parse(time.RFC3339Nano, s)
}

var errBadTimestamp = CodeInvalidParameterValue.New("bad timestamp")

// finish orders list and map elements by wire index, recursively, and
// checks that every map entry has a key and keys are unique.
func finish(v *Value, s *Shape) error {
	switch s.Kind {
	case KindStructure:
		for i := range v.Elems {
			if v.Elems[i].Set {
				if err := finish(&v.Elems[i], s.Members[i].Shape); err != nil {
					return err
				}
			}
		}
	case KindList:
		sortByIndex(v.Elems)
		for i := range v.Elems {
			if err := finish(&v.Elems[i], s.Member.Shape); err != nil {
				return err
			}
		}
	case KindMap:
		sortByIndex(v.Elems)
		for i := range v.Elems {
			kv := v.Elems[i].Elems
			if !kv[0].Set {
				return CodeMissingParameter.Errorf("A map entry is missing its key.")
			}
			for j := range i {
				if v.Elems[j].Elems[0].Str == kv[0].Str {
					return CodeInvalidQueryParameter.Errorf("The map key %s appears more than once.", truncate(kv[0].Str))
				}
			}
			if kv[1].Set {
				if err := finish(&kv[1], s.Value.Shape); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sortByIndex is an insertion sort: elements nearly always arrive in order.
func sortByIndex(e []Value) {
	for i := 1; i < len(e); i++ {
		for j := i; j > 0 && e[j].idx < e[j-1].idx; j-- {
			e[j], e[j-1] = e[j-1], e[j]
		}
	}
}
