// Package audit is Brevet's audit trail: one typed, versioned event in
// CloudTrail's record format for every request, made durable before the
// response is written, hash-chained and periodically signed so that
// tampering is provable offline with only the public key.
//
// It owns the event format (Event), the conversion from an
// request.Record (FromRecord, with a redaction pass as defence in
// depth), the group-commit writer (Trail), the sinks (the durable file trail
// with rotation and compression, standard output, Tee), the signing key,
// and reading, verifying and searching the trail. Requests Brevet
// authorizes for other services (the S3 gateway, the authorization API)
// become data events, as CloudTrail records S3 object access; a Selector
// chooses which of them are recorded, never leaving out a failure.
//
// It must not decide what a request may do, write HTTP responses for the
// STS and IAM APIs, or let a secret (secret key, session token, password,
// assertion) into an event. Auditing fails closed: when the durable sink
// cannot be written, Audit returns an error and Ready reports false until
// the sink recovers.
package audit
