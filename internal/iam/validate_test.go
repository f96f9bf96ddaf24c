package iam

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateNames(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		fn   func(string) error
		in   string
		want string // "" = valid; else the ValidationError's constraint prefix
	}{
		{"user ok", ValidateUserName, "alice+ops=1,x.y@z_w-v", ""},
		{"user 64", ValidateUserName, long(64), ""},
		{"user 65", ValidateUserName, long(65), "Member must have length less than or equal to 64"},
		{"user empty", ValidateUserName, "", "Member must have length greater than or equal to 1"},
		{"user space", ValidateUserName, "a b", "Member must satisfy regular expression pattern: [\\w+=,.@-]+"},
		{"user slash", ValidateUserName, "a/b", "Member must satisfy regular expression pattern"},
		{"user non-ascii", ValidateUserName, "émile", "Member must satisfy regular expression pattern"},
		{"role 64", ValidateRoleName, long(64), ""},
		{"role 65", ValidateRoleName, long(65), "Member must have length less than or equal to 64"},
		{"role colon", ValidateRoleName, "a:b", "Member must satisfy regular expression pattern"},
		{"group 128", ValidateGroupName, long(128), ""},
		{"group 129", ValidateGroupName, long(129), "Member must have length less than or equal to 128"},
		{"policy 128", ValidatePolicyName, long(128), ""},
		{"policy 129", ValidatePolicyName, long(129), "Member must have length less than or equal to 128"},
		{"policy star", ValidatePolicyName, "a*", "Member must satisfy regular expression pattern"},
		{"mfa ok", ValidateMFADeviceName, "alice-phone", ""},
		{"path root", ValidatePath, "/", ""},
		{"path nested", ValidatePath, "/a/b~!{}/", ""},
		{"path no trailing", ValidatePath, "/a", "Member must satisfy regular expression pattern"},
		{"path no leading", ValidatePath, "a/", "Member must satisfy regular expression pattern"},
		{"path space", ValidatePath, "/a b/", "Member must satisfy regular expression pattern"},
		{"path 512", ValidatePath, "/" + long(510) + "/", ""},
		{"path 513", ValidatePath, "/" + long(511) + "/", "Member must have length less than or equal to 512"},
		{"path empty", ValidatePath, "", "Member must have length greater than or equal to 1"},
		{"policy path ok", ValidatePolicyPath, "/service-role/x.y/", ""},
		{"policy path root", ValidatePolicyPath, "/", ""},
		{"policy path double slash", ValidatePolicyPath, "/a//", "Member must satisfy regular expression pattern"},
		{"policy path tilde", ValidatePolicyPath, "/a~/", "Member must satisfy regular expression pattern"},
		{"alias ok", ValidateAccountAlias, "acme-prod-1", ""},
		{"alias upper", ValidateAccountAlias, "Acme", "Member must satisfy regular expression pattern"},
		{"alias double hyphen", ValidateAccountAlias, "ac--me", "Member must satisfy regular expression pattern"},
		{"alias leading hyphen", ValidateAccountAlias, "-acme", "Member must satisfy regular expression pattern"},
		{"alias short", ValidateAccountAlias, "ab", "Member must have length greater than or equal to 3"},
		{"account id ok", ValidateAccountID, "123456789012", ""},
		{"account id short", ValidateAccountID, "12345678901", "Member must have length 12"},
		{"account id letter", ValidateAccountID, "12345678901a", "Member must satisfy regular expression pattern"},
		{"role description", ValidateRoleDescription, "ok\tdescription é", ""},
		{"role description emoji", ValidateRoleDescription, "no 🙂", "Member must satisfy regular expression pattern"},
		{"role description 1001", ValidateRoleDescription, long(1001), "Member must have length less than or equal to 1000"},
		{"policy description 1000", ValidatePolicyDescription, long(1000), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.fn(tt.in)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v (%T), want *ValidationError", err, err)
			}
			if !strings.HasPrefix(ve.Constraint, tt.want) {
				t.Errorf("constraint: got %q, want prefix %q", ve.Constraint, tt.want)
			}
			if ve.Value != tt.in {
				t.Errorf("value: got %q, want %q", ve.Value, tt.in)
			}
		})
	}
}

