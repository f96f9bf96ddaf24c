package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSize(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{``, 0},
		{`{}`, 2},
		{" {\n\t\"a\" : \"b c\" }\r\n", 11}, // {"a":"b c"}
		{`{"a":"\" x"}`, 12},                // escaped quote does not end the string
		{`{"a":"\\"  ,"b":1}`, 16},          // escaped backslash does end it
		{`{"é":"日本"}`, 10},                  // characters, not bytes
		{"[1,\n  2]", 5},
	}
	for _, tt := range tests {
		if got := Size([]byte(tt.in)); got != tt.want {
			t.Errorf("Size(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// sized returns a policy whose Size is exactly n (n >= 80), padded with
// whitespace that must not count.
func sized(n int) []byte {
	head := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::`
	tail := `"}}`
	pad := n - len(head) - len(tail)
	return []byte(head + strings.Repeat("b", pad) + tail + strings.Repeat(" \n", 500))
}

func TestSizeLimits(t *testing.T) {
	if got := Size(sized(6144)); got != 6144 {
		t.Fatalf("sized(6144) has Size %d", got)
	}
	tests := []struct {
		name string
		err  error
		want *LimitError
	}{
		{"managed at limit", CheckManagedPolicySize(sized(6144)), nil},
		{"managed over", CheckManagedPolicySize(sized(6145)), &LimitError{Quota: QuotaManagedPolicy, Limit: 6144, Size: 6145, Message: "Cannot exceed quota for PolicySize: 6144"}},
		{"trust default at limit", CheckTrustPolicySize(sized(2048), 0), nil},
		{"trust default over", CheckTrustPolicySize(sized(2049), 0), &LimitError{Quota: QuotaTrustPolicy, Limit: 2048, Size: 2049, Message: "Cannot exceed quota for ACLSizePerRole: 2048"}},
		{"trust raised", CheckTrustPolicySize(sized(4096), 4096), nil},
		{"trust raised over", CheckTrustPolicySize(sized(4097), 4096), &LimitError{Quota: QuotaTrustPolicy, Limit: 4096, Size: 4097, Message: "Cannot exceed quota for ACLSizePerRole: 4096"}},
		{"user inline", CheckInlinePolicySize(EntityUser, "bob", 2048), nil},
		{"user inline over", CheckInlinePolicySize(EntityUser, "bob", 2049), &LimitError{Quota: QuotaUserInline, Limit: 2048, Size: 2049, Message: "Maximum policy size of 2048 bytes exceeded for user bob"}},
		{"group inline over", CheckInlinePolicySize(EntityGroup, "ops", 5121), &LimitError{Quota: QuotaGroupInline, Limit: 5120, Size: 5121, Message: "Maximum policy size of 5120 bytes exceeded for group ops"}},
		{"role inline", CheckInlinePolicySize(EntityRole, "app", 10240), nil},
		{"role inline over", CheckInlinePolicySize(EntityRole, "app", 10241), &LimitError{Quota: QuotaRoleInline, Limit: 10240, Size: 10241, Message: "Maximum policy size of 10240 bytes exceeded for role app"}},
		{"session at limit", CheckSessionPolicySize([]byte(strings.Repeat("x", 2048))), nil},
		{"session counts whitespace", CheckSessionPolicySize([]byte(strings.Repeat(" ", 2049))), &LimitError{Quota: QuotaSessionPolicy, Limit: 2048, Size: 2049,
			Message: "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"}},
	}
	for _, tt := range tests {
		var got *LimitError
		if tt.err != nil && !errors.As(tt.err, &got) {
			t.Errorf("%s: error %v is not a *LimitError", tt.name, tt.err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
	if err := CheckInlinePolicySize("account", "x", 1); err == nil {
		t.Error("CheckInlinePolicySize with an unknown entity succeeded")
	}
}
