package iam

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestCheckPassword(t *testing.T) {
	strict := PasswordPolicy{MinimumLength: 10, RequireSymbols: true, RequireNumbers: true,
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true}
	tests := []struct {
		name   string
		policy PasswordPolicy
		custom bool
		pw     string
		want   string // "" for accepted
	}{
		{"default: short", DefaultPasswordPolicy, false, "Ab1!xyz", "Password should have a minimum length of 8"},
		{"default: two classes", DefaultPasswordPolicy, false, "abcdefgh1", "Password should have at least three of the following: uppercase letters, lowercase letters, numbers and symbols"},
		{"default: three classes", DefaultPasswordPolicy, false, "abcdefgh1!", ""},
		{"default: space is no symbol", DefaultPasswordPolicy, false, "abcd efgh1", "Password should have at least three of the following: uppercase letters, lowercase letters, numbers and symbols"},
		{"strict: short", strict, true, "Ab1!", "Password should have a minimum length of 10"},
		{"strict: upper", strict, true, "abcdefgh1!", "Password should have at least one uppercase letter"},
		{"strict: lower", strict, true, "ABCDEFGH1!", "Password should have at least one lowercase letter"},
		{"strict: number", strict, true, "ABCDefgh!!", "Password should have at least one number"},
		{"strict: symbol", strict, true, "ABCDefgh12", "Password should have at least one symbol"},
		{"strict: all", strict, true, "ABCDefgh1'", ""},
		{"custom, nothing required", PasswordPolicy{MinimumLength: 6}, true, "aaaaaa", ""},
		{"length counts characters", PasswordPolicy{MinimumLength: 6}, true, "éééé", "Password should have a minimum length of 6"},
	}
	for _, tt := range tests {
		got := ""
		if err := tt.policy.CheckPassword(tt.pw, tt.custom); err != nil {
			got = err.Error()
			if _, ok := err.(*PasswordPolicyViolationError); !ok {
				t.Errorf("%s: error is %T, want *PasswordPolicyViolationError", tt.name, err)
			}
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestValidatePasswordPolicy(t *testing.T) {
	tests := []struct {
		name string
		p    PasswordPolicy
		ok   bool
	}{
		{"defaults", PasswordPolicy{MinimumLength: 8}, true},
		{"limits", PasswordPolicy{MinimumLength: 128, MaxPasswordAge: 1095, PasswordReusePrevention: 24}, true},
		{"length 5", PasswordPolicy{MinimumLength: 5}, false},
		{"length 129", PasswordPolicy{MinimumLength: 129}, false},
		{"age 1096", PasswordPolicy{MinimumLength: 8, MaxPasswordAge: 1096}, false},
		{"reuse 25", PasswordPolicy{MinimumLength: 8, PasswordReusePrevention: 25}, false},
	}
	for _, tt := range tests {
		if err := ValidatePasswordPolicy(tt.p); (err == nil) != tt.ok {
			t.Errorf("%s: got %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestPasswordExpires(t *testing.T) {
	changed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, ok := (PasswordPolicy{}).Expires(changed); ok {
		t.Error("no MaxPasswordAge: the password expires")
	}
	got, ok := PasswordPolicy{MaxPasswordAge: 90}.Expires(changed)
	if want := changed.AddDate(0, 0, 90); !ok || !got.Equal(want) {
		t.Errorf("Expires = %v, %v; want %v", got, ok, want)
	}
}

func TestPossiblePassword(t *testing.T) {
	tests := []struct {
		pw   string
		want bool
	}{
		{"", false},
		{"a", true},
		{"Correct Horse\tBattery\r\n", true},
		{strings.Repeat("a", MaxPasswordLength), true},
		{strings.Repeat("é", MaxPasswordLength), true}, // 128 characters, 256 bytes
		{strings.Repeat("a", MaxPasswordLength+1), false},
		{"Correct\x00Horse", false},
		{"Correct\x1bHorse", false},
		{"Correct-Horse-€", false}, // U+20AC: outside passwordType
		{"ÿ", true},
		{"\xff", false}, // not UTF-8: U+FFFD
	}
	for _, tt := range tests {
		if got := PossiblePassword(tt.pw); got != tt.want {
			t.Errorf("PossiblePassword(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
}

// TestLoginProfileNeverPrintsItsHash: a profile in a log line, an error or
// a test failure shows everything but its password hash.
func TestLoginProfileNeverPrintsItsHash(t *testing.T) {
	const hash = "$argon2id$v=19$m=65536,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	lp := LoginProfile{Account: "123456789012", UserName: "alice", PasswordHash: hash, ResetRequired: true,
		Created: time.Unix(0, 0).UTC(), PasswordChanged: time.Unix(0, 0).UTC()}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("profile", "lp", lp, "ptr", &lp)
	for _, got := range []string{fmt.Sprint(lp), fmt.Sprintf("%v %+v %#v %s %q", lp, lp, lp, lp, lp), fmt.Sprintf("%+v", &lp),
		fmt.Sprintf("%v", []LoginProfile{lp}), logged.String()} {
		if strings.Contains(got, "argon2id") || strings.Contains(got, "aGFzaGhhc2") {
			t.Errorf("printed with its hash: %s", got)
		}
		if !strings.Contains(got, "alice") {
			t.Errorf("printed without its user name: %s", got)
		}
	}
}
