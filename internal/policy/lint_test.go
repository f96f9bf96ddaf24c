package policy

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/policy/servicereference"
	"github.com/brevet-dev/brevet/internal/vectortest"
	"github.com/google/go-cmp/cmp"
)

// stubCatalog is a hand-written Catalog: s3 with GetObject and ListBucket,
// ssm with SendCommand on ec2 instances.
type stubCatalog struct{}

func (stubCatalog) KnownService(p string) bool {
	p = strings.ToLower(p)
	return p == "s3" || p == "ssm"
}

func (stubCatalog) ActionResourceServices(service, pattern string) ([]string, bool) {
	actions := map[string][]string{
		"s3:getobject": {"s3"}, "s3:listbucket": {"s3"}, "ssm:sendcommand": {"ssm", "ec2", "s3"},
	}
	var out []string
	matched := false
	for name, svcs := range actions {
		if globMatch(strings.ToLower(service+":"+pattern), name) {
			matched = true
			out = append(out, svcs...)
		}
	}
	return out, matched
}

func (stubCatalog) ConditionKeyType(key string) (string, bool) {
	switch strings.ToLower(key) {
	case "s3:max-keys":
		return "Numeric", true
	case "s3:prefix":
		return "String", true
	case "s3:tagkeys":
		return "ArrayOfString", true
	}
	return "", false
}

