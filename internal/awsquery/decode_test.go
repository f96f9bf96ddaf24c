package awsquery_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
)

// decodeInput runs the decoding half of the pipeline: form → Value →
// validation → typed input.
func decodeInput[In, Out any](op *awsquery.Operation[In, Out], body string) (*In, error) {
	params, err := awsquery.ParseForm(nil, body)
	if err != nil {
		return nil, err
	}
	v, err := awsquery.Decode(op.Input, params)
	if err != nil {
		return nil, err
	}
	if err := awsquery.Validate(op.Input, &v); err != nil {
		return nil, err
	}
	return op.DecodeInput(&v), nil
}

const assumeRolePolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"ReadOnlyBucket","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::example-bucket","arn:aws:s3:::example-bucket/*"],"Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`

func assumeRoleBody() string {
	v := url.Values{}
	v.Set("Action", "AssumeRole")
	v.Set("Version", "2011-06-15")
	v.Set("RoleArn", "arn:aws:iam::123456789012:role/demo")
	v.Set("RoleSessionName", "alice@example.com")
	v.Set("DurationSeconds", "3600")
	v.Set("Tags.member.1.Key", "Project")
	v.Set("Tags.member.1.Value", "Unicorn")
	v.Set("Tags.member.2.Key", "Team")
	v.Set("Tags.member.2.Value", "Automation")
	v.Set("Policy", assumeRolePolicy)
	return v.Encode()
}

func ptr[T any](v T) *T { return &v }

