// Package hosts owns host enrollment (issue 16): join tokens, the hosts
// bound to IAM instance profiles with the public key each registered, and
// the role sessions an enrolled host obtains by signing with that key, as
// an EC2 instance obtains its instance profile's role.
//
// A host enrolls once, with a single-use join token or with credentials
// it obtained otherwise (Roles Anywhere, a web identity), and pins the
// SHA-256 fingerprint of a self-signed certificate of its key. From then
// on it signs GetHostCredentials with SigV4-X509 (scope service
// "brevet") and the pin is the trust: no chain is verified.
//
// The state lives in store.Objects: kinds KindJoinToken (ID: the hex
// SHA-256 of the token; the token itself is never stored), KindHost (ID:
// the host id) and KindHostKey (ID: the certificate's fingerprint; the
// index from a signing key to its host). The package knows nothing of
// HTTP or wire codes: errors are typed (DeniedError, InvalidError,
// NotFoundError, ThrottledError) and the Query codec maps them (WireError).
package hosts
