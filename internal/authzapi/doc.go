// Package authzapi is Brevet's authorization API for other services: it
// owns the route maps (which method and path template of a service is
// which IAM action on which resource, with which condition keys) and the
// check protocols that ask Brevet whether a request to such a service may
// proceed: Envoy's ext_authz (gRPC, envoy.service.auth.v3.Authorization,
// and HTTP), nginx's auth_request, and a plain JSON verify endpoint.
//
// Every check is one request through the request.Pipeline, like any call
// to Brevet's own APIs: the checked request's credentials (SigV4 in its
// headers or query, or a bearer token) are authenticated, the route's
// action authorized on the route's resource, and a data event audited,
// durable before the answer, failing closed. The codec here only turns
// the protocol's envelope into the original request, matches it to a
// route (no route: denied), and writes the protocol's answer: the
// caller's identity as headers when allowed, AWS's AccessDenied sentence
// and encoded authorization message when not.
//
// It holds no store and no keys: authentication, authorization and audit
// are the pipeline's; bearer tokens are verified by the BearerVerifier
// the node supplies (Brevet's own OIDC issuer, registered OIDC providers
// through the STS service's web identity federation).
package authzapi
