// Package x509 verifies the X.509 certificate chains that devices and
// workloads authenticate with (IAM Roles Anywhere's CreateSession, the IoT
// credentials provider) against trust anchors, and maps a certificate's
// attributes to session tags as AWS does.
//
// It owns the bounded decoding of the X-Amz-X509 and X-Amz-X509-Chain
// headers (ParseHeaders), chain building to an anchor with Brevet's rules on
// top of crypto/x509's (Verifier), revocation by the anchors' CRLs, the
// verification cache keyed by certificates, anchors and the anchors'
// generation (Cache), and the attribute mapping (Attributes). It is pure:
// no store, no HTTP, no clock (time is passed in). Failures are *Error with
// a Reason, which the wire layer maps to AccessDeniedException or
// ValidationException with errors.As.
//
// Package x509test mints certificate hierarchies for tests.
package x509
