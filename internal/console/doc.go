// Package console serves Brevet's web console at /console/: what an
// administrator does in AWS's IAM console (users, roles, policies,
// identity providers, sessions, the audit trail, the policy simulator), in
// a browser, as server-rendered HTML with a little of its own JavaScript.
//
// It is a client of Brevet's own APIs, never a side door. A person signs
// in on the SSO sign-in pages (internal/sso/signin); the console then
// starts a console session (ConsoleLogin, taken through the pipeline as
// an issuance: audited and indexed) whose temporary credentials are
// sealed into an HttpOnly, Secure, SameSite=Strict cookie. Every page
// calls the Query actions in process, signed with those credentials
// (awsquery.Invoke), so that each call is authenticated, authorized by
// the signed-in principal's policies and audited exactly as the CLI's,
// with the console's mark (sessionCredentialFromConsole).
//
// Every page carries a Content-Security-Policy without inline script or
// style; every form a CSRF token bound to the sealed cookie; every name,
// tag and policy text is escaped by html/template. It owns no IAM state
// and must not read or write the store itself.
package console