func TestValidateAccountAliasDigits(t *testing.T) {
	var ie *InvalidInputError
	if err := ValidateAccountAlias("123456789012"); !errors.As(err, &ie) {
		t.Errorf("12-digit alias: got %v, want *InvalidInputError", err)
	}
	if err := ValidateAccountAlias("1234"); err != nil {
		t.Errorf("short numeric alias: got %v, want nil", err)
	}
}

func TestValidateMaxSessionDuration(t *testing.T) {
	for _, tt := range []struct {
		in int
		ok bool
	}{{3599, false}, {3600, true}, {43200, true}, {43201, false}, {0, false}} {
		err := ValidateMaxSessionDuration(tt.in)
		if got := err == nil; got != tt.ok {
			t.Errorf("ValidateMaxSessionDuration(%d) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
	got := ValidateMaxSessionDuration(100).Error()
	want := "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200"
	if got != want {
		t.Errorf("message:\ngot  %s\nwant %s", got, want)
	}
}

func TestValidateTags(t *testing.T) {
	many := make([]Tag, 51)
	for i := range many {
		many[i] = Tag{Key: strings.Repeat("k", i+1)}
	}
	tests := []struct {
		name    string
		tags    []Tag
		wantErr string // "" = valid; "validation" or "invalid"
		msg     string
	}{
		{"none", nil, "", ""},
		{"ok", []Tag{{"team", "core"}, {"Empty", ""}, {"ünïcode key", "välue: /=+-@_."}}, "", ""},
		{"50", many[:50], "", ""},
		{"51", many, "validation", ""},
		{"empty key", []Tag{{"", "v"}}, "validation", "1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"long key", []Tag{{strings.Repeat("k", 129), ""}}, "validation", ""},
		{"long value", []Tag{{"k", strings.Repeat("v", 257)}}, "validation", ""},
		{"bad char", []Tag{{"ok", "v"}, {"k*", "v"}}, "validation", "1 validation error detected: Value at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"},
		{"dup case-insensitive", []Tag{{"Team", "a"}, {"team", "b"}}, "invalid", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"aws prefix", []Tag{{"AWS:x", "a"}}, "invalid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTags("tags", tt.tags)
			var ve *ValidationError
			var ie *InvalidInputError
			switch tt.wantErr {
			case "":
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
			case "validation":
				if !errors.As(err, &ve) {
					t.Fatalf("got %v, want *ValidationError", err)
				}
			case "invalid":
				if !errors.As(err, &ie) {
					t.Fatalf("got %v, want *InvalidInputError", err)
				}
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("message:\ngot  %s\nwant %s", err, tt.msg)
			}
		})
	}
}

func TestMergeAndRemoveTags(t *testing.T) {
	tags := []Tag{{"a", "1"}, {"B", "2"}}
	got := MergeTags(tags, []Tag{{"b", "3"}, {"c", "4"}})
	if d := cmp.Diff([]Tag{{"a", "1"}, {"b", "3"}, {"c", "4"}}, got); d != "" {
		t.Errorf("MergeTags (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Tag{{"a", "1"}, {"B", "2"}}, tags); d != "" {
		t.Errorf("MergeTags modified its input (-want +got):\n%s", d)
	}
	got = RemoveTags(got, []string{"A", "c", "zzz"})
	if d := cmp.Diff([]Tag{{"b", "3"}}, got); d != "" {
		t.Errorf("RemoveTags (-want +got):\n%s", d)
	}
}

func TestPolicyDocumentText(t *testing.T) {
	if err := ValidatePolicyDocumentText("policyDocument", "{\n\t\"Version\": \"2012-10-17\" ÿ}"); err != nil {
		t.Errorf("valid document: %v", err)
	}
	if err := ValidatePolicyDocumentText("policyDocument", "{\"x\":\"Ā\"}"); err == nil {
		t.Errorf("U+0100: got nil, want error")
	}
	if err := ValidatePolicyDocumentText("policyDocument", ""); err == nil {
		t.Errorf("empty: got nil, want error")
	}
	if got, want := PolicySize("{ \"a\" :\n\t1 }"), 7; got != want {
		t.Errorf("PolicySize = %d, want %d", got, want)
	}
}
