package authz

import (
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/brevet-dev/brevet/internal/policy"
)

// MessageKeySize is the size of Config.MessageKey (AES-256).
const MessageKeySize = 32

// messageVersion prefixes every encoded message so the format can change.
const messageVersion = 1

// messageAD binds sealed messages to their purpose, so no other blob
// sealed under the same key can pass for one.
const messageAD = "brevet authorization message v1"

// InvalidMessageError reports an encoded authorization message that cannot
// be decoded: not one of ours, tampered with, or sealed under a key this
// Authorizer does not hold. Message is AWS's text for
// InvalidAuthorizationMessageException.
type InvalidMessageError struct {
	Reason string // for logs
}

func (e *InvalidMessageError) Error() string {
	return "authz: invalid authorization message: " + e.Reason
}

// Message is AWS's wording of InvalidAuthorizationMessageException.
func (e *InvalidMessageError) Message() string {
	return "The error message could not be decoded."
}

// The decoded message, shaped as AWS's DecodeAuthorizationMessage output:
// lists are {"items": [...]} and condition values are {"value": ...}.
type decodedMessage struct {
	Allowed           bool          `json:"allowed"`
	ExplicitDeny      bool          `json:"explicitDeny"`
	MatchedStatements items[stmt]   `json:"matchedStatements"`
	Failures          items[string] `json:"failures"`
	Context           msgContext    `json:"context"`
	// ImplicitDeny is Brevet's addition: for an implicit deny, which policy
	// type lacked the allow, and why in words.
	ImplicitDeny *implicitDeny `json:"implicitDeny,omitempty"`
}

type items[T any] struct {
	Items []T `json:"items"`
}

// stmt is a matched statement: AWS's statementId, effect, principals and
// principalGroups, and Brevet's policyName, policyType and statementIndex
// that say where it is (AWS's actions, resources and conditions are the
// statement's own, which a compiled policy does not keep).
type stmt struct {
	StatementID     string          `json:"statementId"`
	Effect          string          `json:"effect"`
	Principals      items[msgValue] `json:"principals"`
	PrincipalGroups items[msgValue] `json:"principalGroups"`
	PolicyName      string          `json:"policyName"`
	PolicyType      string          `json:"policyType"`
	StatementIndex  int             `json:"statementIndex"`
}

type msgContext struct {
	Principal  msgPrincipal        `json:"principal"`
	Action     string              `json:"action"`
	Resource   string              `json:"resource"`
	Conditions items[msgCondition] `json:"conditions"`
}

type msgPrincipal struct {
	ID  string `json:"id"`
	ARN string `json:"arn"`
}

type msgCondition struct {
	Key    string          `json:"key"`
	Values items[msgValue] `json:"values"`
}

type msgValue struct {
	Value string `json:"value"`
}

type implicitDeny struct {
	MissingAllow string `json:"missingAllow"`
	Reason       string `json:"reason"`
}

// sealer seals and opens encoded messages.
type sealer struct {
	aead cipher.AEAD
	rnd  io.Reader
}

