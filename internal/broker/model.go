package broker

import (
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
)

// Object kinds (store.Object.Kind).
const (
	// KindUpstream is an upstream account; its ID the upstream account id.
	KindUpstream = "broker.upstream"
	// KindRole is a brokered role; its ID RoleID(arn).
	KindRole = "broker.role"
)

// Trust modes of an upstream account.
const (
	// ModeOIDC: the upstream trusts Brevet's OIDC issuer; Brevet calls
	// AssumeRoleWithWebIdentity with a token it mints. No secret.
	ModeOIDC = "OIDC"
	// ModeKey: Brevet holds a long-term access key of an upstream IAM
	// user, sealed under the master key, and calls AssumeRole,
	// GetSessionToken and GetFederationToken with it.
	ModeKey = "KEY"
)

// KeyPurpose is the additional data an upstream key's secret is sealed
// with: the Brevet account and the upstream account it belongs to.
func KeyPurpose(account, upstream string) string {
	return "broker/upstream-key/v1:" + account + ":" + upstream
}

// Upstream is a registered upstream account (the stored document).
type Upstream struct {
	// Account is the Brevet account holding the registration.
	Account string `json:"-"`
	// ID is the upstream account id (12 digits).
	ID   string `json:"id"`
	Mode string `json:"mode"`
	// STSEndpoint, IAMEndpoint and Region say where the upstream is
	// (defaults: https://sts.REGION.amazonaws.com, https://iam.amazonaws.com,
	// us-east-1).
	STSEndpoint string `json:"sts_endpoint"`
	IAMEndpoint string `json:"iam_endpoint,omitempty"`
	Region      string `json:"region"`
	// CABundle is PEM roots for the endpoints, "" for the system's.
	CABundle string `json:"ca_bundle,omitempty"`
	// Audience is the OIDC token's aud (ModeOIDC; default
	// "sts.amazonaws.com").
	Audience string `json:"audience,omitempty"`
	// Key (ModeKey) is the sealed key; never shown.
	Key *SealedKey `json:"key,omitempty"`
	// UserName is the upstream IAM user whose key is held ("" = the key's
	// own user), for rotation.
	UserName string `json:"user_name,omitempty"`
	// RotateEvery is the rotation period; zero rotates on demand only.
	RotateEvery time.Duration `json:"rotate_every,omitempty"`
	// Rotation is the state of the last rotation.
	Rotation Rotation `json:"rotation"`
	// Rate and Burst limit this node's calls to the upstream (zero:
	// upstream.DefaultRate, DefaultBurst).
	Rate  float64 `json:"rate,omitempty"`
	Burst int     `json:"burst,omitempty"`
	// Cache keeps still-valid upstream credentials per caller.
	Cache       bool      `json:"cache,omitempty"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	CreatedBy   string    `json:"created_by"`
}

// SealedKey is an upstream access key: its id in clear, its secret
// sealed with KeyPurpose.
type SealedKey struct {
	AccessKeyID string    `json:"access_key_id"`
	Secret      []byte    `json:"secret"`
	Created     time.Time `json:"created"`
}

// Rotation is the state of an upstream key's rotation.
type Rotation struct {
	// Last is when the key was last rotated successfully.
	Last time.Time `json:"last,omitempty"`
	// Failed is when the last attempt failed, zero when it did not;
	// Error says why (never a secret).
	Failed time.Time `json:"failed,omitempty"`
	Error  string    `json:"error,omitempty"`
	// Lease is held by the node rotating now, until it expires: in a
	// cluster one node rotates (claimed with store.Objects.UpdateIf).
	Lease time.Time `json:"lease,omitempty"`
	// Pending is the id of a new key created upstream and not switched
	// to yet (a rotation under way, or one interrupted by a crash), and
	// Retired the id of the key switched from until its deletion
	// upstream succeeded: the next rotation deletes both upstream first,
	// so that no key no one holds lives on (nor fills the user's quota of
	// two keys).
	Pending string `json:"pending,omitempty"`
	Retired string `json:"retired,omitempty"`
}

// Role is a brokered role (the stored document).
type Role struct {
	// Account is the Brevet account holding it (its upstream's).
	Account string `json:"-"`
	// Upstream is the upstream account id; ARN the upstream role's ARN.
	Upstream string `json:"upstream"`
	ARN      string `json:"arn"`
	// TrustPolicy is the Brevet-side trust policy (who in Brevet may
	// obtain the role), bound as a role's is (package trust).
	TrustPolicy   string                 `json:"trust_policy"`
	TrustBindings []iam.PrincipalBinding `json:"trust_bindings"`
	// MaxSessionDuration is in seconds (900..43200, default 3600).
	MaxSessionDuration int `json:"max_session_duration"`
	// SessionPolicy is the ceiling (see sts.BrokeredRole), "" for none.
	SessionPolicy string `json:"session_policy,omitempty"`
	// ExternalID is passed to the upstream AssumeRole (ModeKey).
	ExternalID  string    `json:"external_id,omitempty"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	CreatedBy   string    `json:"created_by"`
}

// RoleID is a brokered role's object id: the upstream account and the
// role name as IAM compares names (without case).
func RoleID(upstream, name string) string { return upstream + "/" + iam.NameKey(name) }
