package iam

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// LoginProfile is an IAM user's password (AWS's "login profile"): the
// user signs in with it on Brevet's sign-in page. The password itself is
// never stored, only its PHC-encoded hash (package credential/password),
// which must never be logged nor leave the server.
type LoginProfile struct {
	Account, UserName string
	PasswordHash      string
	// ResetRequired: the user must set a new password at next sign-in
	// (AWS's PasswordResetRequired).
	ResetRequired bool
	Created       time.Time // when the profile was created
	// PasswordChanged is when the current password was set (creation,
	// UpdateLoginProfile with a password, ChangePassword): the start of
	// its MaxPasswordAge.
	PasswordChanged time.Time
}

// RedactedHash stands for a login profile's password hash wherever the
// profile is printed or logged.
const RedactedHash = "[REDACTED]"

// Format prints the profile with its hash redacted, whatever the verb: a
// profile in an error, a log line or a test failure never shows the hash.
func (lp LoginProfile) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "iam.LoginProfile{Account:%s UserName:%s PasswordHash:%s ResetRequired:%t Created:%s PasswordChanged:%s}",
		lp.Account, lp.UserName, RedactedHash, lp.ResetRequired, lp.Created.Format(time.RFC3339), lp.PasswordChanged.Format(time.RFC3339))
}

// LogValue implements slog.LogValuer, without the hash.
func (lp LoginProfile) LogValue() slog.Value {
	return slog.GroupValue(slog.String("account", lp.Account), slog.String("user", lp.UserName),
		slog.Bool("reset_required", lp.ResetRequired), slog.Time("created", lp.Created), slog.Time("password_changed", lp.PasswordChanged))
}

// PasswordPolicy is an account's password policy (AWS's
// UpdateAccountPasswordPolicy). Zero values mean "not required".
type PasswordPolicy struct {
	Account                    string
	MinimumLength              int
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             int // days; 0: passwords never expire
	PasswordReusePrevention    int // stored and reported; see docs/iam.md
	HardExpiry                 bool
}

// Password policy limits and defaults, as AWS documents them.
const (
	DefaultMinimumPasswordLength = 8 // of DefaultPasswordPolicy, while an account has set none
	// OmittedMinimumPasswordLength is what UpdateAccountPasswordPolicy sets
	// when the request omits MinimumPasswordLength: 6, as the model
	// documents and AWS's recorded answer shows (not the default policy's 8).
	OmittedMinimumPasswordLength = 6
	MinMinimumPasswordLength     = 6
	MaxMinimumPasswordLength     = 128
	MaxMaxPasswordAge            = 1095
	MaxPasswordReusePrevention   = 24
	// MaxPasswordLength is AWS's bound on a password (passwordType), in
	// characters.
	MaxPasswordLength = 128
)

// PossiblePassword reports whether pw satisfies AWS's passwordType, as
// the API validates every password it sets: 1 to MaxPasswordLength
// characters, each a tab, line feed, carriage return or in U+0020-U+00FF.
// A password that does not cannot be any user's: the sign-in page refuses
// it without hashing it (a hostile one may be megabytes long).
func PossiblePassword(pw string) bool {
	n := 0
	for _, r := range pw {
		if n++; n > MaxPasswordLength {
			return false
		}
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r > 0xFF {
			return false
		}
	}
	return n > 0
}

// PasswordSymbols are the characters AWS counts as symbols
// (non-alphanumeric characters) in a password policy.
const PasswordSymbols = "!@#$%^&*()_+-=[]{}|'"

// DefaultPasswordPolicy is what applies while an account has set none, as
// AWS's default: at least eight characters and three of the four classes
// (uppercase, lowercase, numbers, symbols).
var DefaultPasswordPolicy = PasswordPolicy{MinimumLength: DefaultMinimumPasswordLength}

// PasswordPolicyViolationError: a password does not satisfy the account's
// password policy (AWS: PasswordPolicyViolation). Reason is AWS's sentence.
type PasswordPolicyViolationError struct {
	Reason string
}

func (e *PasswordPolicyViolationError) Error() string { return e.Reason }

