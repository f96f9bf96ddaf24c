// Package iam is Brevet's IAM domain model: accounts, users, groups, roles,
// managed and inline policies, access keys and virtual MFA devices, with
// AWS's naming rules, quotas, ARN formats, unique-id formats and the typed
// errors that IAM actions return.
//
// It owns what an IAM entity is and which values are legal; it does not own
// storage (package store defines the interfaces, store/* the backends) or the
// wire (package awsquery maps the errors here to AWS error codes with
// errors.As). Nothing here knows about HTTP status codes, SQL or clocks: times
// are fields set by the caller.
//
// Secrets never appear in plaintext here: AccessKey and VirtualMFADevice
// carry only ciphertext sealed by the service layer under the master key.
package iam
