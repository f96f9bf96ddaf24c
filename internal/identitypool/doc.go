// Package identitypool implements identity pools: the API of Amazon
// Cognito's identity pools (Cognito Identity, `cognito-identity`, JSON
// 1.1), so that browser and mobile apps, which can hold no secret, get
// scoped temporary credentials through the AWS SDKs' identity-pool
// credential providers (`fromCognitoIdentityPool` in the JS SDK).
//
// A pool names the logins it accepts (OIDC providers registered in IAM,
// well-known social providers by their OIDC issuer, SAML providers, and a
// developer provider the app's back end vouches for) and the roles its
// identities get: an authenticated and an unauthenticated (guest) role,
// and role mappings per provider (the token's cognito:preferred_role, or
// rules on its claims). An identity is a stable id in the pool: the same
// login always gets the same identity, and linking a second login to an
// identity merges them.
//
// The administrative actions are SigV4-signed and authorized as IAM
// actions (cognito-identity:CreateIdentityPool on the pool's ARN ...).
// GetId, GetCredentialsForIdentity, GetOpenIdToken and UnlinkIdentity are
// unsigned, as on AWS: the login tokens are the only proof, verified
// before anything else is believed. Credentials come from the role's
// trust policy alone (the federated principal
// cognito-identity.amazonaws.com, with the :aud, :sub and :amr keys), as
// STS decides them (sts.Service.PoolSession).
//
// State lives in store.Objects (kinds Kind*); the package caches pools
// and drops them on the change feed (Apply).
package identitypool
