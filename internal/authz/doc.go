// Package authz decides whether an authenticated caller may perform an
// action: it implements request.Authorizer for every STS and IAM request,
// and evaluates the AssumeRole family (trust policy plus the caller's own
// policies) for package sts.
//
// It turns an *identity.Principal into the policy set AWS would evaluate (a
// user's inline, attached and group policies; a role session's role
// policies and session policies; a federated user's policies intersected
// with its session policy; always the permissions boundary), compiles that
// set once and caches it per principal and per session. The cache is
// invalidated from the store's change feed (polled at most every
// Config.PollInterval, or at once through Sync), so an IAM change is seen by
// the next request after the poll, and the cost of a decision does not grow
// with the number of users, roles or live sessions.
//
// Every denial carries an encoded authorization message: AWS-shaped JSON
// (allowed, explicitDeny, matchedStatements, failures, context) sealed with
// AES-256-GCM under a key the Authorizer holds, which only DecodeMessage
// (sts:DecodeAuthorizationMessage) can open.
//
// It does no wire work (request.AccessDeniedError words the denial) and no policy
// language work (package policy parses and evaluates); it must not write to
// the store.
package authz
