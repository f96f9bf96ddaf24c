// Package sso is Brevet's single sign-on for the AWS CLI and SDKs (issue
// 17, docs/sso.md): the SSO OIDC API (client registration, device and
// authorization-code grants, refresh), the sign-in sessions behind its
// tokens, and the identity a person signed in as.
//
// Its subpackages are the rest of the flow: portal (ListAccounts,
// ListAccountRoles, GetRoleCredentials, Logout, with the bearer token),
// assign (who may have which role in which account) and signin (the
// server-rendered sign-in pages, with IAM users' passwords and MFA or an
// OIDC identity provider).
//
// Client registrations are stateless: the client id is the registration
// sealed under the master keyring, the client secret a sealed reference
// to it, so a forged or altered id does not open. Device authorizations
// (by user code), authorization codes and sign-in sessions are
// store.Objects in the instance account; a device code or authorization
// code is redeemed by deleting its object, so it is good once. Access
// tokens are sealed and name their session, which Authenticate finds in
// memory (Apply drops it on every node when the change feed reports the
// session, its user or its login profile changed). Refresh tokens carry
// the session's generation; each refresh moves it on with
// Objects.UpdateIf, and an older generation's token revokes the session
// (the one just replaced is honoured for refreshGrace, for clients that
// refresh from two processes at once).
// Every sealed thing has its own purpose, so none opens as another.
//
// The package knows nothing of HTTP beyond its registration on the
// REST-JSON codec (register.go); time is passed in, and secrets never
// enter errors, logs or the audit record.
package sso
