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
package sso
