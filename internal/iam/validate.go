package iam

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits and quotas, from the IAM API model and the IAM User Guide
// ("IAM and AWS STS quotas"). Quotas are AWS's defaults.
const (
	MaxUserNameLen            = 64
	MaxRoleNameLen            = 64
	MaxGroupNameLen           = 128
	MaxPolicyNameLen          = 128
	MaxInstanceProfileNameLen = 128
	MaxPathLen                = 512
	MaxTags                   = 50
	MaxTagKeyLen              = 128
	MaxTagValueLen            = 256
	MaxDescriptionLen         = 1000
	MaxPolicyDocumentLen      = 131072 // API model limit; size quotas are checked separately
	MinMaxSessionDuration     = 3600
	MaxMaxSessionDuration     = 43200
	DefaultSessionSeconds     = 3600

	MaxAccessKeysPerUser   = 2
	MaxAttachedPolicies    = 10 // per user, group or role
	MaxPolicyVersions      = 5
	MaxGroupsPerUser       = 10
	MaxMFADevicesPerUser   = 8
	MaxTrustPolicyLen      = 2048 // ACLSizePerRole, without white space
	MaxManagedPolicyLen    = 6144 // PolicySize, without white space
	MaxUserInlinePolicyLen = 2048
	MaxRoleInlinePolicyLen = 10240
	MaxGroupInlinePolicy   = 5120
)

// isNameByte reports whether c is in AWS's name class [\w+=,.@-] (where \w is
// ASCII [A-Za-z0-9_], as in the Java regexes of the API model).
func isNameByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("_+=,.@-", c) >= 0
}

const namePattern = `[\w+=,.@-]+`

func validateName(field, v string, maxLen int) error {
	if err := validateLen(field, v, 1, maxLen); err != nil {
		return err
	}
	for i := 0; i < len(v); i++ {
		if !isNameByte(v[i]) {
			return &ValidationError{Field: field, Value: v, Constraint: "Member must satisfy regular expression pattern: " + namePattern,
				Message: "The specified value for " + field + " is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"}
		}
	}
	return nil
}

func validateLen(field, v string, minLen, maxLen int) error {
	n := utf8.RuneCountInString(v)
	if n < minLen {
		return &ValidationError{Field: field, Value: v, Constraint: fmt.Sprintf("Member must have length greater than or equal to %d", minLen)}
	}
	if n > maxLen {
		return &ValidationError{Field: field, Value: v, Constraint: fmt.Sprintf("Member must have length less than or equal to %d", maxLen)}
	}
	return nil
}

// pathPatternError is IAM's sentence for a path that breaks its pattern.
func pathPatternError(field, v, pattern string) error {
	return &ValidationError{Field: field, Value: v, Constraint: "Member must satisfy regular expression pattern: " + pattern,
		Message: "The specified value for " + field + " is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."}
}

func patternError(field, v, pattern string) error {
	return &ValidationError{Field: field, Value: v, Constraint: "Member must satisfy regular expression pattern: " + pattern}
}

// ValidateUserName checks a user name: [\w+=,.@-]+, 1..64.
func ValidateUserName(name string) error { return validateName("userName", name, MaxUserNameLen) }

// ValidateRoleName checks a role name: [\w+=,.@-]+, 1..64.
func ValidateRoleName(name string) error { return validateName("roleName", name, MaxRoleNameLen) }

// ValidateGroupName checks a group name: [\w+=,.@-]+, 1..128.
func ValidateGroupName(name string) error { return validateName("groupName", name, MaxGroupNameLen) }

// ValidateInstanceProfileName checks an instance profile name:
// [\w+=,.@-]+, 1..128.
func ValidateInstanceProfileName(name string) error {
	return validateName("instanceProfileName", name, MaxInstanceProfileNameLen)
}

// ValidatePolicyName checks a managed or inline policy name: [\w+=,.@-]+, 1..128.
func ValidatePolicyName(name string) error {
	return validateName("policyName", name, MaxPolicyNameLen)
}

// ValidateMFADeviceName checks a virtual MFA device name: [\w+=,.@-]+. AWS
// declares no maximum; the serial number (at most 256) bounds it in practice.
func ValidateMFADeviceName(name string) error {
	return validateName("virtualMFADeviceName", name, 226)
}

