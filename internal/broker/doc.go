// Package broker brokers real cloud accounts (issue 18, docs/broker.md):
// Brevet holds the trust of an upstream AWS account (an OIDC trust with
// no secret, or a long-term key sealed under the master key and rotated
// on a schedule), decides with its own policies who may obtain which
// upstream role, calls the upstream STS (package upstream) and answers
// with the upstream's credentials, recording both sides in the trail.
//
// It owns the upstream accounts and brokered roles (store.Objects of
// KindUpstream and KindRole, in the Brevet account that registered them,
// an upstream id registered once per installation), an in-memory index
// of them that the change feed invalidates (Apply), key rotation, the
// per-caller credential cache and the Brevet Query actions that manage
// them (register.go). AssumeRole reaches it through sts.Broker; the
// brokered GetSessionToken and GetFederationToken are Brevet actions.
//
// It knows nothing of HTTP servers; it never returns, logs or audits a
// sealed key.
package broker
