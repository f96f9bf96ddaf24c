package request

// AccessDeniedError is a denial by policy: Principal may not perform
// Action on Resource. Its Error is AWS's AccessDenied sentence, built here
// for every protocol and for actions that deny inside themselves (a role's
// trust policy); codecs map it to their own error code.
type AccessDeniedError struct {
	// Principal is the caller's ARN ("anonymous" when none).
	Principal string
	// Action is the IAM action ("sts:AssumeRole").
	Action string
	// Resource is named in the sentence when not empty.
	Resource string
	Decision Decision
}

// Error is AWS's sentence: "User: ARN is not authorized to perform:
// ACTION on resource: RESOURCE because no identity-based policy allows
// the ACTION action", with " with REASON" for an explicit deny and the
// encoded authorization message appended when there is one.
func (e *AccessDeniedError) Error() string {
	msg := "User: " + e.Principal + " is not authorized to perform: " + e.Action
	if e.Resource != "" {
		msg += " on resource: " + e.Resource
	}
	return AppendEncodedMessage(msg+DenialReason(e.Decision), e.Decision.EncodedMessage)
}

// DenialReason is the end of AWS's AccessDenied message for a denial: ""
// without a reason, " because <reason>" for an implicit deny, " with
// <reason>" for an explicit one.
func DenialReason(d Decision) string {
	switch {
	case d.Reason == "":
		return ""
	case d.ExplicitDeny:
		return " with " + d.Reason
	}
	return " because " + d.Reason
}

// AppendEncodedMessage completes an AccessDenied message with the encoded
// authorization message, as AWS words it; it returns msg unchanged when
// encoded is empty.
func AppendEncodedMessage(msg, encoded string) string {
	if encoded == "" {
		return msg
	}
	return msg + ". Encoded authorization failure message: " + encoded
}
