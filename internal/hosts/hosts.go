package hosts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
)

// The store.Objects kinds of this package.
const (
	KindJoinToken = "brevet.join-token"
	KindHost      = "brevet.host"
	KindHostKey   = "brevet.host-key"
)

// Join token lifetimes (CreateJoinToken's TtlSeconds).
const (
	MinTokenTTL     = time.Minute
	MaxTokenTTL     = 24 * time.Hour
	DefaultTokenTTL = time.Hour
)

// TokenPrefix starts every join token: "bjt_" and 43 base64url characters
// (32 random bytes).
const TokenPrefix = "bjt_"

const tokenLen = len(TokenPrefix) + 43

// MaxHostname bounds a host's label.
const MaxHostname = 255

// Status is a host's state as WaitHostChange reports it.
type Status string

// The statuses.
const (
	// StatusActive: the host obtains credentials.
	StatusActive Status = "active"
	// StatusDeregistered: the host was deregistered; it never obtains
	// credentials again.
	StatusDeregistered Status = "deregistered"
	// StatusNoRole: the host's instance profile is gone or has no role;
	// it obtains credentials again once the profile has one.
	StatusNoRole Status = "no-role"
)

// JoinToken is a stored join token: never the secret, only its SHA-256.
type JoinToken struct {
	Version int    `json:"v"`
	ID      string `json:"-"` // hex SHA-256 of the token
	Account string `json:"-"`
	// Profile is the instance profile's name, ProfileARN its ARN when the
	// token was made.
	Profile    string `json:"profile"`
	ProfileARN string `json:"profileArn"`
	// ProfileID is the profile's unique id: the token is for that
	// profile, not for another made later under its name.
	ProfileID string    `json:"profileId,omitempty"`
	Expires   time.Time `json:"expires"`
	CreatedBy string    `json:"createdBy"`
	Created   time.Time `json:"-"`
}

// Host is an enrolled host.
type Host struct {
	Version int    `json:"v"`
	Account string `json:"-"`
	ID      string `json:"-"` // "i-" and 17 lowercase hex digits
	// Profile is the instance profile's name, ProfileID its unique id:
	// the host is bound to that profile, not to another made later under
	// its name (as an EC2 association names the profile's id).
	Profile   string `json:"profile"`
	ProfileID string `json:"profileId,omitempty"`
	// Fingerprint is the hex SHA-256 of the DER certificate the host
	// enrolled: only requests signed with its key are the host's.
	Fingerprint string `json:"fingerprint"`
	// NotAfter is the certificate's expiry: the host must enroll again
	// with a new one after it.
	NotAfter time.Time `json:"notAfter"`
	Hostname string    `json:"hostname,omitempty"`
	// JoinTokenID is the token it enrolled with; EnrolledBy the ARN of the
	// session whose credentials signed its enrollment otherwise.
	JoinTokenID string `json:"joinTokenId,omitempty"`
	EnrolledBy  string `json:"enrolledBy,omitempty"`
	// Roles are the ARNs of the roles the host obtained sessions of: its
	// deregistration revokes those sessions.
	Roles        []string  `json:"roles,omitempty"`
	Deregistered time.Time `json:"deregistered,omitzero"`
	Created      time.Time `json:"-"`
}

// InstanceARN is the host's ARN, an EC2 instance's:
// arn:aws:ec2:REGION:ACCOUNT:instance/HOSTID.
func InstanceARN(region, account, hostID string) string {
	return "arn:" + iam.Partition + ":ec2:" + region + ":" + account + ":instance/" + hostID
}

// TokenID is the stored id of a join token: its hex SHA-256.
func TokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// validToken reports whether s has a join token's form.
func validToken(s string) bool {
	if len(s) != tokenLen || !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	for _, c := range s[len(TokenPrefix):] {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validHostname reports whether s may label a host: it is printed by
// `brevet hosts list`, so no control or formatting characters.
func validHostname(s string) bool {
	if len(s) > MaxHostname {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validHostID reports whether s has a host id's form.
func validHostID(s string) bool {
	if len(s) != 19 || !strings.HasPrefix(s, "i-") {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func roleName(roleARN string) string {
	return roleARN[strings.LastIndexByte(roleARN, '/')+1:]
}

func decode[T any](body []byte, v *T) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("hosts: decoding a stored object: %w", err)
	}
	return nil
}

// DeniedError refuses a request: a join token that is unknown, used,
// expired or for another profile; a key no enrolled host pinned; a
// deregistered host. Message is what the caller is told; Reason (not for
// the caller) says which.
type DeniedError struct{ Message, Reason string }

func (e *DeniedError) Error() string { return e.Message + " (" + e.Reason + ")" }

// InvalidError says a request is malformed.
type InvalidError struct{ Message string }

func (e *InvalidError) Error() string { return e.Message }

// NotFoundError says a named instance profile or host does not exist in
// the caller's account.
type NotFoundError struct{ Message string }

func (e *NotFoundError) Error() string { return e.Message }

// ThrottledError refuses a request a host makes too many of at once.
type ThrottledError struct{ Message string }

func (e *ThrottledError) Error() string { return e.Message }

const (
	msgTokenDenied = "The join token is not valid."
	msgNotEnrolled = "The certificate is not an enrolled host's."
)
