// Package revocation owns the exception list of temporary credentials:
// the in-memory List every node checks on each request (zero I/O), which
// decides from a session token alone, its lineage included; the Service
// that turns "revoke this key / this principal's sessions issued before T"
// into list entries; the Indexer that keeps the issuance records, the
// index behind `brevet sessions list`, written behind the audit trail; and
// the session actions on the Query dispatcher (Register).
//
// Entries are written to the store and reach every node's List through the
// change feed; they expire when every credential they can cover has
// expired, so the list stays small. It must not read the store on the
// verification path, and knows nothing of HTTP.
package revocation
