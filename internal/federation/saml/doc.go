// Package saml verifies the SAML 2.0 responses that AssumeRoleWithSAML
// receives, against an IAM SAML provider built from the IdP's metadata,
// and turns a valid one into an Assertion: the subject, the AWS attributes
// (roles, session name and duration, session tags, source identity), and
// AWS's saml: trust-policy condition keys.
//
// XML signatures are verified by goxmldsig (never by hand); only the
// element a valid signature covers is read, a response must hold exactly
// one assertion, DTDs are refused, and each assertion is redeemed once
// (ReplayCache). Encrypted assertions are not supported.
//
// It does not find the provider (the caller resolves PrincipalArn), check
// that the role trusts the provider, or know wire error codes: failures
// are *Error values whose Kind the wire layer maps to InvalidIdentityToken,
// ExpiredTokenException or IDPRejectedClaim. Time is passed in.
package saml
