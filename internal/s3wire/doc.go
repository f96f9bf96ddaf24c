// Package s3wire is the S3 REST-XML codec's groundwork: the two pure pieces
// an S3 gateway needs before it can route anything.
//
//   - Addressing (Resolver): from a request's Host and raw, still-escaped
//     path, the bucket and key it names, for path-style
//     (/bucket/key) and virtual-hosted (bucket.s3.example.com/key)
//     requests, decoded exactly once and checked as S3 checks them
//     (bucket naming rules, 1,024-byte keys, UTF-8), plus the gateway's
//     own refusals of dot segments and encoded slashes in the bucket.
//   - Errors (Code, Error, WriteError): the catalogue of S3 error codes
//     with their documented HTTP statuses, and the <Error> document S3
//     sends, with x-amz-request-id and x-amz-id-2, and no body for HEAD.
//
// Like awsquery for the Query protocol, it is one of the places that know
// wire error codes: domain packages return typed errors, and ToWire maps
// them here with errors.As. It must not do domain work: it does not decide
// which IAM action a request is (internal/s3/action), does not verify
// signatures (sigv4), does not talk to the upstream store and does not
// serve HTTP (internal/node, internal/server). It never writes signing
// material (a string to sign, a canonical request, a signature, a secret)
// into an error: S3 echoes <StringToSign> and <CanonicalRequest> in
// SignatureDoesNotMatch, and Error has no field that could carry them.
// It holds no mutable package state.
package s3wire