func TestDecodeAssumeRole(t *testing.T) {
	got, err := decodeInput(stsapi.AssumeRole, assumeRoleBody())
	if err != nil {
		t.Fatal(err)
	}
	want := &stsapi.AssumeRoleRequest{
		RoleArn:         "arn:aws:iam::123456789012:role/demo",
		RoleSessionName: "alice@example.com",
		Policy:          assumeRolePolicy,
		DurationSeconds: ptr[int32](3600),
		Tags:            []stsapi.Tag{{Key: "Project", Value: "Unicorn"}, {Key: "Team", Value: "Automation"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AssumeRole input mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeListOrderAndGaps(t *testing.T) {
	// Elements are ordered by index whatever the parameter order, and
	// gaps close up.
	body := "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=s1" +
		"&TransitiveTagKeys.member.7=c&TransitiveTagKeys.member.2=a&TransitiveTagKeys.member.5=b"
	got, err := decodeInput(stsapi.AssumeRole, body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, got.TransitiveTagKeys); diff != "" {
		t.Errorf("TransitiveTagKeys mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeIAMCreateRole(t *testing.T) {
	body := "Action=CreateRole&Version=2010-05-08&RoleName=demo&Path=%2Fapps%2F" +
		"&AssumeRolePolicyDocument=%7B%7D&MaxSessionDuration=7200" +
		"&Tags.member.1.Key=env&Tags.member.1.Value=prod"
	got, err := decodeInput(iamapi.CreateRole, body)
	if err != nil {
		t.Fatal(err)
	}
	want := &iamapi.CreateRoleRequest{
		Path:                     "/apps/",
		RoleName:                 "demo",
		AssumeRolePolicyDocument: "{}",
		MaxSessionDuration:       ptr[int32](7200),
		Tags:                     []iamapi.Tag{{Key: "env", Value: "prod"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CreateRole input mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeErrors(t *testing.T) {
	const arn = "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo"
	const base = arn + "&RoleSessionName=s1"
	tests := []struct {
		name     string
		body     string
		wantCode *awsquery.Code
		wantMsg  string
	}{
		{"unknown parameter", base + "&Foo=bar", awsquery.CodeInvalidQueryParameter,
			"The parameter Foo is not recognized."},
		{"unknown nested parameter", base + "&Tags.member.1.Colour=red", awsquery.CodeInvalidQueryParameter,
			"The parameter Tags.member.1.Colour is not recognized."},
		{"scalar with a suffix", base + "&DurationSeconds.member.1=900", awsquery.CodeInvalidQueryParameter,
			"The parameter DurationSeconds.member.1 is not recognized."},
		{"duplicate parameter", base + "&RoleSessionName=t", awsquery.CodeInvalidQueryParameter,
			"The parameter RoleSessionName appears more than once."},
		{"duplicate list element", base + "&TransitiveTagKeys.member.1=a&TransitiveTagKeys.member.1=b", awsquery.CodeInvalidQueryParameter,
			"The parameter TransitiveTagKeys.member.1 appears more than once."},
		{"list index zero", base + "&TransitiveTagKeys.member.0=a", awsquery.CodeInvalidQueryParameter,
			"The parameter TransitiveTagKeys.member.0 is not recognized."},
		{"list index leading zero", base + "&TransitiveTagKeys.member.01=a", awsquery.CodeInvalidQueryParameter,
			"The parameter TransitiveTagKeys.member.01 is not recognized."},
		{"list index not a number", base + "&TransitiveTagKeys.member.x=a", awsquery.CodeInvalidQueryParameter,
			"The parameter TransitiveTagKeys.member.x is not recognized."},
		{"list without member", base + "&TransitiveTagKeys.1=a", awsquery.CodeInvalidQueryParameter,
			"The parameter TransitiveTagKeys.1 is not recognized."},
		{"integer not a number", base + "&DurationSeconds=abc", awsquery.CodeInvalidParameterValue,
			"Value 'abc' for parameter DurationSeconds is invalid: it must be an integer in range."},
		{"integer overflow", base + "&DurationSeconds=2147483648", awsquery.CodeInvalidParameterValue,
			"Value '2147483648' for parameter DurationSeconds is invalid: it must be an integer in range."},
		{"bad percent escape", base + "&Policy=%zz", awsquery.CodeMalformedQueryString,
			"The query string contains a syntax error: invalid percent-encoding."},
		{"out of range", base + "&DurationSeconds=100", awsquery.CodeValidationError,
			"1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"too long", arn + "&RoleSessionName=" + strings.Repeat("a", 65), awsquery.CodeValidationError,
			"1 validation error detected: Value '" + strings.Repeat("a", 65) + "' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"pattern", arn + "&RoleSessionName=a+b", awsquery.CodeValidationError,
			`1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"too short and pattern", arn + "&RoleSessionName=%21", awsquery.CodeValidationError,
			`2 validation errors detected: Value '!' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; ` +
				`Value '!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"missing required", "RoleSessionName=s1", awsquery.CodeValidationError,
			"1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"},
		{"missing two required", "", awsquery.CodeValidationError,
			"2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"},
		{"missing in list element", base + "&Tags.member.1.Key=k", awsquery.CodeValidationError,
			"1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"},
		{"list too long", base + tagKeys(51), awsquery.CodeValidationError,
			"1 validation error detected: Value '[" + strings.TrimSuffix(strings.Repeat("k, ", 51), ", ") + "]' at 'transitiveTagKeys' failed to satisfy constraint: Member must have length less than or equal to 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeInput(stsapi.AssumeRole, tt.body)
			checkWireError(t, err, tt.wantCode, tt.wantMsg)
		})
	}
}

func tagKeys(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("&TransitiveTagKeys.member." + itoa(i) + "=k")
	}
	return b.String()
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func checkWireError(t *testing.T, err error, code *awsquery.Code, msg string) {
	t.Helper()
	var we *awsquery.Error
	if !errors.As(err, &we) {
		t.Fatalf("error = %v, want a wire error %s", err, code.Name)
	}
	if we.Code != code {
		t.Errorf("code = %s, want %s", we.Code.Name, code.Name)
	}
	if we.Message != msg {
		t.Errorf("message:\n got %q\nwant %q", we.Message, msg)
	}
}

func TestDecodeSensitiveValueRedacted(t *testing.T) {
	body := "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=s1&WebIdentityToken=abc"
	_, err := decodeInput(stsapi.AssumeRoleWithWebIdentity, body)
	checkWireError(t, err, awsquery.CodeValidationError,
		"1 validation error detected: Value '*** Sensitive Data Redacted ***' at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4")
}

func TestDecodeEnum(t *testing.T) {
	body := "UserName=bob&AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=Sleeping"
	_, err := decodeInput(iamapi.UpdateAccessKey, body)
	checkWireError(t, err, awsquery.CodeValidationError,
		"1 validation error detected: Value 'Sleeping' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]")
}

func TestProtocolParametersAreSkipped(t *testing.T) {
	body := "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x&X-Amz-Signature=y"
	if _, err := decodeInput(stsapi.GetCallerIdentity, body); err != nil {
		t.Errorf("GetCallerIdentity with presign parameters: %v", err)
	}
}

// TestGeneratedPatternsCompile walks every shape the generated tables reach
// and checks each pattern compiles, so no constraint silently fails closed.
func TestGeneratedPatternsCompile(t *testing.T) {
	seen := map[*awsquery.Shape]bool{}
	var walk func(s *awsquery.Shape)
	walk = func(s *awsquery.Shape) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if s.Pattern != "" && !awsquery.PatternCompiles(s.Pattern) {
			t.Errorf("shape %s: pattern %q does not compile", s.Name, s.Pattern)
		}
		for _, m := range s.Members {
			walk(m.Shape)
		}
		for _, r := range []*awsquery.Ref{s.Member, s.Key, s.Value} {
			if r != nil {
				walk(r.Shape)
			}
		}
	}
	ops := append(append([]*awsquery.OperationInfo{}, stsapi.Operations...), iamapi.Operations...)
	for _, op := range ops {
		walk(op.Input)
		walk(op.Output)
	}
	if got := len(ops); got != 11+176 {
		t.Errorf("operations = %d, want 187", got)
	}
}

func TestModelPatterns(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{`[\w+=,.@-]*`, "alice@example.com", true},
		{`[\w+=,.@-]*`, "a b", false},
		{`[\u0009\u000A\u000D\u0020-\u00FF]+`, "{\"Version\":\"2012-10-17\"}\n", true},
		{`[\u0009\u000A\u000D\u0020-\u00FF]+`, "\x01", false},
		{`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`, "my-alias", true},
		{`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`, "my--alias", false},
		{`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`, "-alias", false},
		{`\d{12}`, "123456789012", true},
		{`\d{12}`, "1234567890123", false},
	}
	for _, tt := range tests {
		if got := awsquery.MatchPattern(tt.pattern, tt.value); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

// TestClassMatcherAgreesWithRegexp checks the character-class fast path
// against the regexp for every model pattern that uses it.
func TestClassMatcherAgreesWithRegexp(t *testing.T) {
	samples := []string{"", "a", "alice@example.com", "a b", "/path/", "{\"Version\":\"2012-10-17\"}\n\t\r",
		"\x00", "\x7f", "é", "日本語", "\U0001F600", "\xff\xfe", "\u0085", "\uFFFD", "\uFFFE", "arn:aws:iam::123456789012:role/x",
		"under_score-dash.dot", "tab\there", "AKIA0123", "p-12345678", "o-abcdefghij", ":", "\\", "v1.2"}
	qualified := 0
	for _, op := range append(append([]*awsquery.OperationInfo{}, stsapi.Operations...), iamapi.Operations...) {
		for _, s := range []*awsquery.Shape{op.Input, op.Output} {
			forEachPattern(s, map[*awsquery.Shape]bool{}, func(p string) {
				for _, v := range samples {
					fast, slow, ok := awsquery.FastAndRegexp(p, v)
					if !ok {
						return
					}
					qualified++
					if fast != slow {
						t.Errorf("pattern %q on %q: fast %v, regexp %v", p, v, fast, slow)
					}
				}
			})
		}
	}
	if qualified == 0 {
		t.Error("no pattern used the fast path")
	}
}

func forEachPattern(s *awsquery.Shape, seen map[*awsquery.Shape]bool, f func(string)) {
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	if s.Pattern != "" {
		f(s.Pattern)
	}
	for _, m := range s.Members {
		forEachPattern(m.Shape, seen, f)
	}
	for _, r := range []*awsquery.Ref{s.Member, s.Key, s.Value} {
		if r != nil {
			forEachPattern(r.Shape, seen, f)
		}
	}
}
