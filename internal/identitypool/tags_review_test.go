package identitypool

import (
	"strings"
	"testing"
)

// TestPrincipalTagKeysReserved: a principal tag key with AWS's reserved
// prefix, or two keys that differ only by case, are refused where they
// are given (a pool's attribute map, a developer token's PrincipalTags),
// not by every credential request afterwards.
func TestPrincipalTagKeysReserved(t *testing.T) {
	for name, tags := range map[string]map[string]string{
		"aws: key":     {"aws:userid": "sub"},
		"AWS: key":     {"AWS:x": "sub"},
		"case aliases": {"email": "email", "Email": "sub"},
	} {
		err := checkPrincipalTags("us-east-1:11111111-2222-4333-8444-555555555555", "login.example", tags)
		if !isCode(err, CodeInvalidParameter) {
			t.Errorf("attribute map, %s: %v, want InvalidParameterException", name, err)
		}
		if _, err := developerTags(tags); !isCode(err, CodeInvalidParameter) {
			t.Errorf("developer tags, %s: %v, want InvalidParameterException", name, err)
		}
	}
	if _, err := developerTags(map[string]string{"team": strings.Repeat("x", 256)}); err != nil {
		t.Errorf("a 256-character value: %v", err)
	}
}