func newSealer(key []byte, rnd io.Reader) (*sealer, error) {
	if len(key) != MessageKeySize {
		return nil, fmt.Errorf("authz: MessageKey must be %d bytes, got %d", MessageKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead, rnd: rnd}, nil
}

// messageAAD binds a message to the account whose request it explains, so
// that only that account's principals can decode it (AWS scopes the
// messages it returns the same way): the policy names, statement ids and
// request context inside are that account's business.
func messageAAD(account string) []byte { return []byte(messageAD + "\x00" + account) }

// seal returns the encoded message for plaintext JSON: base64url (no
// padding) of version, nonce and ciphertext.
func (s *sealer) seal(plain []byte, account string) (string, error) {
	ns := s.aead.NonceSize()
	buf := make([]byte, 1+ns, 1+ns+len(plain)+s.aead.Overhead())
	buf[0] = messageVersion
	if _, err := io.ReadFull(s.rnd, buf[1:]); err != nil {
		return "", fmt.Errorf("authz: reading randomness: %w", err)
	}
	buf = s.aead.Seal(buf, buf[1:1+ns], plain, messageAAD(account))
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

func (s *sealer) open(encoded, account string) ([]byte, error) {
	encoded = strings.TrimSpace(encoded)
	if encoded == "" || len(encoded) > MaxEncodedLen {
		return nil, &InvalidMessageError{Reason: "empty or too long"}
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return nil, &InvalidMessageError{Reason: "not base64url"}
	}
	ns := s.aead.NonceSize()
	if len(raw) < 1+ns+s.aead.Overhead() || raw[0] != messageVersion {
		return nil, &InvalidMessageError{Reason: "truncated or unknown version"}
	}
	z, err := s.aead.Open(nil, raw[1:1+ns], raw[1+ns:], messageAAD(account))
	if err != nil {
		return nil, &InvalidMessageError{Reason: "authentication failed"}
	}
	return inflate(z)
}

// buildMessage is the decoded form of a decision on req.
func buildMessage(req *policy.Request, d *policy.Decision, principalID string) decodedMessage {
	m := decodedMessage{
		Allowed:           d.Outcome == policy.Allowed,
		ExplicitDeny:      d.Outcome == policy.ExplicitlyDenied,
		MatchedStatements: items[stmt]{Items: []stmt{}},
		Failures:          items[string]{Items: []string{}},
		Context: msgContext{
			Principal:  msgPrincipal{ID: principalID, ARN: req.Caller.ARN},
			Action:     req.Action,
			Resource:   req.Resource,
			Conditions: items[msgCondition]{Items: []msgCondition{}},
		},
	}
	for _, s := range d.Matched {
		m.MatchedStatements.Items = append(m.MatchedStatements.Items, stmt{
			StatementID: s.Sid, Effect: strings.ToUpper(string(s.Effect)),
			Principals:      items[msgValue]{Items: []msgValue{{Value: principalOf(req, principalID)}}},
			PrincipalGroups: items[msgValue]{Items: []msgValue{}},
			PolicyName:      s.Policy, PolicyType: s.PolicyType.String(), StatementIndex: s.Index,
		})
	}
	if d.Outcome == policy.ImplicitlyDenied {
		m.ImplicitDeny = &implicitDeny{MissingAllow: d.MissingAllow.String(), Reason: d.Reason}
	}
	add := func(key string, vals []string) {
		c := msgCondition{Key: key, Values: items[msgValue]{Items: make([]msgValue, 0, len(vals))}}
		for _, v := range vals {
			c.Values.Items = append(c.Values.Items, msgValue{Value: v})
		}
		m.Context.Conditions.Items = append(m.Context.Conditions.Items, c)
	}
	c := &req.Caller
	for _, kv := range [][2]string{
		{"aws:username", callerUserName(c)},
		{"aws:userid", c.UserID},
		{"aws:PrincipalArn", principalArnKey(c)},
		{"aws:PrincipalAccount", c.Account},
		{"aws:PrincipalType", principalTypeKey(c.Kind)},
	} {
		if kv[1] != "" {
			add(kv[0], []string{kv[1]})
		}
	}
	seen := map[string]bool{}
	for _, c := range m.Context.Conditions.Items {
		seen[strings.ToLower(c.Key)] = true
	}
	for _, k := range req.Context.Keys() {
		if seen[strings.ToLower(k)] {
			continue // the first value wins, as in evaluation
		}
		seen[strings.ToLower(k)] = true
		v, _ := req.Context.Lookup(k)
		add(k, v)
	}
	return m
}

// principalOf is the unique id of the principal a statement applied to,
// as AWS lists it: the user's or role's id, without the session name.
func principalOf(req *policy.Request, principalID string) string {
	id, _, _ := strings.Cut(principalID, ":")
	if req.Caller.Kind == policy.FederatedUser || req.Caller.Kind == policy.Root {
		return principalID
	}
	return id
}

func callerUserName(c *policy.Caller) string {
	if c.Kind == policy.IAMUser {
		return c.UserName
	}
	return ""
}

func principalArnKey(c *policy.Caller) string {
	if c.Kind == policy.AssumedRole {
		return c.SessionIssuer
	}
	return c.ARN
}

// principalTypeKey is aws:PrincipalType's value, as package policy derives it.
func principalTypeKey(k policy.PrincipalKind) string {
	switch k {
	case policy.Root:
		return "Account"
	case policy.IAMUser:
		return "User"
	case policy.Role, policy.AssumedRole:
		return "AssumedRole"
	case policy.FederatedUser:
		return "FederatedUser"
	}
	return ""
}

func (s *sealer) encode(req *policy.Request, d *policy.Decision, principalID string) (string, error) {
	return s.sealJSON(buildMessage(req, d, principalID), req.Caller.Account)
}

// MaxEncodedLen is the longest encoded message: DecodeAuthorizationMessage
// takes at most 10,240 characters (the model's constraint).
const MaxEncodedLen = 10240

// sealJSON seals the message's JSON, DEFLATE-compressed. A message that
// would not fit MaxEncodedLen loses condition keys (the last ones first)
// until it does, and says so in failures.
func (s *sealer) sealJSON(m decodedMessage, account string) (string, error) {
	for {
		plain, err := json.Marshal(m)
		if err != nil {
			return "", err
		}
		z, err := deflate(plain)
		if err != nil {
			return "", err
		}
		enc, err := s.seal(z, account)
		if err != nil {
			return "", err
		}
		conds := m.Context.Conditions.Items
		if len(enc) <= MaxEncodedLen || len(conds) == 0 {
			return enc, nil
		}
		if len(m.Failures.Items) == 0 || m.Failures.Items[len(m.Failures.Items)-1] != msgTruncated {
			m.Failures.Items = append(m.Failures.Items, msgTruncated)
		}
		m.Context.Conditions.Items = conds[:len(conds)/2]
	}
}

const msgTruncated = "condition keys truncated to fit the encoded message"

// maxDecoded bounds the inflated JSON of a message.
const maxDecoded = 1 << 20

// flateWriters are reused: a flate writer allocates hundreds of kilobytes,
// and denials must stay cheap (they are what a misbehaving client
// produces most).
var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.DefaultCompression) // fails only for a bad level
	return w
}}

func deflate(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(b) / 2)
	w := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func inflate(z []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(z))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxDecoded+1))
	if err != nil || len(out) > maxDecoded {
		return nil, &InvalidMessageError{Reason: "does not inflate"}
	}
	return out, nil
}
