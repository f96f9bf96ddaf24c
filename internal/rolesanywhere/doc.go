// Package rolesanywhere is IAM Roles Anywhere's domain service: the
// control plane's trust anchors (CA bundles), profiles (the roles a
// certificate may assume and how), certificate revocation lists and tags,
// kept as documents in store.Objects; and CreateSession, which turns a
// request signed with a certificate's key (SigV4-X509) into a role
// session.
//
// Inputs and outputs are typed as AWS's REST-JSON model names them
// (botocore's rolesanywhere 2018-05-10); register.go puts every action on
// the restjson codec. The package knows nothing of net/http beyond the
// request the certificate authenticator reads its headers from; time is
// passed in. Anchors, compiled profiles and verified chains are cached
// and dropped on every node by Apply, which the node's change-feed
// follower calls with each ChangeObject of the kinds this package owns.
package rolesanywhere
