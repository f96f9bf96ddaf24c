// Package loadgen is Brevet's load generator: it drives an STS/IAM endpoint,
// or the S3 gateway (REST workloads signed as S3 signs, and single large
// streamed transfers), over keep-alive HTTP connections with requests that
// are each signed for real (SigV4, current time, one signature per
// request), and measures
// throughput, latency percentiles and, from /proc, the CPU time and memory
// the server process spent.
//
// It exists because the AWS SDK client stack costs several times more CPU
// per request than the server work we want to measure; on a small machine,
// where generator and server share the cores, that cost would hide the
// server's. The generator here does only what a client must: build the
// form body, sign it, send it and read the response.
//
// It also owns the trivial handler that every run is compared with (a
// fixed response, no work), so that figures are reported as a ratio of
// what this machine can do at all; the durable trivial handler, the same
// plus a record per request made durable through an Appender (the
// benchmark gives it the audit trail's group commit), so that they are
// also reported as a ratio of what the durability promise leaves; the null
// S3 backend (NullS3Handler), the S3 gateway's reference; the in-memory
// certificate authority (PKI) whose leaves sign Roles Anywhere's
// CreateSession and present themselves to the IoT credentials provider;
// and the minimal signed Query client the benchmark uses to set up roles and users.
//
// It must not import the server side (server, awsquery, sts, iam, s3): it
// measures them from the outside, over HTTP, as a client would.
package loadgen
