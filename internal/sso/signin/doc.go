// Package signin serves the SSO sign-in pages (docs/sso.md): the start
// page, the device verification page where a person approves the user
// code the AWS CLI shows, the OAuth authorization page of CLI 2.22+'s
// loopback flow, and the sign-in itself, with an IAM user's password and
// TOTP or with one of the configured OpenID Connect identity providers
// (authorization code, PKCE S256, state and nonce).
//
// The pages are server-rendered, work without JavaScript and carry a
// Content-Security-Policy without inline script or style. The browser's
// sign-in lives in a sealed, HttpOnly, Secure, SameSite=Strict cookie;
// every POST checks a CSRF token bound to it, and Origin when present.
// Sign-in attempts and user-code entries are rate-limited, failures are
// answered with one generic message, and every attempt and decision is
// audited.
//
// It owns no SSO state: device codes, authorization codes and sessions
// are package sso's, reached through the Flows interface. It must not
// put a password, TOTP code, authorization code or token in a log line,
// an audit record or an error shown to a browser.
package signin
