package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"github.com/brevet-dev/brevet/internal/request"
)

// secretKeys are parameter and element names whose values are secrets,
// lower-cased. awsquery already hides the values of shapes the model marks
// sensitive; this list is the second line of defence, by name, for every
// nesting level.
var secretKeys = map[string]bool{
	"secretaccesskey": true,
	"sessiontoken":    true,
	"tokencode":       true,
	// EnableMFADevice and ResyncMFADevice: one-time codes, the second of
	// which may still be unused (and valid) when the call fails.
	"authenticationcode1": true,
	"authenticationcode2": true,
	"password":            true,
	"newpassword":         true,
	"oldpassword":         true,
	"privatekey":          true,
	"clientsecret":        true,
	// SSO OIDC's bearer secrets (the codec hides them already).
	"accesstoken":  true,
	"refreshtoken": true,
	"idtoken":      true,
	"devicecode":   true,
	"codeverifier": true,
}

// assertionKeys are bearer assertions: their value is replaced by its
// SHA-256, so that an event can still be matched to an assertion someone
// holds without the event letting anyone replay it.
var assertionKeys = map[string]bool{
	"samlassertion":    true,
	"webidentitytoken": true,
}

// HashPrefix starts the value that replaces an assertion or token.
const HashPrefix = "sha256:"

// Redact returns a deep copy of m with secret values replaced by
// request.HiddenValue and assertions by "sha256:" and their hex digest.
// It returns nil for nil.
func Redact(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch classify(k) {
		case keySecret:
			out[k] = hidden(v)
		case keyAssertion:
			out[k] = hashed(v)
		default:
			out[k] = redactValue(v)
		}
	}
	return out
}

// keyClass is what redaction does to a key's value.
type keyClass uint8

const (
	keyPlain     keyClass = iota // kept (maps and lists in it redacted in turn)
	keySecret                    // replaced by request.HiddenValue
	keyAssertion                 // replaced by its HashOf
)

// classify says what redaction does to the value of key k: secret when
// its lower-case form is one of secretKeys or contains "password" or
// "secret", assertion when it is one of assertionKeys. The encoder calls
// it for every key of every event, so short ASCII keys, nearly all of
// them, are lower-cased on the stack; others go through strings.ToLower,
// whose Unicode case mapping then decides.
func classify(k string) keyClass {
	var buf [32]byte // string(buf[:n]) below stays on the stack up to 32 bytes
	if len(k) > len(buf) {
		return classifyLower(strings.ToLower(k))
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= utf8.RuneSelf {
			return classifyLower(strings.ToLower(k))
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return classifyLower(string(buf[:len(k)]))
}

func classifyLower(lk string) keyClass {
	switch {
	case secretKeys[lk] || strings.Contains(lk, "password") || strings.Contains(lk, "secret"):
		return keySecret
	case assertionKeys[lk]:
		return keyAssertion
	}
	return keyPlain
}

func redactValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return Redact(v)
	case []any:
		l := make([]any, len(v))
		for i := range v {
			l[i] = redactValue(v[i])
		}
		return l
	}
	return v
}

func hidden(v any) any {
	if v == nil {
		return nil
	}
	return request.HiddenValue
}

func hashed(v any) any {
	s, ok := v.(string)
	if !ok || s == request.HiddenValue || strings.HasPrefix(s, HashPrefix) {
		if ok {
			return s
		}
		return hidden(v)
	}
	return HashOf(s)
}

// HashOf is the value recorded in place of an assertion or token.
func HashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return HashPrefix + hex.EncodeToString(sum[:])
}