// ValidatePath checks an entity path (users, groups, roles, MFA devices):
// "/" or "/" followed by printable ASCII (U+0021..U+007E) ending in "/",
// 1..512.
func ValidatePath(path string) error {
	if err := validateLen("path", path, 1, MaxPathLen); err != nil {
		return err
	}
	const pattern = `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
	if path == "/" {
		return nil
	}
	if len(path) < 3 || path[0] != '/' || path[len(path)-1] != '/' {
		return pathPatternError("path", path, pattern)
	}
	for i := 1; i < len(path)-1; i++ {
		if path[i] < 0x21 || path[i] > 0x7e {
			return pathPatternError("path", path, pattern)
		}
	}
	return nil
}

// ValidatePolicyPath checks a managed policy path, which is stricter than an
// entity path: ((/[A-Za-z0-9\.,\+@=_-]+)*)/, 1..512.
func ValidatePolicyPath(path string) error {
	if err := validateLen("path", path, 1, MaxPathLen); err != nil {
		return err
	}
	const pattern = `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
	if path[0] != '/' || path[len(path)-1] != '/' {
		return pathPatternError("path", path, pattern)
	}
	if path == "/" {
		return nil
	}
	// Each segment between slashes is non-empty and uses the name class,
	// which is exactly [A-Za-z0-9.,+@=_-].
	for _, seg := range strings.Split(path[1:len(path)-1], "/") {
		if seg == "" {
			return pathPatternError("path", path, pattern)
		}
		for i := 0; i < len(seg); i++ {
			if !isNameByte(seg[i]) {
				return pathPatternError("path", path, pattern)
			}
		}
	}
	return nil
}

// ValidateMaxSessionDuration checks a role's MaxSessionDuration: 3600..43200.
func ValidateMaxSessionDuration(seconds int) error {
	if seconds < MinMaxSessionDuration || seconds > MaxMaxSessionDuration {
		return &ValidationError{
			Field:      "maxSessionDuration",
			Value:      fmt.Sprint(seconds),
			Constraint: fmt.Sprintf("Member must have value between %d and %d", MinMaxSessionDuration, MaxMaxSessionDuration),
		}
	}
	return nil
}

