package credential

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// PrincipalType says which STS action made a session, and so how its
// principal is named and evaluated.
type PrincipalType uint8

// The kinds of temporary principal.
const (
	// AssumedRole: AssumeRole (the principal is the role; the session ARN
	// is arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION).
	AssumedRole PrincipalType = iota + 1
	// FederatedUser: GetFederationToken (arn:aws:sts::ACCOUNT:federated-user/NAME).
	FederatedUser
	// SessionUser: GetSessionToken; the principal is the calling IAM user
	// (or root), with its permissions, optionally MFA-authenticated.
	SessionUser
	// WebIdentity: AssumeRoleWithWebIdentity (an assumed role reached
	// through an OIDC provider).
	WebIdentity
	// SAML: AssumeRoleWithSAML (an assumed role reached through a SAML
	// provider).
	SAML
)

func (t PrincipalType) String() string {
	switch t {
	case AssumedRole:
		return "AssumedRole"
	case FederatedUser:
		return "FederatedUser"
	case SessionUser:
		return "SessionUser"
	case WebIdentity:
		return "WebIdentity"
	case SAML:
		return "SAML"
	}
	return fmt.Sprintf("PrincipalType(%d)", uint8(t))
}

func (t PrincipalType) valid() bool { return t >= AssumedRole && t <= SAML }

// Claims is everything a session token carries: what a verifier needs to
// authenticate a request made with the temporary credential (the secret) and
// to authorize it (principal, policies, tags, MFA, chain) without a database
// read. Times have one-second precision.
type Claims struct {
	// SessionID identifies the session (for audit and revocation). Mint
	// fills it when empty.
	SessionID string
	AccountID string // the account the session acts in (12 digits)
	// AccessKeyID is the temporary ASIA… id the token belongs to; the token
	// is bound to it cryptographically. Mint fills it.
	AccessKeyID string
	// SecretAccessKey is the temporary secret; the verifier recovers it
	// from the token to check the request signature. Mint fills it.
	SecretAccessKey Secret

	PrincipalType PrincipalType
	// PrincipalARN is the underlying principal: the role ARN for assumed
	// roles (including web identity and SAML), the user ARN for
	// SessionUser, the federated-user ARN for FederatedUser.
	PrincipalARN string
	// PrincipalID is the underlying principal's unique id (AROA… for a
	// role, AIDA… for a user, the account id for root).
	PrincipalID string
	// SessionARN is the ARN the session acts as: the assumed-role ARN
	// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, or the federated-user
	// ARN; for SessionUser it equals PrincipalARN.
	SessionARN  string
	SessionName string

	IssuedAt time.Time
	Expires  time.Time

	// Session policies: inline policy text and managed policy ARNs.
	Policy     string
	PolicyARNs []string
	// Session tags; TransitiveTagKeys names those that persist through
	// role chaining.
	Tags              []Tag
	TransitiveTagKeys []string
	SourceIdentity    string

	// Federation: the provider (OIDC or SAML provider ARN, or the issuer)
	// and the subject it vouched for; empty for other principal types.
	Provider string
	Subject  string

	MFAAuthenticated bool
	MFAAuthTime      time.Time // zero when MFA was not used

	// ParentAccessKeyID is the access key that signed the request which
	// made this session; RootAccessKeyID is the long-term key at the root
	// of the chain. Revoking either revokes this session.
	ParentAccessKeyID string
	RootAccessKeyID   string
	// Lineage is every temporary session above this one in its chain,
	// nearest first: Lineage[0] signed the request that made this session,
	// the last was made from the long-term key RootAccessKeyID. It holds
	// what revocation needs of each, so that revoking a session (or a
	// principal's sessions issued before a time) reaches everything made
	// from it, at any depth, from the token alone. Empty for a session made
	// from long-term credentials or by federation, and for tokens of format
	// version 1. At most MaxChainDepth entries.
	Lineage []Ancestor
	// RequestContext holds condition keys the issuing service sets in the
	// context of every request made with the session (ec2:SourceInstanceARN
	// for a host's instance role session, credentials-iot:ThingName and its
	// kin for an IoT credentials provider session); no caller can set or
	// override them, and a session made with this one's credentials does
	// not inherit them. Keys are unique (case-insensitively): at most
	// MaxRequestContextKeys, each key at most MaxContextKeyLen bytes and
	// each value at most MaxContextValueLen (and the token, as always, at
	// most MaxTokenLen). Empty for every other session
	// and for tokens of format versions 1 to 3.
	RequestContext []ContextKey
}

// ContextKey is one service-set condition key of a session and its value.
type ContextKey struct {
	Key   string
	Value string
}

// Bounds of Claims.RequestContext.
const (
	MaxRequestContextKeys = 64
	MaxContextKeyLen      = 128
	MaxContextValueLen    = 256
)

// checkRequestContext applies the bounds of Claims.RequestContext.
func checkRequestContext(keys []ContextKey) error {
	if len(keys) > MaxRequestContextKeys {
		return fmt.Errorf("credential: %d request context keys, at most %d", len(keys), MaxRequestContextKeys)
	}
	for i, k := range keys {
		switch {
		case k.Key == "" || len(k.Key) > MaxContextKeyLen:
			return fmt.Errorf("credential: request context key of %d bytes, want 1 to %d", len(k.Key), MaxContextKeyLen)
		case len(k.Value) > MaxContextValueLen:
			return fmt.Errorf("credential: request context key %q: value of %d bytes, at most %d", k.Key, len(k.Value), MaxContextValueLen)
		}
		for _, u := range keys[:i] {
			if strings.EqualFold(k.Key, u.Key) {
				return fmt.Errorf("credential: request context key %q given twice", k.Key)
			}
		}
	}
	return nil
}

