// Package authn answers "who signed this request?" for the AWS Query
// dispatcher: it implements request.Authenticator by parsing the SigV4
// authentication (package sigv4), resolving the access key to its secret
// and its principal, verifying the signature, and returning an
// *identity.Principal.
//
// Long-term keys (AKIA…) live in the store with their secrets sealed under
// the master key. Looking one up costs a store read and an AES-GCM open, so
// active keys are cached in memory with the secret already opened (held in a
// credential.Secret, which never prints). The cache follows the store's
// change feed: Sync applies new changes (a deleted or deactivated key, a
// renamed or deleted user) and Watch calls it periodically; the composition
// root also calls Sync right after every IAM write it serves, so a key
// deleted through this node stops working before the DeleteAccessKey
// response is sent. Temporary keys (ASIA…) need no store read at all: the
// session token is opened with the token key ring and carries the secret
// and the session's claims; a revoked one is refused by the in-memory
// revocation list (Config.Revoked, package revocation), also with no I/O.
// Nothing on the verification path waits for the store once a key is
// cached: key last-use times are queued and written by FlushUses, which
// the caller runs off the request path.
//
// Failures are typed: *sigv4.Error with AWS's kind and text, which package
// awsquery maps to the wire (InvalidClientTokenId, ExpiredToken,
// SignatureDoesNotMatch, ...). Nothing here writes HTTP responses,
// evaluates policies or logs a secret.
package authn
