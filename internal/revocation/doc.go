// Package revocation owns the exception list of temporary credentials:
// the in-memory List every node checks on each request (zero I/O), and the
// Service that turns "revoke this key / this principal's sessions issued
// before T" into list entries, following role chains through the issuance
// records; and the Recorder that writes those records on the issuance path
// with group commit.
//
// Entries are written to the store and reach every node's List through the
// change feed; they expire when the last credential they cover would have
// expired, so the list stays small. It must not read the store on the
// verification path, and knows nothing of HTTP.
package revocation
