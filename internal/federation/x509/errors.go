package x509

import "fmt"

// Reason says why a certificate was refused.
type Reason int

// The reasons a certificate or its chain is refused.
const (
	// Malformed: a header is not strict base64 or a certificate does not
	// parse.
	Malformed Reason = iota + 1
	// TooLarge: a header is over its size or count bound.
	TooLarge
	// Expired: the leaf or a certificate of its chain is past NotAfter.
	Expired
	// NotYetValid: the leaf or a certificate of its chain is before
	// NotBefore.
	NotYetValid
	// UnknownAuthority: no chain leads to an anchor given.
	UnknownAuthority
	// NotCA: a certificate that signs another is not a CA.
	NotCA
	// Constraint: a name constraint or path length constraint is
	// violated.
	Constraint
	// Revoked: a certificate of the chain is on its issuer's CRL.
	Revoked
	// WeakKey: an RSA key under 2048 bits, or a key type not allowed.
	WeakKey
	// WeakSignature: a certificate is signed with SHA-1 or MD5.
	WeakSignature
	// KeyUsage: the leaf's key usage does not allow digital signatures,
	// or an extended key usage constraint is not met.
	KeyUsage
)

func (r Reason) String() string {
	switch r {
	case Malformed:
		return "Malformed"
	case TooLarge:
		return "TooLarge"
	case Expired:
		return "Expired"
	case NotYetValid:
		return "NotYetValid"
	case UnknownAuthority:
		return "UnknownAuthority"
	case NotCA:
		return "NotCA"
	case Constraint:
		return "Constraint"
	case Revoked:
		return "Revoked"
	case WeakKey:
		return "WeakKey"
	case WeakSignature:
		return "WeakSignature"
	case KeyUsage:
		return "KeyUsage"
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Error is a refused certificate. Message is safe to return to the
// client: it names certificate fields, never key material.
type Error struct {
	Reason  Reason
	Message string
}

func (e *Error) Error() string { return "x509: " + e.Reason.String() + ": " + e.Message }

// Client reports whether the failure is the request's form rather than
// its trust (Malformed, TooLarge): AWS answers those with
// ValidationException, the others with AccessDeniedException.
func (e *Error) Client() bool { return e.Reason == Malformed || e.Reason == TooLarge }

func errorf(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Message: fmt.Sprintf(format, args...)}
}
