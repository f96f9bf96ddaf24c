// Package sigv4 verifies AWS Signature Version 4 (and 4a) requests, and signs
// them for tests and upstream calls.
//
// It owns the canonical request, the credential scope, the signing-key cache,
// clock-skew rules and the streaming chunk-signature reader. It is pure: no
// store, no net/http server, no clock of its own (time is passed in). It
// returns typed errors (*Error with a Kind); package awsquery maps them to
// AWS wire codes. No error ever carries a secret or an expected signature.
package sigv4
