package policy

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Warning is a likely mistake in a valid policy: something AWS accepts but
// that cannot do what its author meant.
type Warning struct {
	// Statement is the index of the statement in Document.Statements.
	Statement int
	Sid       string
	// Code names the kind of mistake, stable for scripts:
	// resource-service-mismatch, condition-type-mismatch, condition-value,
	// duplicate-condition-key, set-operator, unknown-condition-key,
	// unknown-service, unknown-action.
	Code    string
	Message string
}

func (w Warning) String() string {
	where := fmt.Sprintf("statement %d", w.Statement)
	if w.Sid != "" {
		where += fmt.Sprintf(" (%s)", w.Sid)
	}
	return fmt.Sprintf("%s: %s: %s", where, w.Code, w.Message)
}

// The warning codes.
const (
	WarnResourceService = "resource-service-mismatch"
	WarnConditionType   = "condition-type-mismatch"
	WarnUnknownKey      = "unknown-condition-key"
	WarnUnknownService  = "unknown-service"
	WarnUnknownAction   = "unknown-action"
	WarnConditionValue  = "condition-value"
	WarnDuplicateKey    = "duplicate-condition-key"
	WarnSetOperator     = "set-operator"
)

// Catalog is what Lint needs from the AWS Service Authorization Reference.
// servicereference.Reference provides it; Lint works without one, with
// fewer checks.
type Catalog interface {
	// KnownService reports whether prefix (any case) names a service.
	KnownService(prefix string) bool
	// ActionResourceServices reports whether any action of service matches
	// the name pattern (with * and ?), and returns the service fields of
	// the resource ARNs those actions act on.
	ActionResourceServices(service, pattern string) (arnServices []string, matched bool)
	// ConditionKeyType returns the reference's type for a condition key
	// ("String", "ArrayOfARN", ...) and whether the key is known.
	ConditionKeyType(key string) (typ string, ok bool)
}

// Lint returns warnings for likely mistakes in doc, which should already
// have passed Validate. cat may be nil.
//
// Without a catalog Lint checks that each Resource can belong to the
// service of some Action in its statement, and that condition operators fit
// the type of the global aws:* keys they test. With one it also checks
// action names (wildcard patterns must match something), service condition
// keys, and their types.
func Lint(doc *Document, cat Catalog) []Warning {
	if doc == nil {
		return nil
	}
	var out []Warning
	for i := range doc.Statements {
		s := &doc.Statements[i]
		add := func(code, format string, args ...any) {
			out = append(out, Warning{Statement: i, Sid: s.Sid, Code: code, Message: fmt.Sprintf(format, args...)})
		}
		if cat != nil {
			lintActions(s, cat, add)
		}
		lintResourceServices(s, cat, add)
		lintConditions(s, cat, add)
	}
	return out
}

type addFunc func(code, format string, args ...any)

func lintActions(s *Statement, cat Catalog, add addFunc) {
	for _, a := range append(append(Values{}, s.Action...), s.NotAction...) {
		service, name, ok := strings.Cut(a, ":")
		if !ok || strings.ContainsAny(service, "*?") {
			continue
		}
		if !cat.KnownService(service) {
			add(WarnUnknownService, "action %s: no AWS service has the prefix %q", a, service)
			continue
		}
		if _, matched := cat.ActionResourceServices(service, name); !matched {
			if strings.ContainsAny(name, "*?") {
				add(WarnUnknownAction, "action pattern %s matches no %s action", a, service)
			} else {
				add(WarnUnknownAction, "action %s does not exist in %s", a, service)
			}
		}
	}
}

// resourceAliases lists, for services whose actions act on another
// service's resources, those services' ARN prefixes. The service reference
// knows more; this is what Lint assumes without one.
var resourceAliases = map[string][]string{
	"sts":                  {"iam"},
	"ssm":                  {"ec2"},
	"ssmmessages":          {"ec2", "ssm"},
	"codestar-connections": {"codeconnections"},
	"codeconnections":      {"codestar-connections"},
	"ec2messages":          {"ec2"},
	"ec2-instance-connect": {"ec2"},
}

func lintResourceServices(s *Statement, cat Catalog, add addFunc) {
	if len(s.Action) == 0 || len(s.Resource) == 0 {
		return // NotAction and NotResource can match anything
	}
	allowed := map[string]bool{}
	for _, a := range s.Action {
		service, name, ok := strings.Cut(strings.ToLower(a), ":")
		if !ok || strings.ContainsAny(service, "*?") {
			return // "*" or a service wildcard: any resource may fit
		}
		allowed[service] = true
		for _, alias := range resourceAliases[service] {
			allowed[alias] = true
		}
		if cat != nil {
			arnServices, _ := cat.ActionResourceServices(service, name)
			for _, svc := range arnServices {
				allowed[strings.ToLower(svc)] = true
			}
		}
	}
	for _, r := range s.Resource {
		fields := strings.SplitN(r, ":", 4)
		if len(fields) < 4 {
			continue
		}
		svc := strings.ToLower(fields[2])
		if svc == "" || strings.ContainsAny(svc, "*?$") || allowed[svc] {
			continue
		}
		add(WarnResourceService, "resource %s belongs to %s, but no action in the statement (%s) acts on %s resources",
			r, svc, strings.Join(s.Action, ", "), svc)
	}
}