// Expires returns when a password set at changed expires under p, and
// whether it does at all.
func (p PasswordPolicy) Expires(changed time.Time) (time.Time, bool) {
	if p.MaxPasswordAge <= 0 || changed.IsZero() {
		return time.Time{}, false
	}
	return changed.AddDate(0, 0, p.MaxPasswordAge), true
}

// passwordClasses counts which character classes pw has.
type passwordClasses struct{ upper, lower, number, symbol bool }

func classesOf(pw string) passwordClasses {
	var c passwordClasses
	for _, r := range pw {
		switch {
		case r >= 'A' && r <= 'Z':
			c.upper = true
		case r >= 'a' && r <= 'z':
			c.lower = true
		case r >= '0' && r <= '9':
			c.number = true
		case strings.ContainsRune(PasswordSymbols, r):
			c.symbol = true
		}
	}
	return c
}

func (c passwordClasses) count() int {
	n := 0
	for _, b := range []bool{c.upper, c.lower, c.number, c.symbol} {
		if b {
			n++
		}
	}
	return n
}

// CheckPassword returns a *PasswordPolicyViolationError if pw does not
// satisfy p. It never includes the password in the error. custom says
// whether p is an account's policy (false: DefaultPasswordPolicy applies,
// with its three-of-four-classes rule).
func (p PasswordPolicy) CheckPassword(pw string, custom bool) error {
	minLen := p.MinimumLength
	if minLen <= 0 {
		minLen = MinMinimumPasswordLength
	}
	if utf8.RuneCountInString(pw) < minLen {
		return &PasswordPolicyViolationError{Reason: fmt.Sprintf("Password should have a minimum length of %d", minLen)}
	}
	c := classesOf(pw)
	if !custom {
		if c.count() < 3 {
			return &PasswordPolicyViolationError{Reason: "Password should have at least three of the following: " +
				"uppercase letters, lowercase letters, numbers and symbols"}
		}
		return nil
	}
	switch {
	case p.RequireUppercaseCharacters && !c.upper:
		return &PasswordPolicyViolationError{Reason: "Password should have at least one uppercase letter"}
	case p.RequireLowercaseCharacters && !c.lower:
		return &PasswordPolicyViolationError{Reason: "Password should have at least one lowercase letter"}
	case p.RequireNumbers && !c.number:
		return &PasswordPolicyViolationError{Reason: "Password should have at least one number"}
	case p.RequireSymbols && !c.symbol:
		return &PasswordPolicyViolationError{Reason: "Password should have at least one symbol"}
	}
	return nil
}

// ValidatePasswordPolicy checks the numeric limits of a policy to store,
// with AWS's ValidationError wording.
func ValidatePasswordPolicy(p PasswordPolicy) error {
	switch {
	case p.MinimumLength < MinMinimumPasswordLength:
		return &ValidationError{Field: "minimumPasswordLength", Value: fmt.Sprint(p.MinimumLength),
			Constraint: fmt.Sprintf("Member must have value greater than or equal to %d", MinMinimumPasswordLength)}
	case p.MinimumLength > MaxMinimumPasswordLength:
		return &ValidationError{Field: "minimumPasswordLength", Value: fmt.Sprint(p.MinimumLength),
			Constraint: fmt.Sprintf("Member must have value less than or equal to %d", MaxMinimumPasswordLength)}
	case p.MaxPasswordAge < 0 || p.MaxPasswordAge > MaxMaxPasswordAge:
		return &ValidationError{Field: "maxPasswordAge", Value: fmt.Sprint(p.MaxPasswordAge),
			Constraint: fmt.Sprintf("Member must have value less than or equal to %d", MaxMaxPasswordAge)}
	case p.PasswordReusePrevention < 0 || p.PasswordReusePrevention > MaxPasswordReusePrevention:
		return &ValidationError{Field: "passwordReusePrevention", Value: fmt.Sprint(p.PasswordReusePrevention),
			Constraint: fmt.Sprintf("Member must have value less than or equal to %d", MaxPasswordReusePrevention)}
	}
	return nil
}
