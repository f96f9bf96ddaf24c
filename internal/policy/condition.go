package policy

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition operators, compiled once: the operator name is split into its
// set qualifier (ForAllValues:/ForAnyValue:), base operator and IfExists
// suffix, and the policy's values are converted to the operator's type
// (numbers, times, CIDR prefixes, bytes, patterns) so evaluation only
// converts the request's values.

// baseOp is a condition operator without qualifier, negation or IfExists.
type baseOp uint8

const (
	opStringEquals baseOp = iota + 1
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnLike
	opNull
)

// setQual is a condition's set operator.
type setQual uint8

const (
	setNone setQual = iota
	setForAll
	setForAny
)

// operatorTable maps each operator name (lower case, without qualifier and
// IfExists) to its base operator and whether it is negated.
var operatorTable = map[string]struct {
	op     baseOp
	negate bool
}{
	"stringequals":              {opStringEquals, false},
	"stringnotequals":           {opStringEquals, true},
	"stringequalsignorecase":    {opStringEqualsIgnoreCase, false},
	"stringnotequalsignorecase": {opStringEqualsIgnoreCase, true},
	"stringlike":                {opStringLike, false},
	"stringnotlike":             {opStringLike, true},
	"numericequals":             {opNumericEquals, false},
	"numericnotequals":          {opNumericEquals, true},
	"numericlessthan":           {opNumericLessThan, false},
	"numericlessthanequals":     {opNumericLessThanEquals, false},
	"numericgreaterthan":        {opNumericGreaterThan, false},
	"numericgreaterthanequals":  {opNumericGreaterThanEquals, false},
	"dateequals":                {opDateEquals, false},
	"datenotequals":             {opDateEquals, true},
	"datelessthan":              {opDateLessThan, false},
	"datelessthanequals":        {opDateLessThanEquals, false},
	"dategreaterthan":           {opDateGreaterThan, false},
	"dategreaterthanequals":     {opDateGreaterThanEquals, false},
	"bool":                      {opBool, false},
	"binaryequals":              {opBinaryEquals, false},
	"ipaddress":                 {opIPAddress, false},
	"notipaddress":              {opIPAddress, true},
	"arnequals":                 {opArnLike, false},
	"arnlike":                   {opArnLike, false},
	"arnnotequals":              {opArnLike, true},
	"arnnotlike":                {opArnLike, true},
	"null":                      {opNull, false},
}

// cond is one compiled (operator, key) pair.
type cond struct {
	key      string
	op       baseOp
	negate   bool
	ifExists bool
	set      setQual

	// The policy's values, in the form the operator compares; only the
	// slice for op is set.
	strs  []pat
	arns  []arnPat
	nums  []float64
	times []time.Time
	bools []string
	bins  [][]byte
	nets  []netip.Prefix
	nulls []bool
}

// compileCondition compiles one Condition. vars enables policy variables in
// string and ARN values.
func compileCondition(c Condition, vars bool) (cond, error) {
	name := c.Operator
	out := cond{key: c.Key}
	if q, rest, ok := strings.Cut(name, ":"); ok {
		switch {
		case strings.EqualFold(q, "ForAllValues"):
			out.set = setForAll
		case strings.EqualFold(q, "ForAnyValue"):
			out.set = setForAny
		default:
			return cond{}, fmt.Errorf("unknown condition set operator %q", q)
		}
		name = rest
	}
	lower := strings.ToLower(name)
	if base, ok := strings.CutSuffix(lower, "ifexists"); ok && base != "null" {
		out.ifExists = true
		lower = base
	}
	entry, ok := operatorTable[lower]
	if !ok {
		return cond{}, fmt.Errorf("unknown condition operator %q", c.Operator)
	}
	out.op, out.negate = entry.op, entry.negate
	for _, v := range c.Values {
		if err := out.addValue(v, vars); err != nil {
			return cond{}, fmt.Errorf("condition %s %q: %w", c.Operator, c.Key, err)
		}
	}
	return out, nil
}

func (c *cond) addValue(v string, vars bool) error {
	switch c.op {
	case opStringEquals, opStringEqualsIgnoreCase:
		c.strs = append(c.strs, compilePat(v, false, vars))
	case opStringLike:
		c.strs = append(c.strs, compilePat(v, true, vars))
	case opArnLike:
		c.arns = append(c.arns, compileARNPat(v, vars))
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		n, ok := parseNumber(v)
		if !ok {
			return fmt.Errorf("%q is not a number", v)
		}
		c.nums = append(c.nums, n)
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return fmt.Errorf("%q is not an ISO 8601 date or epoch time", v)
		}
		c.times = append(c.times, t)
	case opBool:
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return fmt.Errorf("%q is not a boolean", v)
		}
		c.bools = append(c.bools, v)
	case opBinaryEquals:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return fmt.Errorf("%q is not base64", v)
		}
		c.bins = append(c.bins, b)
	case opIPAddress:
		p, ok := parseIPPrefix(v)
		if !ok {
			return fmt.Errorf("%q is not an IP address or CIDR block", v)
		}
		c.nets = append(c.nets, p)
	case opNull:
		switch {
		case strings.EqualFold(v, "true"):
			c.nulls = append(c.nulls, true)
		case strings.EqualFold(v, "false"):
			c.nulls = append(c.nulls, false)
		default:
			return fmt.Errorf("%q is not a boolean", v)
		}
	}
	return nil
}

