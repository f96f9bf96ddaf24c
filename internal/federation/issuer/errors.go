package issuer

import "fmt"

// Kind classifies a minting (or Verify) failure by the AWS error it becomes on the
// wire; the mapping lives in awsquery.
type Kind int

// The kinds of failure.
const (
	// InvalidInput: a request field is out of range. AWS:
	// ValidationError.
	InvalidInput Kind = iota + 1
	// SessionDurationEscalation: the token would outlive the caller's
	// session. AWS: SessionDurationEscalationException.
	SessionDurationEscalation
	// PayloadTooLarge: the claims exceed MaxPayloadBytes. AWS:
	// JWTPayloadSizeExceededException.
	PayloadTooLarge
	// NoKey: the issuer has no active key for the algorithm (a
	// configuration fault on Brevet's side, a 500).
	NoKey
	// InvalidToken: Verify refused a token (syntax, signature, issuer,
	// a missing claim, not yet valid).
	InvalidToken
	// Expired: Verify refused a token past its exp.
	Expired
)

func (k Kind) String() string {
	switch k {
	case InvalidInput:
		return "InvalidInput"
	case SessionDurationEscalation:
		return "SessionDurationEscalation"
	case PayloadTooLarge:
		return "PayloadTooLarge"
	case NoKey:
		return "NoKey"
	case InvalidToken:
		return "InvalidToken"
	case Expired:
		return "Expired"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a minting failure; Message is safe to return to callers.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }
