// Package broker brokers real cloud accounts (issue 18, docs/broker.md):
// Brevet holds the trust of an upstream AWS account (an OIDC trust with
// no secret, or a long-term key sealed under the master key and rotated
// on a schedule), decides with its own policies who may obtain which
// upstream role, calls the upstream STS (package upstream) and answers
// with the upstream's credentials, recording both sides in the trail.
//
// It owns the upstream accounts and brokered roles (store.Objects of
// KindUpstream and KindRole in the Brevet account that registered them;
// an upstream id is claimed once per installation by an object in the
// pseudo-account iam.AWSAccount), an in-memory index of them that the
// change feed invalidates (Apply), key rotation (Rotate, RotateDue) and
// the rewrap of the keys under a new master key (Rewrap), the per-caller
// credential cache, the proof that a caller's session policy is no wider
// than a brokered role's ceiling (Narrower), and the Brevet Query
// actions that manage them (Register) with their wire errors
// (WireError). AssumeRole reaches it through sts.Broker; the brokered
// GetSessionToken and GetFederationToken are Brevet actions.
//
// It knows nothing of HTTP servers: the Query dispatcher it registers on
// authenticates, authorizes and audits. It never returns, logs or audits
// the secret of an upstream key, sealed or not; an upstream session's
// secret goes to its caller only, never to a log or the trail.
package broker
