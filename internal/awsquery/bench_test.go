package awsquery_test

import (
	"testing"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/ratelimit"
)

// BenchmarkDecodeAssumeRole decodes a typical AssumeRole form (role ARN,
// session name, duration, two tags, a ~300-character session policy) into
// its typed input, with validation.
func BenchmarkDecodeAssumeRole(b *testing.B) {
	body := assumeRoleBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	params := make([]awsquery.Param, 0, 16)
	for b.Loop() {
		ps, err := awsquery.ParseForm(params[:0], body)
		if err != nil {
			b.Fatal(err)
		}
		v, err := awsquery.Decode(stsapi.AssumeRole.Input, ps)
		if err != nil {
			b.Fatal(err)
		}
		if err := awsquery.Validate(stsapi.AssumeRole.Input, &v); err != nil {
			b.Fatal(err)
		}
		if in := stsapi.AssumeRole.DecodeInput(&v); in.RoleArn == "" {
			b.Fatal("no RoleArn")
		}
	}
}

// BenchmarkEncodeAssumeRoleResponse encodes a typical AssumeRoleResponse
// into a reused buffer.
func BenchmarkEncodeAssumeRoleResponse(b *testing.B) {
	out := assumeRoleResponse()
	buf := make([]byte, 0, 2048)
	v := stsapi.AssumeRole.EncodeOutput(out)
	b.SetBytes(int64(len(awsquery.AppendResponse(buf, stsapi.AssumeRole.Info(), &v, goldenRequestID))))
	b.ReportAllocs()
	for b.Loop() {
		v := stsapi.AssumeRole.EncodeOutput(out)
		buf = awsquery.AppendResponse(buf[:0], stsapi.AssumeRole.Info(), &v, goldenRequestID)
	}
}

// BenchmarkDispatchAssumeRole is a whole request through ServeHTTP with
// trivial authentication, authorization and auditing: the protocol's share
// of a request's cost.
func BenchmarkDispatchAssumeRole(b *testing.B) {
	f := newFixture(b, nil)
	body := assumeRoleBody()
	b.ReportAllocs()
	for b.Loop() {
		f.auditor.recs = f.auditor.recs[:0]
		f.authz.got = f.authz.got[:0]
		if w := f.post(body); w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkDispatchAssumeRoleLimited is BenchmarkDispatchAssumeRole with
// the default rate budgets on the pipeline (raised so that none refuses):
// what the limiter adds to a request.
func BenchmarkDispatchAssumeRoleLimited(b *testing.B) {
	lim := ratelimit.New(ratelimit.Config{FailuresPerSource: ratelimit.Rate{PerSecond: 10, Burst: 20},
		FailuresPerKey: ratelimit.Rate{PerSecond: 10, Burst: 20}, RequestsPerCaller: ratelimit.Rate{PerSecond: 1e9, Burst: 1 << 30}})
	f := newLimitedFixture(b, nil, lim)
	body := assumeRoleBody()
	b.ReportAllocs()
	for b.Loop() {
		f.auditor.recs = f.auditor.recs[:0]
		f.authz.got = f.authz.got[:0]
		if w := f.post(body); w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