// eval reports whether the condition holds for the request.
//
// The rules, from the IAM User Guide (condition operators and multivalued
// conditions):
//   - a missing key (or one with no values) makes positive operators false
//     and negated operators true; ...IfExists makes it true; ForAllValues is
//     true and ForAnyValue false for a missing key or an empty set;
//   - several policy values for one key are ORed; for a negated operator
//     that is NOR (the request value must match none of them);
//   - ForAnyValue: some request value matches; ForAllValues: every request
//     value matches, where "matches" is the (possibly negated) operator
//     applied to that one value. Without a qualifier a multi-valued key
//     matches a positive operator when any value matches, and a negated
//     operator when no value matches.
func (c *cond) eval(e *env) bool {
	vals, present := e.lookup(c.key)
	if present && vals.len() == 0 {
		present = false
	}
	if c.op == opNull {
		for _, wantNull := range c.nulls {
			if wantNull == !present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case c.ifExists:
			return true
		case c.set == setForAll:
			return true
		case c.set == setForAny:
			return false
		}
		return c.negate
	}
	n := vals.len()
	switch c.set {
	case setForAny:
		for i := 0; i < n; i++ {
			if c.matchAny(e, vals.at(i)) != c.negate {
				return true
			}
		}
		return false
	case setForAll:
		for i := 0; i < n; i++ {
			if c.matchAny(e, vals.at(i)) == c.negate {
				return false
			}
		}
		return true
	}
	for i := 0; i < n; i++ {
		if c.matchAny(e, vals.at(i)) {
			return !c.negate
		}
	}
	return c.negate
}

// matchAny reports whether one request value matches at least one of the
// policy's values under the positive form of the operator.
func (c *cond) matchAny(e *env, v string) bool {
	switch c.op {
	case opStringEquals, opStringLike:
		for i := range c.strs {
			if c.strs[i].match(e, v, false) {
				return true
			}
		}
	case opStringEqualsIgnoreCase:
		for i := range c.strs {
			if c.strs[i].matchFold(e, v) {
				return true
			}
		}
	case opArnLike:
		for i := range c.arns {
			if c.arns[i].match(e, v) {
				return true
			}
		}
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		x, ok := parseNumber(v)
		if !ok {
			return false
		}
		for _, p := range c.nums {
			if compareOK(c.op-opNumericEquals, cmpFloat(x, p)) {
				return true
			}
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, p := range c.times {
			if compareOK(c.op-opDateEquals, t.Compare(p)) {
				return true
			}
		}
	case opBool:
		for _, p := range c.bools {
			if strings.EqualFold(v, p) {
				return true
			}
		}
	case opBinaryEquals:
		var buf [512]byte
		if base64.StdEncoding.DecodedLen(len(v)) > len(buf) {
			return false
		}
		n, err := base64.StdEncoding.Decode(buf[:], []byte(v))
		if err != nil {
			return false
		}
		for _, p := range c.bins {
			if bytes.Equal(buf[:n], p) {
				return true
			}
		}
	case opIPAddress:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range c.nets {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

// compareOK interprets a three-way comparison for the operator at offset
// rel from its family's Equals (Equals, LessThan, LessThanEquals,
// GreaterThan, GreaterThanEquals, in that order for both families).
func compareOK(rel baseOp, cmp int) bool {
	switch rel {
	case 0:
		return cmp == 0
	case 1:
		return cmp < 0
	case 2:
		return cmp <= 0
	case 3:
		return cmp > 0
	case 4:
		return cmp >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseNumber parses a Numeric* value: an integer or a decimal.
func parseNumber(s string) (float64, bool) {
	if s == "" || !numberShaped(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// numberShaped checks the text before strconv sees it, so a bad request
// value is rejected without allocating a *strconv.NumError.
func numberShaped(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' || c == '+':
			if i != 0 {
				return false
			}
		case c == '.':
		default:
			return false
		}
	}
	return digits > 0 && digits <= 300
}

// parseDate parses the date forms AWS accepts in Date* conditions and in
// aws:CurrentTime: ISO 8601 (date, date-time with or without a zone or
// fraction, and the basic form 20060102T150405Z) or epoch seconds. The
// layout is chosen from the text's shape so a bad value does not allocate
// an error from each layout tried.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if allDigits(s) {
		if len(s) > 12 {
			return time.Time{}, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	var layout string
	switch {
	case len(s) == 10 && s[4] == '-':
		layout = "2006-01-02"
	case len(s) == 16 && s[8] == 'T' && s[15] == 'Z':
		layout = "20060102T150405Z"
	case len(s) >= 19 && s[4] == '-' && s[10] == 'T' && (strings.HasSuffix(s, "Z") || hasZoneOffset(s)):
		layout = time.RFC3339 // also accepts a fraction after the seconds
	case len(s) == 17 && s[4] == '-' && s[10] == 'T' && s[16] == 'Z':
		layout = "2006-01-02T15:04Z07:00"
	case len(s) >= 19 && s[4] == '-' && s[10] == 'T':
		layout = "2006-01-02T15:04:05"
	default:
		return time.Time{}, false
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

func hasZoneOffset(s string) bool {
	n := len(s)
	return n >= 25 && (s[n-6] == '+' || s[n-6] == '-') && s[n-3] == ':'
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseIPPrefix parses a CIDR block or a bare address (a /32 or /128).
func parseIPPrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// matchFold compares v with the pattern ignoring case (StringEqualsIgnoreCase).
func (p *pat) matchFold(e *env, v string) bool {
	if p.plain {
		return strings.EqualFold(p.raw, v)
	}
	var buf [maxResolvedToks]patTok
	toks, ok := p.resolve(e, buf[:])
	if !ok {
		return false
	}
	return globTokens(toks, v, true)
}