func lintConditions(s *Statement, cat Catalog, add addFunc) {
	lintDuplicateKeys(s, add)
	for _, c := range s.Condition {
		for _, v := range c.Values {
			switch {
			case strings.ContainsRune(v, utf8.RuneError):
				// Parse refuses invalid UTF-8; U+FFFD is what a lone
				// \ud800-\udfff escape reads as, as in encoding/json.
				add(WarnConditionValue, "%s value %+q contains U+FFFD, the replacement character (a lone UTF-16 surrogate escape reads as one): it matches only values that contain U+FFFD",
					c.Operator, v)
			case !conditionValueFits(c.Operator, v):
				add(WarnConditionValue, "%s cannot compare %q: it is not %s", c.Operator, v, conditionValueWant(c.Operator))
			}
		}
		op := operatorKeyType(c.Operator)
		types, multi, known := conditionKeyTypes(c.Key, cat)
		if !known {
			if msg := unknownKeyMessage(c.Key, cat); msg != "" {
				add(WarnUnknownKey, "%s", msg)
			}
			continue
		}
		if !operatorFits(op, types) {
			add(WarnConditionType, "%s compares %s values, but %s is of type %s",
				c.Operator, op, c.Key, typeList(types))
		}
		if strings.HasPrefix(c.Operator, "ForAllValues:") && !multi {
			// With no value in the request, ForAllValues is true: on a
			// single-valued key it allows requests that lack the key.
			add(WarnSetOperator, "%s on single-valued key %s also matches requests without the key; use %s",
				c.Operator, c.Key, strings.TrimPrefix(c.Operator, "ForAllValues:"))
		}
	}
}

// lintDuplicateKeys warns about condition keys that one operator names
// twice in different case (Parse refuses the same spelling twice). Keys
// are case-insensitive, so both conditions test the same value, and both
// must hold: as IAM Access Analyzer says, which one was meant is unclear.
func lintDuplicateKeys(s *Statement, add addFunc) {
	for i, c := range s.Condition {
		for _, earlier := range s.Condition[:i] {
			if earlier.Operator == c.Operator && earlier.Key != c.Key && strings.EqualFold(earlier.Key, c.Key) {
				add(WarnDuplicateKey, "%s names %s and %s, the same key in different case: both conditions must hold",
					c.Operator, earlier.Key, c.Key)
				break
			}
		}
	}
}

// conditionKeyTypes returns the operator families a key works with and
// whether it is multivalued.
func conditionKeyTypes(key string, cat Catalog) ([]KeyType, bool, bool) {
	if gk, ok := lookupGlobalKey(key); ok {
		return gk.types, gk.multi, true
	}
	if cat != nil {
		if typ, ok := cat.ConditionKeyType(key); ok {
			t, multi := referenceKeyType(typ)
			return []KeyType{t}, multi, true
		}
	}
	return nil, false, false
}

// unknownKeyMessage says why key is suspect, or "" when Lint cannot tell:
// keys of identity providers (accounts.google.com:sub) and of services the
// catalog does not describe are not checked.
func unknownKeyMessage(key string, cat Catalog) string {
	prefix, _, _ := strings.Cut(key, ":")
	switch {
	case strings.EqualFold(prefix, "aws"):
		return fmt.Sprintf("%s is not a global condition key", key)
	case cat != nil && cat.KnownService(prefix):
		return fmt.Sprintf("condition key %s is not defined by %s", key, prefix)
	}
	return ""
}

func typeList(types []KeyType) string {
	s := make([]string, len(types))
	for i, t := range types {
		s[i] = string(t)
	}
	return strings.Join(s, " or ")
}

// conditionValueFits reports whether a condition value can be read by its
// operator. A value holding a policy variable is only known at request
// time and always fits; Date values are checked by Validate, as AWS
// rejects bad ones.
func conditionValueFits(operator, v string) bool {
	if strings.Contains(v, "${") {
		return true
	}
	base, _ := splitValidOperator(operator)
	switch {
	case base == "Bool" || base == "Null":
		return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	case strings.HasPrefix(base, "Numeric"):
		_, err := strconv.ParseFloat(v, 64)
		return err == nil
	case base == "IpAddress" || base == "NotIpAddress":
		if _, err := netip.ParsePrefix(v); err == nil {
			return true
		}
		_, err := netip.ParseAddr(v)
		return err == nil
	case base == "BinaryEquals":
		_, err := base64.StdEncoding.DecodeString(v)
		return err == nil
	}
	return true
}

func conditionValueWant(operator string) string {
	base, _ := splitValidOperator(operator)
	switch {
	case base == "Bool" || base == "Null":
		return "true or false"
	case strings.HasPrefix(base, "Numeric"):
		return "a number"
	case base == "BinaryEquals":
		return "base64"
	}
	return "an IP address or CIDR block"
}
