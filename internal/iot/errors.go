package iot

import "fmt"

// Code is the kind of a management error, one per AWS IoT error the
// actions answer; register.go maps each to its wire code and status.
type Code int

// The codes.
const (
	// InvalidRequest is a malformed or contradictory request.
	InvalidRequest Code = iota + 1
	// NotFound is a resource that does not exist.
	NotFound
	// AlreadyExists is a resource created twice (ResourceID and
	// ResourceARN name it).
	AlreadyExists
	// CertificateValidation is a certificate that does not parse or
	// verify.
	CertificateValidation
	// CertificateState is an operation the certificate's status forbids.
	CertificateState
	// CertificateConflict is a certificate registered in another account.
	CertificateConflict
	// DeleteConflict is a deletion of a resource still in use.
	DeleteConflict
	// VersionConflict is an update whose expected version is not the
	// thing's.
	VersionConflict
)

// Error is a management action's refusal: its code and a message safe to
// show the caller.
type Error struct {
	Code    Code
	Message string
	// ResourceID and ResourceARN name the existing resource of an
	// AlreadyExists error.
	ResourceID, ResourceARN string
}

func (e *Error) Error() string { return "iot: " + e.Message }

func errorf(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// Reason is why the credentials provider refused a device.
type Reason int

// The reasons, each answered as AWS's credentials provider answers it.
const (
	// CertificateInvalid: no client certificate, or one that is not
	// registered (403 "Certificate is invalid on this endpoint").
	CertificateInvalid Reason = iota + 1
	// CertificateNotActive: the certificate or its CA is not ACTIVE, or
	// the certificate is outside its validity (403 "Access Denied").
	CertificateNotActive
	// InvalidThingName: the thing named in x-amzn-iot-thingname does not
	// exist or is not attached to the certificate (403 "Invalid thing
	// name passed").
	InvalidThingName
	// RoleAliasNotFound: no such role alias in the certificate's account
	// (404 "Role alias does not exist").
	RoleAliasNotFound
	// AssumeRoleRefused: the role does not exist or its trust policy does
	// not let credentials.iot.amazonaws.com assume it (400).
	AssumeRoleRefused
	// DurationExceedsMax: the role alias's duration exceeds the role's
	// maximum session duration (400).
	DurationExceedsMax
	// BadRequest: a malformed request (an invalid role alias or thing
	// name in the request).
	BadRequest
)

// DeviceError is the credentials provider's refusal of a device. Detail
// is for logs and the audit record's error; the device sees only the
// message its Reason has.
type DeviceError struct {
	Reason Reason
	Detail string
	Err    error
}

func (e *DeviceError) Error() string {
	if e.Err != nil {
		return "iot: credentials provider: " + e.Detail + ": " + e.Err.Error()
	}
	return "iot: credentials provider: " + e.Detail
}

func (e *DeviceError) Unwrap() error { return e.Err }
