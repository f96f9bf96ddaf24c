package saml

import "fmt"

// Kind classifies a verification failure by the AWS error it becomes on
// the wire; the mapping lives in awsquery.
type Kind int

// The kinds of failure.
const (
	// InvalidToken: malformed XML, a missing or invalid signature, a
	// wrong issuer, audience or recipient, a failed status, a missing
	// required element or attribute. AWS: InvalidIdentityToken.
	InvalidToken Kind = iota + 1
	// Expired: the assertion's validity window has passed, or it was
	// issued too long ago. AWS: ExpiredTokenException.
	Expired
	// Replayed: the assertion has been redeemed before. AWS answers
	// InvalidIdentityToken.
	Replayed
	// RejectedClaim: the assertion verified but an attribute's value is
	// unacceptable (session duration out of range, a tag with several
	// values). AWS: IDPRejectedClaim.
	RejectedClaim
)

func (k Kind) String() string {
	switch k {
	case InvalidToken:
		return "InvalidToken"
	case Expired:
		return "Expired"
	case Replayed:
		return "Replayed"
	case RejectedClaim:
		return "RejectedClaim"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a verification failure. Message is safe to return to callers;
// Err carries internal detail for logs.
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

func invalid(msg string, err error) *Error { return &Error{Kind: InvalidToken, Message: msg, Err: err} }

func rejected(msg string, err error) *Error {
	return &Error{Kind: RejectedClaim, Message: msg, Err: err}
}

// Messages. "Response signature invalid" and the five-minute redemption
// rule are AWS's texts; the others describe the failure in AWS's style.
const (
	msgMalformed       = "Invalid SAML response"
	msgSignature       = "Response signature invalid"
	msgStatus          = "SAML response status is not Success"
	msgAssertionCount  = "The SAML response must contain exactly one assertion"
	msgEncrypted       = "Encrypted SAML assertions are not supported"
	msgIssuer          = "The SAML assertion's Issuer does not match the provider"
	msgAudience        = "The SAML assertion's Audience is not this service's sign-in URL"
	msgRecipient       = "The SAML assertion's SubjectConfirmationData Recipient is not this service's sign-in URL"
	msgConfirmation    = "The SAML assertion must have exactly one bearer SubjectConfirmation with NotOnOrAfter and Recipient"
	msgSubject         = "The SAML assertion has no Subject NameID"
	msgNotYetValid     = "The SAML assertion is not yet valid"
	msgExpired         = "The SAML assertion has expired"
	msgTooOld          = "Token must be redeemed within 5 minutes of issuance"
	msgReplayed        = "The SAML assertion has already been used"
	msgNoRole          = "The SAML assertion has no valid https://aws.amazon.com/SAML/Attributes/Role attribute"
	msgSessionDuration = "SessionDuration must be an integer between 900 and 43200"
	msgTags            = "PrincipalTag attributes must have exactly one value"
	msgSingleValue     = "The attribute must have exactly one value"
)
