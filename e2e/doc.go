// Package e2e tests Brevet end to end: it builds the brevet binary, starts
// `brevet serve` on 127.0.0.1:0 with a fresh data directory, and drives it
// with the real AWS clients: the AWS CLI, boto3, aws-sdk-go-v2 (in
// process) and the AWS SDK for JavaScript v3 (node scripts in e2e/js).
//
// Clients are run with a scratch HOME and with AWS_* variables of the
// caller's environment removed, so a developer's real AWS configuration
// can neither leak in nor be touched. Outside CI a missing client (no aws,
// no boto3, no node_modules in e2e/js) skips the tests that need it with a
// message; under CI=true it fails them.
package e2e
