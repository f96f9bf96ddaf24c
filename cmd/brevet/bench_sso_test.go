package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/loadgen"
)

// TestBenchSSO runs the single sign-on workloads against a real server in
// this process: the user, role and assignment are made, the sessions are
// signed in through the sign-in pages, and GetRoleCredentials and the
// refresh grant run without an error against it and the two references
// (whose answers leave the sessions' refresh tokens as they were).
func TestBenchSSO(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	url, creds := serveBench(t)
	refs := benchReferences(t)
	o := benchOptions{
		endpoint: url, credentials: "unused", region: "us-east-1", actions: []string{"AssumeRole", "GetRoleCredentials", "CreateTokenRefresh"},
		concurrency: []int{1, 3}, duration: 150 * time.Millisecond, repeat: 2, roleName: "bench", output: "json",
	}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := benchPhases(context.Background(), &stdout, &stderr, o, refs, inProcessTarget(url), creds)
	if err != nil {
		t.Fatalf("benchPhases: %v\n%s", err, stderr.String())
	}
	rep := decodeBenchReport(t, &stdout)
	if got, want := len(rep.Rows), 3*2*2*3; got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	for _, r := range rep.Rows {
		if r.Errors != 0 || r.Ops == 0 {
			t.Errorf("%s %s c%d round %d: %d ops, %d errors %v; want ops and no errors", r.Target, r.Action, r.Concurrency, r.Round, r.Ops, r.Errors, r.ErrorsBy)
		}
	}
	if !strings.Contains(stderr.String(), "signed brevet-bench-sso in 3 times") {
		t.Errorf("progress does not say the sessions were signed in:\n%s", stderr.String())
	}
}

func TestWriteSSOTargets(t *testing.T) {
	rows := []loadgen.Row{
		{Target: "brevet", Action: "AssumeRole", Concurrency: 64, OpsPerSecond: 1000},
		{Target: "brevet", Action: loadgen.ActionGetRoleCredentials, Concurrency: 64, OpsPerSecond: 900},
		{Target: "brevet", Action: loadgen.ActionRefresh, Concurrency: 64, OpsPerSecond: 1500},
		{Target: loadgen.TrivialName, Action: loadgen.ActionRefresh, Concurrency: 64, OpsPerSecond: 9000},
		{Target: "brevet", Action: loadgen.ActionRefresh, Concurrency: 8, OpsPerSecond: 9000},
	}
	var b bytes.Buffer
	if err := loadgen.WriteSSOTargets(&b, rows, 3); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"0.90× AssumeRole (900 / 1000 ops/s; want ≥ 0.80): met", "1500 ops/s (want ≥ 2000): NOT met"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("targets lack %q:\n%s", want, b.String())
		}
	}
	if strings.Count(b.String(), "CreateToken(refresh)") != 1 {
		t.Errorf("targets show references or other concurrencies:\n%s", b.String())
	}
}
