package sso

import (
	"strings"

	"github.com/brevet-dev/brevet/internal/iam"
)

// Sources of identities.
const (
	// SourceIAM is Brevet's own IAM users, signed in with a password.
	SourceIAM = "iam"
	// SourceIdPPrefix starts the source of a person signed in with the
	// configured identity provider NAME: "idp:NAME".
	SourceIdPPrefix = "idp:"
)

// Identity is the person a sign-in session belongs to, as the sign-in
// page established it. It is kept in the session's store object (the
// tokens only name the session); nothing in it comes from a client.
type Identity struct {
	// Source is SourceIAM or "idp:NAME".
	Source string `json:"src"`
	// Account is the IAM user's account; "" for a provider's users.
	Account string `json:"acct,omitempty"`
	// UserID is the IAM user's unique id (AIDA…), or the provider's
	// subject (sub).
	UserID string `json:"uid"`
	// UserName is the IAM user's name, or the provider's username claim.
	UserName string `json:"name"`
	// Path is the IAM user's path ("" is "/"), for its ARN in the audit
	// trail; "" for a provider's users.
	Path string `json:"path,omitempty"`
	// Groups are the IAM user's group ids, or the provider's groups
	// claim, at sign-in (and at each refresh for IAM users).
	Groups []string `json:"groups,omitempty"`
	// MFA: the person signed in with a second factor (an IAM user's
	// TOTP; a provider's amr claim naming "mfa" or "otp").
	MFA bool `json:"mfa,omitempty"`
}

// IdP reports the provider's name when the identity came from one.
func (id Identity) IdP() (string, bool) {
	return strings.CutPrefix(id.Source, SourceIdPPrefix)
}

// ProviderUserARN names a provider's user (Source "idp:NAME") in the
// audit trail, in the sign-in pages' events and the portal's alike:
// arn:aws:sso:::user/idp:NAME/USERNAME. An IAM user is named by its ARN.
func (id Identity) ProviderUserARN() string {
	return "arn:" + iam.Partition + ":sso:::user/" + id.Source + "/" + id.UserName
}

// PrincipalKeys are the assignment principals the identity matches: its
// user, then each of its groups (none for a source it does not know).
//
//	iam:user/AIDA…          an IAM user, by unique id
//	iam:group/AGPA…         an IAM group, by unique id
//	idp:NAME:user/USERNAME  a provider's user, by its username claim
//	idp:NAME:group/GROUP    a provider's group claim value
func (id Identity) PrincipalKeys() []string {
	var user string
	switch {
	case id.Source == SourceIAM:
		user = id.UserID
	case strings.HasPrefix(id.Source, SourceIdPPrefix):
		user = id.UserName
	default:
		return nil
	}
	keys := make([]string, 0, 1+len(id.Groups))
	keys = append(keys, UserKey(id.Source, user))
	for _, g := range id.Groups {
		keys = append(keys, GroupKey(id.Source, g))
	}
	return keys
}

// UserKey is the assignment principal of a user of source.
func UserKey(source, user string) string { return source + ":user/" + user }

// GroupKey is the assignment principal of a group of source.
func GroupKey(source, group string) string { return source + ":group/" + group }

// The store.Objects kinds of SSO's state.
const (
	// KindDevice is a pending device authorization, by user code.
	KindDevice = "sso.device"
	// KindCode is an unredeemed authorization code, by its nonce.
	KindCode = "sso.code"
	// KindSession is a sign-in session, by session id.
	KindSession = "sso.session"
	// KindAssignment is an assignment of a role to a principal, in the
	// role's account.
	KindAssignment = "sso.assignment"
)