// ValidateRoleDescription checks a role description: at most 1000 characters
// from tab, LF, CR, U+0020..U+007E and U+00A1..U+00FF.
func ValidateRoleDescription(desc string) error {
	if err := validateLen("description", desc, 0, MaxDescriptionLen); err != nil {
		return err
	}
	for _, r := range desc {
		ok := r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0x7e) || (r >= 0xa1 && r <= 0xff)
		if !ok {
			return patternError("description", desc, `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
		}
	}
	return nil
}

// ValidatePolicyDescription checks a managed policy description: at most 1000
// characters.
func ValidatePolicyDescription(desc string) error {
	return validateLen("description", desc, 0, MaxDescriptionLen)
}

// ValidatePolicyDocumentText checks the characters and length of a policy
// document (tab, LF, CR, U+0020..U+00FF; 1..131072). Whether it is a valid
// policy is package policy's business.
func ValidatePolicyDocumentText(field, doc string) error {
	if err := validateLen(field, doc, 1, MaxPolicyDocumentLen); err != nil {
		return err
	}
	for _, r := range doc {
		ok := r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xff)
		if !ok {
			return patternError(field, doc, `[\u0009\u000A\u000D\u0020-\u00FF]+`)
		}
	}
	return nil
}

// PolicySize returns the size AWS counts against policy size quotas: the
// number of characters that are not white space.
func PolicySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// ValidateAccountID checks a 12-digit account id.
func ValidateAccountID(id string) error {
	if len(id) != 12 {
		return &ValidationError{Field: "accountId", Value: id, Constraint: "Member must have length 12"}
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return patternError("accountId", id, `[0-9]{12}`)
		}
	}
	return nil
}

// ValidateAccountAlias checks an account alias: lowercase DNS label of 3..63
// characters, no leading, trailing or doubled hyphen, not all digits.
func ValidateAccountAlias(alias string) error {
	const pattern = `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`
	if err := validateLen("accountAlias", alias, 3, 63); err != nil {
		return err
	}
	allDigits := true
	for i := 0; i < len(alias); i++ {
		c := alias[i]
		switch {
		case '0' <= c && c <= '9':
		case 'a' <= c && c <= 'z':
			allDigits = false
		case c == '-':
			allDigits = false
			if i == 0 || i == len(alias)-1 || alias[i-1] == '-' {
				return patternError("accountAlias", alias, pattern)
			}
		default:
			return patternError("accountAlias", alias, pattern)
		}
	}
	if allDigits && len(alias) == 12 {
		return &InvalidInputError{Message: "Account alias cannot be a 12-digit number."}
	}
	return nil
}

// ValidateTags checks a tag set as AWS does for CreateUser, CreateRole,
// TagUser etc.: at most 50 tags, keys 1..128 and values 0..256 from
// [\p{L}\p{Z}\p{N}_.:/=+\-@], keys unique case-insensitively and not starting
// with "aws:". field is the parameter name used in messages ("tags").
func ValidateTags(field string, tags []Tag) error { return validateTags(field, tags, true) }

// ValidatePolicyTags is ValidateTags for a managed policy, whose tag keys
// are case-sensitive: "a" and "A" are two keys, and only keys equal to the
// byte are duplicates (AWS: "Duplicate tag keys found.", without the note
// on case that users and roles get).
func ValidatePolicyTags(field string, tags []Tag) error { return validateTags(field, tags, false) }

func validateTags(field string, tags []Tag, foldCase bool) error {
	if len(tags) > MaxTags {
		return &ValidationError{Field: field, Value: fmt.Sprint(tags), Constraint: fmt.Sprintf("Member must have length less than or equal to %d", MaxTags)}
	}
	const pattern = `[\p{L}\p{Z}\p{N}_.:/=+\-@]`
	seen := make(map[string]bool, len(tags))
	for i, t := range tags {
		keyField := fmt.Sprintf("%s.%d.member.key", field, i+1)
		valField := fmt.Sprintf("%s.%d.member.value", field, i+1)
		if err := validateLen(keyField, t.Key, 1, MaxTagKeyLen); err != nil {
			return err
		}
		if !tagChars(t.Key) {
			return patternError(keyField, t.Key, pattern+"+")
		}
		if err := validateLen(valField, t.Value, 0, MaxTagValueLen); err != nil {
			return err
		}
		if !tagChars(t.Value) {
			return patternError(valField, t.Value, pattern+"*")
		}
		if len(t.Key) >= 4 && strings.EqualFold(t.Key[:4], "aws:") {
			return &InvalidInputError{Message: "User is not authorized to perform tag operations on tag keys starting with 'aws:'."}
		}
		k := t.Key
		if foldCase {
			k = strings.ToLower(k)
		}
		if seen[k] {
			if !foldCase {
				return &InvalidInputError{Message: "Duplicate tag keys found."}
			}
			return &InvalidInputError{Message: "Duplicate tag keys found. Please note that Tag keys are case insensitive."}
		}
		seen[k] = true
	}
	return nil
}

func tagChars(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.In(r, unicode.Z) || unicode.IsNumber(r) {
			continue
		}
		if strings.ContainsRune("_.:/=+-@", r) {
			continue
		}
		return false
	}
	return true
}

// MergeTags returns tags with add applied: a key already present
// (case-insensitively) takes the new value and keeps its position, new keys
// are appended. It does not validate; call ValidateTags on the result.
func MergeTags(tags, add []Tag) []Tag { return mergeTags(tags, add, strings.EqualFold) }

// AddTags is MergeTags for the Tag actions of users, roles, instance
// profiles and providers: a result of more than max tags is refused with
// AWS's LimitExceeded sentence. Validate add (ValidateTags) first.
func AddTags(tags, add []Tag, max int) ([]Tag, error) {
	out := MergeTags(tags, add)
	if len(out) > max {
		return nil, errTooManyTags()
	}
	return out, nil
}

// errTooManyTags is AWS's answer to a tag set over its quota.
func errTooManyTags() error {
	return &LimitExceededError{Message: "The number of tags has reached the maximum limit."}
}

// CheckTagCount refuses more than max tags as AddTags does: the providers'
// Create actions, which take their tags whole.
func CheckTagCount(tags []Tag, max int) error {
	if len(tags) > max {
		return errTooManyTags()
	}
	return nil
}

// MergePolicyTags is MergeTags for a managed policy's case-sensitive keys.
func MergePolicyTags(tags, add []Tag) []Tag {
	return mergeTags(tags, add, func(a, b string) bool { return a == b })
}

func mergeTags(tags, add []Tag, same func(a, b string) bool) []Tag {
	out := append([]Tag(nil), tags...)
	for _, a := range add {
		replaced := false
		for i := range out {
			if same(out[i].Key, a.Key) {
				out[i] = a
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, a)
		}
	}
	return out
}

// RemoveTags returns tags without the given keys (compared case-insensitively).
func RemoveTags(tags []Tag, keys []string) []Tag { return removeTags(tags, keys, strings.EqualFold) }

// RemovePolicyTags is RemoveTags for a managed policy's case-sensitive keys.
func RemovePolicyTags(tags []Tag, keys []string) []Tag {
	return removeTags(tags, keys, func(a, b string) bool { return a == b })
}

func removeTags(tags []Tag, keys []string, same func(a, b string) bool) []Tag {
	var out []Tag
	for _, t := range tags {
		drop := false
		for _, k := range keys {
			if same(t.Key, k) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

// NameKey returns the form under which names are unique in an account: IAM
// names compare case-insensitively, and they are ASCII, so lower case.
func NameKey(name string) string { return strings.ToLower(name) }
