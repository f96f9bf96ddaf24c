package oidc

import (
	"fmt"
	"time"
)

// Kind classifies a verification failure by the AWS error it becomes on
// the wire. The mapping itself lives in awsquery; this package only says
// which family a failure belongs to.
type Kind int

// The kinds of failure.
const (
	// InvalidToken: the token is malformed, its signature does not verify,
	// its algorithm is not allowed, its issuer or audience is wrong, or a
	// required claim is missing. AWS: InvalidIdentityToken.
	InvalidToken Kind = iota + 1
	// Expired: exp is in the past (beyond the leeway). AWS:
	// ExpiredTokenException.
	Expired
	// Communication: the provider's discovery document or JWKS could not
	// be fetched and no cached key fits. AWS: IDPCommunicationError.
	Communication
	// RejectedClaim: the token verified but a claim's content is
	// unacceptable (session tags in the wrong shape). AWS:
	// IDPRejectedClaim.
	RejectedClaim
)

func (k Kind) String() string {
	switch k {
	case InvalidToken:
		return "InvalidToken"
	case Expired:
		return "Expired"
	case Communication:
		return "Communication"
	case RejectedClaim:
		return "RejectedClaim"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a verification failure. Message is safe to return to the caller
// (it mirrors AWS's text where AWS's text is known); Err carries internal
// detail for logs and is never shown to callers.
type Error struct {
	Kind    Kind
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

func invalid(msg string, err error) *Error {
	return &Error{Kind: InvalidToken, Message: msg, Err: err}
}

// AWS's texts, as seen in AWS error responses.
const (
	msgMalformed    = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
	msgAudience     = "Incorrect token audience"
	msgIssuer       = "Incorrect token issuer"
	msgSignature    = "The signature of the token could not be verified"
	msgAlgorithm    = "The token is signed with an algorithm that is not allowed"
	msgNoKey        = "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements"
	msgNotYetValid  = "The token is not yet valid"
	msgIssuedFuture = "The token was issued in the future"
	msgTags         = "Session tags in the token are not in the form AWS defines"
	// msgSourceIdentity is ours: AWS's text for this case is not known.
	msgSourceIdentity = "The source identity in the token must be a string of 2 to 64 characters: letters, digits and _+=,.@-"
)

func missingClaim(name string) *Error {
	return invalid("Missing a required claim: "+name, nil)
}

func expired(now, exp time.Time) *Error {
	return &Error{Kind: Expired, Message: fmt.Sprintf(
		"Token expired: current date/time %d must be before the expiration date/time %d",
		now.Unix(), exp.Unix())}
}
