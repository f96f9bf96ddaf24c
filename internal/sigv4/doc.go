// Package sigv4 verifies AWS Signature Version 4 (4a, and 4-X509) requests, and signs
// them for tests and upstream calls.
//
// It owns the canonical request, the credential scope, the signing-key cache,
// clock-skew rules and the streaming chunk-signature reader. It is pure: no
// store, no net/http server, no clock of its own (time is passed in). It
// returns typed errors (*Error with a Kind); package awsquery maps them to
// AWS wire codes. No error ever carries a secret or an expected signature.
//
// A server verifies in two steps, so that it can look the secret up in
// between:
//
//	req := sigv4.FromHTTP(r, body)
//	auth, err := sigv4.Parse(&req)            // syntax only; unsigned → KindMissingAuthenticationToken
//	secret := lookUp(auth.AccessKeyID, auth.SecurityToken) // unknown key → InvalidClientTokenId (caller's)
//	err = verifier.Verify(&req, auth, secret, now)         // scope, clock, payload, signature
//
// A request signed with a certificate's key (SigV4-X509, IAM Roles
// Anywhere's CreateSession) parses the same way, with Auth.Serial and
// Auth.X509 in place of an access key id; the caller decodes the
// certificate, verifies its chain, and calls VerifyX509 with it.
//
// Bodies that are not yet read (S3 aws-chunked uploads) go through
// VerifyStream, which returns a reader that checks each chunk before
// returning its bytes.
package sigv4
