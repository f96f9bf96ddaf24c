// Package federation groups the packages that turn an external assertion
// into a verified identity (oidc for web identity tokens, saml for SAML 2.0
// responses, x509 for certificate chains to trust anchors) and the one that
// makes Brevet an OpenID Connect issuer (issuer).
//
// The subpackages are verification and minting cores: they know nothing of
// the store, the STS actions or wire error codes. Each returns typed errors
// that the wire layer maps to AWS codes with errors.As, and each takes the
// current time as an argument.
//
// They are wired in by package sts (AssumeRoleWithWebIdentity,
// AssumeRoleWithSAML, GetWebIdentityToken, with one cached oidc.Verifier
// per IAM provider) and by brevet serve (the issuer's keys, sealed in the
// store, and its endpoints); x509 by Roles Anywhere's CreateSession and the
// IoT credentials provider. fedtest holds the in-test OpenID provider,
// SAML IdP and HTTPS server that those layers' tests use; x509/x509test
// mints certificate hierarchies.
package federation
