package policy

import "testing"

// ctxKV is a request context for tests: key → values (nil values means the
// key is present with an empty set).
type ctxKV map[string][]string

func requestWith(kv ctxKV) *Request {
	r := &Request{
		Caller: Caller{Kind: IAMUser, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333",
			UserName: "alice", UserID: "AIDAEXAMPLEALICE"},
		Action:   "s3:GetObject",
		Resource: "arn:aws:s3:::bucket/key",
	}
	for k, v := range kv {
		r.Context.Add(k, v...)
	}
	return r
}

// TestConditionOperators follows the operator tables and examples of
// reference_policies_elements_condition_operators in the IAM User Guide.
func TestConditionOperators(t *testing.T) {
	tests := []struct {
		name   string
		op     string
		key    string
		values []string
		ctx    ctxKV
		want   bool
	}{
		// String operators.
		{"StringEquals match", "StringEquals", "aws:PrincipalTag/job-category", []string{"iamuser-admin"}, ctxKV{"aws:PrincipalTag/job-category": {"iamuser-admin"}}, true},
		{"StringEquals is case-sensitive", "StringEquals", "aws:username", []string{"johndoe"}, ctxKV{"aws:username": {"JohnDoe"}}, false},
		{"StringEquals key name is case-insensitive", "StringEquals", "AWS:SourceVpc", []string{"vpc-1"}, ctxKV{"aws:sourcevpc": {"vpc-1"}}, true},
		{"StringEquals several values are ORed", "StringEquals", "aws:PrincipalTag/department", []string{"finance", "hr", "legal"}, ctxKV{"aws:PrincipalTag/department": {"hr"}}, true},
		{"StringEquals treats * literally", "StringEquals", "k", []string{"a*"}, ctxKV{"k": {"abc"}}, false},
		{"StringEquals missing key", "StringEquals", "k", []string{"a"}, nil, false},
		{"StringNotEquals missing key is true", "StringNotEquals", "k", []string{"a"}, nil, true},
		{"StringNotEquals NOR over values", "StringNotEquals", "aws:PrincipalAccount", []string{"111111111111", "222222222222"}, ctxKV{"aws:PrincipalAccount": {"222222222222"}}, false},
		{"StringNotEquals none match", "StringNotEquals", "aws:PrincipalAccount", []string{"111111111111", "222222222222"}, ctxKV{"aws:PrincipalAccount": {"333333333333"}}, true},
		{"StringEqualsIgnoreCase", "StringEqualsIgnoreCase", "aws:username", []string{"johndoe"}, ctxKV{"aws:username": {"JohnDoe"}}, true},
		{"StringNotEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "aws:username", []string{"johndoe"}, ctxKV{"aws:username": {"JohnDoe"}}, false},
		{"StringLike star", "StringLike", "s3:prefix", []string{"home/*"}, ctxKV{"s3:prefix": {"home/alice/x"}}, true},
		{"StringLike question", "StringLike", "k", []string{"a?c"}, ctxKV{"k": {"abc"}}, true},
		{"StringLike question needs one char", "StringLike", "k", []string{"a?c"}, ctxKV{"k": {"ac"}}, false},
		{"StringLike case-sensitive", "StringLike", "k", []string{"A*"}, ctxKV{"k": {"abc"}}, false},
		{"StringNotLike", "StringNotLike", "k", []string{"a*", "b*"}, ctxKV{"k": {"cat"}}, true},
		{"StringLike ${*} is a literal star", "StringLike", "k", []string{"a${*}"}, ctxKV{"k": {"ab"}}, false},
		{"StringLike ${*} matches a star", "StringLike", "k", []string{"a${*}"}, ctxKV{"k": {"a*"}}, true},

		// Numeric.
		{"NumericEquals", "NumericEquals", "s3:max-keys", []string{"10"}, ctxKV{"s3:max-keys": {"10"}}, true},
		{"NumericEquals decimal", "NumericEquals", "n", []string{"10"}, ctxKV{"n": {"10.0"}}, true},
		{"NumericNotEquals", "NumericNotEquals", "n", []string{"10"}, ctxKV{"n": {"11"}}, true},
		{"NumericLessThan", "NumericLessThan", "n", []string{"10"}, ctxKV{"n": {"9"}}, true},
		{"NumericLessThan equal", "NumericLessThan", "n", []string{"10"}, ctxKV{"n": {"10"}}, false},
		{"NumericLessThanEquals", "NumericLessThanEquals", "s3:max-keys", []string{"10"}, ctxKV{"s3:max-keys": {"10"}}, true},
		{"NumericGreaterThan", "NumericGreaterThan", "n", []string{"10"}, ctxKV{"n": {"10.5"}}, true},
		{"NumericGreaterThanEquals", "NumericGreaterThanEquals", "n", []string{"10"}, ctxKV{"n": {"9"}}, false},
		{"Numeric request value not a number", "NumericEquals", "n", []string{"10"}, ctxKV{"n": {"ten"}}, false},

		// Date.
		{"DateLessThan ISO", "DateLessThan", "aws:CurrentTime", []string{"2020-01-01T00:00:00Z"}, ctxKV{"aws:CurrentTime": {"2019-06-30T00:00:00Z"}}, true},
		{"DateGreaterThan ISO", "DateGreaterThan", "aws:CurrentTime", []string{"2020-01-01T00:00:00Z"}, ctxKV{"aws:CurrentTime": {"2019-06-30T00:00:00Z"}}, false},
		{"DateGreaterThan epoch policy value", "DateGreaterThan", "aws:TokenIssueTime", []string{"1577836800"}, ctxKV{"aws:TokenIssueTime": {"2020-01-01T00:00:01Z"}}, true},
		{"DateEquals date only", "DateEquals", "d", []string{"2020-01-01"}, ctxKV{"d": {"2020-01-01T00:00:00Z"}}, true},
		{"DateEquals zones", "DateEquals", "d", []string{"2020-01-01T02:00:00+02:00"}, ctxKV{"d": {"2020-01-01T00:00:00Z"}}, true},
		{"DateNotEquals", "DateNotEquals", "d", []string{"2020-01-01T00:00:00Z"}, ctxKV{"d": {"2020-01-01T00:00:01Z"}}, true},
		{"DateLessThanEquals fraction", "DateLessThanEquals", "d", []string{"2020-01-01T00:00:00Z"}, ctxKV{"d": {"2019-12-31T23:59:59.999Z"}}, true},
		{"DateGreaterThanEquals basic form", "DateGreaterThanEquals", "d", []string{"2020-01-01T00:00:00Z"}, ctxKV{"d": {"20200101T000000Z"}}, true},
		{"Date missing key", "DateLessThan", "aws:TokenIssueTime", []string{"2020-01-01T00:00:00Z"}, nil, false},

		// Bool.
		{"Bool true", "Bool", "aws:SecureTransport", []string{"true"}, ctxKV{"aws:SecureTransport": {"true"}}, true},
		{"Bool false", "Bool", "aws:SecureTransport", []string{"false"}, ctxKV{"aws:SecureTransport": {"true"}}, false},
		{"Bool case-insensitive", "Bool", "aws:MultiFactorAuthPresent", []string{"True"}, ctxKV{"aws:MultiFactorAuthPresent": {"true"}}, true},
		{"BoolIfExists missing", "BoolIfExists", "aws:MultiFactorAuthPresent", []string{"false"}, nil, true},

		// Binary.
		{"BinaryEquals", "BinaryEquals", "key", []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, ctxKV{"key": {"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, true},
		{"BinaryEquals different", "BinaryEquals", "key", []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, ctxKV{"key": {"AAAA"}}, false},

		// IP.
		{"IpAddress v4 CIDR", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, ctxKV{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"IpAddress v4 outside", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, ctxKV{"aws:SourceIp": {"203.0.114.7"}}, false},
		{"IpAddress v6 CIDR", "IpAddress", "aws:SourceIp", []string{"2001:DB8:1234:5678::/64"}, ctxKV{"aws:SourceIp": {"2001:db8:1234:5678::1"}}, true},
		{"IpAddress bare address", "IpAddress", "aws:SourceIp", []string{"192.0.2.1"}, ctxKV{"aws:SourceIp": {"192.0.2.1"}}, true},
		{"IpAddress mixed list", "IpAddress", "aws:SourceIp", []string{"192.0.2.0/24", "2001:DB8:1234:5678::/64"}, ctxKV{"aws:SourceIp": {"2001:db8:1234:5678:aa::1"}}, true},
		{"IpAddress v4-mapped request", "IpAddress", "aws:SourceIp", []string{"192.0.2.0/24"}, ctxKV{"aws:SourceIp": {"::ffff:192.0.2.9"}}, true},
		{"NotIpAddress", "NotIpAddress", "aws:SourceIp", []string{"192.0.2.0/24", "203.0.113.0/24"}, ctxKV{"aws:SourceIp": {"198.51.100.1"}}, true},
		{"NotIpAddress inside", "NotIpAddress", "aws:SourceIp", []string{"192.0.2.0/24", "203.0.113.0/24"}, ctxKV{"aws:SourceIp": {"203.0.113.1"}}, false},
		{"NotIpAddress missing key", "NotIpAddress", "aws:SourceIp", []string{"192.0.2.0/24"}, nil, true},

		// ARN.
		{"ArnEquals", "ArnEquals", "aws:SourceArn", []string{"arn:aws:sns:us-east-1:123456789012:topic"}, ctxKV{"aws:SourceArn": {"arn:aws:sns:us-east-1:123456789012:topic"}}, true},
		{"ArnEquals allows wildcards like ArnLike", "ArnEquals", "aws:SourceArn", []string{"arn:aws:sns:*:123456789012:*"}, ctxKV{"aws:SourceArn": {"arn:aws:sns:us-east-1:123456789012:topic"}}, true},
		{"ArnLike segment-wise", "ArnLike", "aws:SourceArn", []string{"arn:aws:s3:::bucket*"}, ctxKV{"aws:SourceArn": {"arn:aws:s3:::bucket-logs"}}, true},
		{"ArnLike star stays in its segment", "ArnLike", "aws:SourceArn", []string{"arn:aws:*::123456789012:x"}, ctxKV{"aws:SourceArn": {"arn:aws:sns:us-east-1:123456789012:x"}}, false},
		{"ArnLike not an ARN", "ArnLike", "aws:SourceArn", []string{"arn:aws:s3:::*"}, ctxKV{"aws:SourceArn": {"bucket"}}, false},
		{"ArnNotEquals", "ArnNotEquals", "aws:SourceArn", []string{"arn:aws:s3:::a"}, ctxKV{"aws:SourceArn": {"arn:aws:s3:::b"}}, true},
		{"ArnNotLike", "ArnNotLike", "aws:PrincipalArn", []string{"arn:aws:iam::*:role/admin*"}, ctxKV{"aws:PrincipalArn": {"arn:aws:iam::111122223333:role/admin-x"}}, false},

		// Null.
		{"Null true, key absent", "Null", "aws:TokenIssueTime", []string{"true"}, nil, true},
		{"Null true, key present", "Null", "aws:TokenIssueTime", []string{"true"}, ctxKV{"aws:TokenIssueTime": {"2020-01-01T00:00:00Z"}}, false},
		{"Null false, key present", "Null", "aws:TokenIssueTime", []string{"false"}, ctxKV{"aws:TokenIssueTime": {"2020-01-01T00:00:00Z"}}, true},
		{"Null false, key absent", "Null", "aws:TokenIssueTime", []string{"false"}, nil, false},
		{"Null true, empty set", "Null", "aws:TagKeys", []string{"true"}, ctxKV{"aws:TagKeys": nil}, true},

		// IfExists.
		{"StringLikeIfExists missing", "StringLikeIfExists", "ec2:InstanceType", []string{"t1.*", "t2.*", "m3.*"}, nil, true},
		{"StringLikeIfExists present", "StringLikeIfExists", "ec2:InstanceType", []string{"t1.*", "t2.*", "m3.*"}, ctxKV{"ec2:InstanceType": {"c5.large"}}, false},
		{"StringNotEqualsIfExists missing", "StringNotEqualsIfExists", "k", []string{"a"}, nil, true},
		{"NumericLessThanIfExists present", "NumericLessThanIfExists", "n", []string{"5"}, ctxKV{"n": {"4"}}, true},
		{"ArnLikeIfExists missing", "ArnLikeIfExists", "aws:SourceArn", []string{"arn:aws:s3:::x"}, nil, true},
		{"IpAddressIfExists missing", "IpAddressIfExists", "aws:SourceIp", []string{"10.0.0.0/8"}, nil, true},
		{"DateGreaterThanIfExists missing", "DateGreaterThanIfExists", "d", []string{"2020-01-01"}, nil, true},

		// Plain operators on multi-valued keys.
		{"plain positive any value", "StringEquals", "aws:TagKeys", []string{"b"}, ctxKV{"aws:TagKeys": {"a", "b"}}, true},
		{"plain negated NOR over request values", "StringNotEquals", "aws:TagKeys", []string{"b"}, ctxKV{"aws:TagKeys": {"a", "b"}}, false},

		// Variables in condition values.
		{"variable in StringLike", "StringLike", "s3:prefix", []string{"home/${aws:username}/*"}, ctxKV{"s3:prefix": {"home/alice/docs"}}, true},
		{"variable in StringLike other user", "StringLike", "s3:prefix", []string{"home/${aws:username}/*"}, ctxKV{"s3:prefix": {"home/bob/docs"}}, false},
		{"variable from tag", "StringEquals", "s3:ExistingObjectTag/Team", []string{"${aws:PrincipalTag/Team}"}, ctxKV{"s3:ExistingObjectTag/Team": {"red"}, "aws:PrincipalTag/Team": {"red"}}, true},
		{"missing variable: positive operator does not match", "StringEquals", "s3:ExistingObjectTag/Team", []string{"${aws:PrincipalTag/Team}"}, ctxKV{"s3:ExistingObjectTag/Team": {"red"}}, false},
		{"missing variable: negated operator matches", "StringNotEquals", "s3:ExistingObjectTag/Team", []string{"${aws:PrincipalTag/Team}"}, ctxKV{"s3:ExistingObjectTag/Team": {"red"}}, true},
		{"variable default", "StringEquals", "k", []string{"${aws:PrincipalTag/team, 'company-wide'}"}, ctxKV{"k": {"company-wide"}}, true},
		{"variable in ArnLike", "ArnLike", "aws:SourceArn", []string{"arn:aws:iam::111122223333:user/${aws:username}"}, ctxKV{"aws:SourceArn": {"arn:aws:iam::111122223333:user/alice"}}, true},
		{"variable in StringEqualsIgnoreCase", "StringEqualsIgnoreCase", "k", []string{"${aws:username}"}, ctxKV{"k": {"ALICE"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := compileCondition(Condition{Operator: tt.op, Key: tt.key, Values: tt.values}, true)
			if err != nil {
				t.Fatalf("compileCondition: %v", err)
			}
			e := env{req: requestWith(tt.ctx)}
			if got := c.eval(&e); got != tt.want {
				t.Errorf("%s %s %q with %v = %v, want %v", tt.op, tt.key, tt.values, tt.ctx, got, tt.want)
			}
		})
	}
}

// TestConditionSetOperators covers ForAllValues and ForAnyValue
// (reference_policies_multi-value-conditions), including the empty set and
// a missing key, and negated operators under each qualifier.
func TestConditionSetOperators(t *testing.T) {
	allowed := []string{"PostDateTime", "Message", "Tags"}
	tests := []struct {
		name   string
		op     string
		values []string
		ctx    ctxKV
		want   bool
	}{
		{"ForAllValues subset", "ForAllValues:StringEquals", allowed, ctxKV{"k": {"Message", "Tags"}}, true},
		{"ForAllValues one outside", "ForAllValues:StringEquals", allowed, ctxKV{"k": {"Message", "UserName"}}, false},
		{"ForAllValues empty set", "ForAllValues:StringEquals", allowed, ctxKV{"k": nil}, true},
		{"ForAllValues missing key", "ForAllValues:StringEquals", allowed, nil, true},
		{"ForAnyValue one inside", "ForAnyValue:StringEquals", []string{"ID", "PostDateTime"}, ctxKV{"k": {"PostDateTime", "Message"}}, true},
		{"ForAnyValue none inside", "ForAnyValue:StringEquals", []string{"ID", "PostDateTime"}, ctxKV{"k": {"UserName"}}, false},
		{"ForAnyValue empty set", "ForAnyValue:StringEquals", allowed, ctxKV{"k": nil}, false},
		{"ForAnyValue missing key", "ForAnyValue:StringEquals", allowed, nil, false},
		{"ForAnyValue IfExists missing key", "ForAnyValue:StringEqualsIfExists", allowed, nil, true},
		{"ForAllValues StringLike", "ForAllValues:StringLike", []string{"env*", "cost*"}, ctxKV{"k": {"environment", "costcenter"}}, true},
		{"ForAllValues StringNotEquals none listed", "ForAllValues:StringNotEquals", []string{"a", "b"}, ctxKV{"k": {"c", "d"}}, true},
		{"ForAllValues StringNotEquals one listed", "ForAllValues:StringNotEquals", []string{"a", "b"}, ctxKV{"k": {"c", "a"}}, false},
		{"ForAnyValue StringNotEquals one unlisted", "ForAnyValue:StringNotEquals", []string{"a", "b"}, ctxKV{"k": {"a", "c"}}, true},
		{"ForAnyValue StringNotEquals all listed", "ForAnyValue:StringNotEquals", []string{"a", "b"}, ctxKV{"k": {"a", "b"}}, false},
		{"ForAnyValue NumericLessThan", "ForAnyValue:NumericLessThan", []string{"5"}, ctxKV{"k": {"10", "3"}}, true},
		{"ForAllValues single value", "ForAllValues:StringEquals", allowed, ctxKV{"k": {"Tags"}}, true},
		{"qualifier is case-insensitive", "forallvalues:StringEquals", allowed, ctxKV{"k": {"Nope"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := compileCondition(Condition{Operator: tt.op, Key: "k", Values: tt.values}, true)
			if err != nil {
				t.Fatalf("compileCondition: %v", err)
			}
			e := env{req: requestWith(tt.ctx)}
			if got := c.eval(&e); got != tt.want {
				t.Errorf("%s %q with %v = %v, want %v", tt.op, tt.values, tt.ctx, got, tt.want)
			}
		})
	}
}

func TestConditionCompileErrors(t *testing.T) {
	tests := []Condition{
		{Operator: "StringEqualz", Key: "k", Values: []string{"a"}},
		{Operator: "ForSomeValues:StringEquals", Key: "k", Values: []string{"a"}},
		{Operator: "NumericEquals", Key: "k", Values: []string{"ten"}},
		{Operator: "DateEquals", Key: "k", Values: []string{"yesterday"}},
		{Operator: "Bool", Key: "k", Values: []string{"yes"}},
		{Operator: "BinaryEquals", Key: "k", Values: []string{"!!"}},
		{Operator: "IpAddress", Key: "k", Values: []string{"300.1.1.1/8"}},
		{Operator: "Null", Key: "k", Values: []string{"maybe"}},
	}
	for _, c := range tests {
		if _, err := compileCondition(c, true); err == nil {
			t.Errorf("compileCondition(%s %q) succeeded, want an error", c.Operator, c.Values)
		}
	}
}

func TestBuiltinKeys(t *testing.T) {
	r := &Request{Caller: Caller{Kind: AssumedRole, ARN: "arn:aws:sts::111122223333:assumed-role/dev/s1",
		SessionIssuer: "arn:aws:iam::111122223333:role/dev", Account: "111122223333", UserID: "AROAEXAMPLE:s1"}}
	e := env{req: r}
	tests := []struct {
		key  string
		want string
		ok   bool
	}{
		{"aws:PrincipalArn", "arn:aws:iam::111122223333:role/dev", true},
		{"aws:principalaccount", "111122223333", true},
		{"aws:PrincipalType", "AssumedRole", true},
		{"aws:userid", "AROAEXAMPLE:s1", true},
		{"aws:username", "", false}, // not present for role sessions
		{"aws:PrincipalServiceName", "", false},
		{"aws:ResourceAccount", "111122223333", true},
	}
	for _, tt := range tests {
		v, ok := e.lookup(tt.key)
		got := ""
		if ok {
			got = v.at(0)
		}
		if got != tt.want || ok != tt.ok {
			t.Errorf("lookup(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC, "" for invalid
	}{
		{"2020-01-01", "2020-01-01T00:00:00Z"},
		{"2020-01-01T10:20:30Z", "2020-01-01T10:20:30Z"},
		{"2020-01-01T10:20:30.5Z", "2020-01-01T10:20:30.5Z"},
		{"2020-01-01T10:20:30+02:00", "2020-01-01T08:20:30Z"},
		{"2020-01-01T10:20:30-05:00", "2020-01-01T15:20:30Z"},
		{"2020-01-01T10:20Z", "2020-01-01T10:20:00Z"},
		{"2020-01-01T10:20:30", "2020-01-01T10:20:30Z"},
		{"20200101T102030Z", "2020-01-01T10:20:30Z"},
		{"1577836800", "2020-01-01T00:00:00Z"},
		{"", ""},
		{"yesterday", ""},
		{"2020-13-01", ""},
		{"1577836800000000", ""},
	}
	for _, tt := range tests {
		got, ok := parseDate(tt.in)
		s := ""
		if ok {
			s = got.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")
		}
		if s != tt.want {
			t.Errorf("parseDate(%q) = %q, want %q", tt.in, s, tt.want)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for in, want := range map[string]bool{"10": true, "-1.5": true, "+3": true, "1e5": false, "": false, "1-2": false, ".": false, "0x10": false} {
		if _, ok := parseNumber(in); ok != want {
			t.Errorf("parseNumber(%q) ok = %v, want %v", in, ok, want)
		}
	}
}
