// Package agent is `brevet agent`: a client of Brevet's host enrollment
// API (EnrollHost, GetHostCredentials) that keeps one host's role
// credentials, and its workloads' role credentials, fresh in memory and
// serves them where the AWS SDKs already look: an IMDSv2 server and the
// container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI).
// It also holds the logic of `brevet credential-process`.
//
// The agent is a client only: it never sees Brevet's store or keys, and
// it must not log or return credentials except to an authorized caller
// of its own endpoints (an IMDSv2 token holder, a container
// authorization token holder). Time comes from an injected clock.
package agent
