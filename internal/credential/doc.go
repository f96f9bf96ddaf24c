// Package credential mints and seals credentials: access key ids and unique
// ids in AWS's formats, secret access keys, and self-contained session tokens
// sealed under a rotating ring of token keys.
//
// It owns the formats (what an id looks like, what a token carries and how it
// is encoded) and the cryptography that binds them together, so that any node
// holding the token keys can verify a temporary credential without reading a
// database. It is pure: no store, no net/http, no clock of its own (time is
// passed in). Randomness is taken as an io.Reader so tests can pin it; in
// production callers pass crypto/rand.Reader.
//
// Errors are typed (*TokenInvalidError, *TokenExpiredError,
// *PackedPolicyTooLargeError, *AccessKeyIDError) and know nothing of HTTP or
// AWS wire codes; package awsquery maps them. No error, String, GoString,
// fmt verb or slog value of a type in this package ever carries a secret.
//
// Secrets at rest (long-term secret access keys, token keys) are encrypted by
// package masterkey; this package only asks for a Sealer/Opener so it does not
// depend on where the master key comes from.
package credential
