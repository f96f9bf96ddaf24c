package rolesanywhere

import "fmt"

// ValidationError is a malformed or unacceptable input
// (ValidationException). Message is safe to show the caller.
type ValidationError struct {
	Message string
}

func (e *ValidationError) Error() string { return "rolesanywhere: invalid input: " + e.Message }

func invalid(format string, args ...any) error {
	return &ValidationError{Message: fmt.Sprintf(format, args...)}
}

// NotFoundError is a resource that does not exist in the caller's
// account (ResourceNotFoundException).
type NotFoundError struct {
	// Kind is "trust anchor", "profile" or "CRL"; ID its id or ARN.
	Kind, ID string
}

func (e *NotFoundError) Error() string {
	return "rolesanywhere: " + e.Kind + " " + e.ID + " not found"
}

// Message is the caller's text: AWS's "Resource not found".
func (e *NotFoundError) Message() string { return "Resource not found" }

// TooManyTagsError is a resource that would carry more than MaxTags tags
// (TooManyTagsException).
type TooManyTagsError struct{}

func (e *TooManyTagsError) Error() string {
	return fmt.Sprintf("rolesanywhere: a resource may have at most %d tags", MaxTags)
}

// DeniedError refuses a CreateSession: the certificate, its chain, the
// trust anchor, the profile or the role does not allow the session
// (AccessDeniedException). Reason is for the audit record and logs (never
// the certificate's key or the credentials); Message is the caller's.
type DeniedError struct {
	Reason  string
	Message string
	// Cause is the underlying error, when there is one.
	Cause error
}

func (e *DeniedError) Error() string { return "rolesanywhere: session denied: " + e.Reason }

func (e *DeniedError) Unwrap() error { return e.Cause }

// denied refuses a session with reason; the caller sees msg.
func denied(msg, reason string, cause error) *DeniedError {
	return &DeniedError{Message: msg, Reason: reason, Cause: cause}
}

// The messages a refused CreateSession answers with. AWS says little to
// an unauthenticated caller; so do we.
const (
	msgUntrusted = "Untrusted signing certificate."
	msgNotAuth   = "Unable to authenticate the request."
	msgProfile   = "Profile is not enabled or does not allow this role."
	msgAssume    = "Unable to assume role for the given profile and trust anchor."
)