func TestLint(t *testing.T) {
	stmt := func(body string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Allow",` + body + `}]}`
	}
	tests := []struct {
		name string
		doc  string
		cat  Catalog
		want []string // codes
	}{
		{"clean", stmt(`"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), nil, nil},
		{"resource of another service", stmt(`"Action":"s3:GetObject","Resource":"arn:aws:ec2:us-east-1:123456789012:instance/*"`), nil, []string{WarnResourceService}},
		{"one action fits", stmt(`"Action":["s3:GetObject","ec2:StartInstances"],"Resource":"arn:aws:ec2:us-east-1:123456789012:instance/*"`), nil, nil},
		{"wildcard action", stmt(`"Action":"*","Resource":"arn:aws:ec2:us-east-1:123456789012:instance/*"`), nil, nil},
		{"NotResource not checked", stmt(`"Action":"s3:GetObject","NotResource":"arn:aws:ec2:us-east-1:123456789012:instance/*"`), nil, nil},
		{"sts acts on iam roles", stmt(`"Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/r"`), nil, nil},
		{"reference knows ssm acts on ec2", stmt(`"Action":"ssm:SendCommand","Resource":["arn:aws:ec2:*:*:instance/*","arn:aws:s3:::b"]`), stubCatalog{}, nil},
		{"numeric on SourceIp", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"aws:SourceIp":"10"}}`), nil, []string{WarnConditionType}},
		{"date on string key", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"DateGreaterThan":{"aws:username":"2020-01-01"}}`), nil, []string{WarnConditionType}},
		{"ip on non-ip key", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceVpc":"10.0.0.0/8"}}`), nil, []string{WarnConditionType}},
		{"string on arn key", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`), nil, nil},
		{"qualified operators", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:StringEqualsIfExists":{"aws:PrincipalTag/team":"a"},"NumericLessThanIfExists":{"aws:EpochTime":"1"},"Null":{"aws:SourceIp":"true"}}`), nil, nil},
		{"condition values", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"},"NumericLessThan":{"aws:MultiFactorAuthAge":["3600","1h"]},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32","192.0.2.1","10.0.0.300/8"]},"Null":{"aws:TokenIssueTime":"True"},"NumericEquals":{"s3:max-keys":"${aws:PrincipalTag/n}"}}`), nil,
			[]string{WarnConditionValue, WarnConditionValue, WarnConditionValue}},
		{"values that never match", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/33","::1/129","192.0.2.1/24","10.0.0.1 "]},"NotIpAddress":{"aws:SourceIp":"ten"},"Null":{"aws:TokenIssueTime":["1","yes"]},"Bool":{"aws:MultiFactorAuthPresent":[true,"False",0]},"NumericGreaterThan":{"aws:MultiFactorAuthAge":["1e3","0x10"]},"BinaryEquals":{"s3:x":["QmluYXJ5","not base64!"]}}`), nil,
			[]string{WarnConditionValue, WarnConditionValue, WarnConditionValue, WarnConditionValue, WarnConditionValue, WarnConditionValue, WarnConditionValue, WarnConditionValue, WarnConditionValue}},
		{"lone surrogate escape", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":["\ud800bob","bob"]},"StringLike":{"s3:prefix":"\udfff/*"}}`), nil,
			[]string{WarnConditionValue, WarnConditionValue}},
		{"valid surrogate pair", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"\ud83d\ude00"}}`), nil, nil},
		{"same key in different case", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice","aws:UserName":"bob","aws:USERNAME":"carol"},"StringLike":{"aws:username":"a*"}}`), nil,
			[]string{WarnDuplicateKey, WarnDuplicateKey}},
		{"ForAllValues on single-valued key", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:PrincipalTag/team":"a","aws:TagKeys":"b"},"ForAnyValue:StringLike":{"aws:username":"x"}}`), nil, []string{WarnSetOperator}},
		{"unknown global key", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SoruceVpc":"v"}}`), nil, []string{WarnUnknownKey}},
		{"service key unchecked without reference", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:nosuch":"v"}}`), nil, nil},
		{"service key with reference", stmt(`"Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:nosuch":"v","accounts.google.com:sub":"x"},"NumericLessThan":{"s3:prefix":"3","s3:max-keys":"3"},"StringLike":{"s3:TagKeys":"a"}}`), stubCatalog{}, []string{WarnUnknownKey, WarnConditionType}},
		{"unknown action and service", stmt(`"Action":["s3:GetObjectz","s3:Put*","s4:GetObject","s3:Get*","*"],"Resource":"*"`), stubCatalog{}, []string{WarnUnknownAction, WarnUnknownAction, WarnUnknownService}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := ParseAndValidate([]byte(tt.doc), TypeIdentity)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range Lint(doc, tt.cat) {
				got = append(got, w.Code)
				if w.Statement != 0 || w.Sid != "S" || w.Message == "" {
					t.Errorf("warning %+v lacks its place or message", w)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lint codes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLintMessage(t *testing.T) {
	doc, err := ParseAndValidate([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"aws:SourceIp":"10"}}}}`), TypeIdentity)
	if err != nil {
		t.Fatal(err)
	}
	got := Lint(doc, nil)[0].String()
	want := "statement 0: condition-type-mismatch: NumericLessThan compares Numeric values, but aws:SourceIp is of type IPAddress"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestLintManagedPolicies runs Lint with the real service reference over
// the AWS managed policies: AWS's own policies should be almost free of
// warnings, so many would mean Lint is wrong.
func TestLintManagedPolicies(t *testing.T) {
	dir := vectortest.Dir(t, "iam-service-reference-iam-data/data")
	ref, err := servicereference.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	names, docs := managedPolicies(t)
	counts := map[string]int{}
	for _, name := range names {
		doc, err := Parse(docs[name])
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range Lint(doc, ref) {
			counts[w.Code]++
			if testing.Verbose() {
				t.Logf("%s: %s", name, w)
			}
		}
	}
	var lines []string
	total := 0
	for code, n := range counts {
		lines = append(lines, code)
		total += n
	}
	sort.Strings(lines)
	t.Logf("%d warnings over %d managed policies: %v", total, len(names), counts)
	// AWS's own policies do hold a few real slips (StringEquals on a Bool
	// key, IoT statements listing role ARNs), and the reference lags new
	// actions; these bounds catch Lint going wrong wholesale.
	if counts[WarnConditionType] > 5 || counts[WarnResourceService] > 30 || counts[WarnUnknownKey] > 5 || counts[WarnConditionValue] > 0 || counts[WarnSetOperator] > 10 {
		t.Errorf("too many type or resource warnings on AWS's own policies: %v", counts)
	}
}
