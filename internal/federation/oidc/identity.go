package oidc

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Identity is a verified web identity token: who the provider says the
// caller is, and what AWS derives from it for trust policies and session
// tags.
type Identity struct {
	// Issuer is the token's iss, as written (AssumeRoleWithWebIdentity's
	// Provider output).
	Issuer string
	// ProviderKey is the provider's IAM name and condition-key prefix,
	// for example "token.actions.githubusercontent.com".
	ProviderKey string
	// Subject is sub (SubjectFromWebIdentityToken).
	Subject string
	// Audience is aud, always as a list.
	Audience []string
	// ClientID is the client id that matched (the Audience output).
	ClientID string
	// AuthorizedParty is azp, when present.
	AuthorizedParty string
	// AMR is amr, when present.
	AMR []string
	// ID is jti, when present.
	ID string
	// IssuedAt, NotBefore and Expiry are iat, nbf and exp; zero when the
	// optional ones are absent.
	IssuedAt, NotBefore, Expiry time.Time
	// Claims holds every claim as decoded JSON.
	Claims map[string]any
	// PrincipalTags and TransitiveTagKeys come from the
	// "https://aws.amazon.com/tags" claim. Limits on tag count and length
	// are the STS layer's to enforce, as for any session tags.
	PrincipalTags     map[string]string
	TransitiveTagKeys []string
	// SourceIdentity comes from the "https://aws.amazon.com/source_identity"
	// claim, with AssumeRole's SourceIdentity constraints (2 to 64
	// characters of [\w+=,.@-]); "" when absent. Whether the role lets
	// the token set it (sts:SetSourceIdentity) is the STS layer's to
	// decide.
	SourceIdentity string
}

// ConditionKey is one request-context key with its values.
type ConditionKey struct {
	Key    string
	Values []string
}

// ConditionKeys returns the keys AWS exposes to the role's trust policy,
// prefixed with the provider key:
//
//   - <provider>:sub  — sub.
//   - <provider>:aud  — azp when the token has one, else the aud values
//     (AWS's documented rule for tokens that name an authorized party).
//   - <provider>:oaud — the aud values.
//   - <provider>:azp  — azp, when present.
//   - <provider>:amr  — amr, when present (multivalued).
//
// Session tags become aws:RequestTag/aws:TagKeys in the STS layer, not
// here.
func (id *Identity) ConditionKeys() []ConditionKey {
	p := id.ProviderKey + ":"
	aud := id.Audience
	if id.AuthorizedParty != "" {
		aud = []string{id.AuthorizedParty}
	}
	keys := []ConditionKey{
		{Key: p + "sub", Values: []string{id.Subject}},
		{Key: p + "aud", Values: aud},
		{Key: p + "oaud", Values: id.Audience},
	}
	if id.AuthorizedParty != "" {
		keys = append(keys, ConditionKey{Key: p + "azp", Values: []string{id.AuthorizedParty}})
	}
	if len(id.AMR) > 0 {
		keys = append(keys, ConditionKey{Key: p + "amr", Values: id.AMR})
	}
	return keys
}

// AddConditionKeys passes each condition key to add; policy.Context.Add
// has this shape, so callers write id.AddConditionKeys(ctx.Add) without
// this package importing the policy engine.
func (id *Identity) AddConditionKeys(add func(key string, values ...string)) {
	for _, k := range id.ConditionKeys() {
		add(k.Key, k.Values...)
	}
}

// tagsClaim is AWS's session-tag claim:
//
//	"https://aws.amazon.com/tags": {
//	  "principal_tags": {"Project": ["Automation"]},
//	  "transitive_tag_keys": ["Project"]
//	}
//
// AWS writes each tag value as a one-element array; a bare string is
// accepted too.
type tagsClaim struct {
	PrincipalTags     map[string]stringOrList `json:"principal_tags"`
	TransitiveTagKeys []string                `json:"transitive_tag_keys"`
}

func parseTags(raw json.RawMessage) (map[string]string, []string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, nil
	}
	var t tagsClaim
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, nil, &Error{Kind: RejectedClaim, Message: msgTags, Err: err}
	}
	tags := make(map[string]string, len(t.PrincipalTags))
	for k, v := range t.PrincipalTags {
		if k == "" || len(v) != 1 {
			return nil, nil, &Error{Kind: RejectedClaim, Message: msgTags,
				Err: fmt.Errorf("tag %q has %d values, want 1", k, len(v))}
		}
		tags[k] = v[0]
	}
	for _, k := range t.TransitiveTagKeys {
		if _, ok := tags[k]; !ok {
			return nil, nil, &Error{Kind: RejectedClaim, Message: msgTags,
				Err: errors.New("transitive tag key " + k + " is not a principal tag")}
		}
	}
	return tags, t.TransitiveTagKeys, nil
}

// Source identity limits: AssumeRole's SourceIdentity member (the STS
// model's sourceIdentityType).
const (
	minSourceIdentity = 2
	maxSourceIdentity = 64
)

// parseSourceIdentity reads AWS's source identity claim: a JSON string
// that AssumeRole would accept as SourceIdentity. The pattern has no
// colon, so the reserved "aws:" prefix cannot pass.
func parseSourceIdentity(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &Error{Kind: RejectedClaim, Message: msgSourceIdentity, Err: err}
	}
	if len(s) < minSourceIdentity || len(s) > maxSourceIdentity {
		return "", &Error{Kind: RejectedClaim, Message: msgSourceIdentity, Err: fmt.Errorf("%d characters", len(s))}
	}
	for _, r := range s {
		if !sourceIdentityRune(r) {
			return "", &Error{Kind: RejectedClaim, Message: msgSourceIdentity, Err: fmt.Errorf("character %q", r)}
		}
	}
	return s, nil
}

// sourceIdentityRune reports whether r is in [\w+=,.@-] (ASCII \w, as the
// STS model's pattern means it).
func sourceIdentityRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("_+=,.@-", r)
}