// MaxChainDepth is the most sessions a session may have above it in its
// chain (len(Claims.Lineage)): a chain holds at most MaxChainDepth+1
// sessions, the first made from a long-term key. It bounds what a token
// carries and what a verifier checks for revocation.
const MaxChainDepth = 16

// Ancestor is what a session token keeps of a session above it in its
// chain: what a revocation may name (its access key id, its principal and
// session ARNs) and its issue time (for a principal's sessions issued
// before a cut-off).
type Ancestor struct {
	AccessKeyID  string
	PrincipalARN string
	SessionARN   string
	IssuedAt     time.Time
}

// AncestorOf is the entry a session made by c keeps of c.
func AncestorOf(c *Claims) Ancestor {
	return Ancestor{AccessKeyID: c.AccessKeyID, PrincipalARN: c.PrincipalARN, SessionARN: c.SessionARN, IssuedAt: c.IssuedAt}
}

// ChildLineage is the lineage of a session made with c's credentials: c
// itself, then c's own lineage. It fails with a *ChainTooLongError when c
// already has MaxChainDepth sessions above it.
func (c *Claims) ChildLineage() ([]Ancestor, error) {
	if len(c.Lineage) >= MaxChainDepth {
		return nil, &ChainTooLongError{Depth: len(c.Lineage) + 1}
	}
	l := make([]Ancestor, 1, len(c.Lineage)+1)
	l[0] = AncestorOf(c)
	return append(l, c.Lineage...), nil
}

// ChainTooLongError reports a session that would have more than
// MaxChainDepth sessions above it.
type ChainTooLongError struct {
	Depth int // the depth the session would have had
}

func (e *ChainTooLongError) Error() string {
	return fmt.Sprintf("credential: role chain too long: a session may have at most %d sessions above it, this one would have %d", MaxChainDepth, e.Depth)
}

// ChainDepth is 0 for a session made from long-term credentials (or by
// federation) and grows by one per session made with a session's
// credentials: len(c.Lineage). Tokens of format version 1 carry no
// lineage and report 0.
func (c *Claims) ChainDepth() int { return len(c.Lineage) }

// Format prints the claims without the secret, whatever the verb.
func (c Claims) Format(f fmt.State, verb rune) {
	_, _ = fmt.Fprintf(f, "Claims{SessionID:%s AccountID:%s AccessKeyID:%s SecretAccessKey:%s PrincipalType:%s PrincipalARN:%s SessionARN:%s IssuedAt:%s Expires:%s}",
		c.SessionID, c.AccountID, c.AccessKeyID, Redacted, c.PrincipalType, c.PrincipalARN, c.SessionARN,
		c.IssuedAt.UTC().Format(time.RFC3339), c.Expires.UTC().Format(time.RFC3339))
}

func (c Claims) String() string   { return fmt.Sprint(c) }
func (c Claims) GoString() string { return fmt.Sprint(c) }

// LogValue implements slog.LogValuer: the session's identity, never its
// secret.
func (c Claims) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("session_id", c.SessionID),
		slog.String("account_id", c.AccountID),
		slog.String("access_key_id", c.AccessKeyID),
		slog.String("principal_type", c.PrincipalType.String()),
		slog.String("principal_arn", c.PrincipalARN),
		slog.String("session_arn", c.SessionARN),
		slog.Time("expires", c.Expires),
	)
}

// TemporaryCredentials is what a minting STS action returns to its caller.
type TemporaryCredentials struct {
	AccessKeyID     string
	SecretAccessKey Secret
	// SessionToken is the sealed token. It is not secret on its own (it
	// is useless without the secret key) but is kept out of fmt and logs
	// all the same, as AWS tools do.
	SessionToken string
	Expiration   time.Time
	// PackedPolicySize is the percentage of PackedBudget the session
	// policies and tags use; 0 when none were passed (STS then omits it).
	PackedPolicySize int
}

// Format prints the credentials without the secret or the token.
func (t TemporaryCredentials) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "TemporaryCredentials{AccessKeyID:%s SecretAccessKey:%s SessionToken:%s Expiration:%s}",
		t.AccessKeyID, Redacted, Redacted, t.Expiration.UTC().Format(time.RFC3339))
}

func (t TemporaryCredentials) String() string   { return fmt.Sprint(t) }
func (t TemporaryCredentials) GoString() string { return fmt.Sprint(t) }

// LogValue implements slog.LogValuer.
func (t TemporaryCredentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_key_id", t.AccessKeyID),
		slog.Time("expiration", t.Expiration),
	)
}

// MarshalJSON keeps the secret and the token out of JSON (logs, debug
// dumps). Code that must hand the credential to its owner (an STS response,
// credential_process output) builds that form itself with Reveal.
func (t TemporaryCredentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		AccessKeyID     string
		SecretAccessKey string
		SessionToken    string
		Expiration      time.Time
	}{t.AccessKeyID, Redacted, Redacted, t.Expiration})
}
