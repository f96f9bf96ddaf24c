package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/loadgen"
)

// TestBenchPool runs the identity pool workloads against a real server in
// this process, set up through the APIs: the benchmark's own OpenID
// provider registered by thumbprint, the pool, its roles, guests made
// until the pool's guest rate stops them, signed-in identities; then
// PoolGuest and PoolSignedIn run without an error against it and the two
// references.
func TestBenchPool(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	url, creds := serveBench(t, "BREVET_LOG_LEVEL=warn")
	refs := benchReferences(t)
	o := benchOptions{
		endpoint: url, credentials: "unused", region: "us-east-1", actions: []string{"AssumeRole", loadgen.ActionPoolGuest, loadgen.ActionPoolSignedIn},
		concurrency: []int{1, 3}, duration: 150 * time.Millisecond, repeat: 1, roleName: "bench", output: "json", poolIdentities: 5,
	}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // stops the benchmark's identity provider
	var stdout, stderr bytes.Buffer
	err := benchPhases(ctx, &stdout, &stderr, o, refs, inProcessTarget(url), creds)
	if err != nil {
		t.Fatalf("benchPhases: %v\n%s", err, stderr.String())
	}
	rep := decodeBenchReport(t, &stdout)
	if got, want := len(rep.Rows), 3*2*3; got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	for _, r := range rep.Rows {
		if r.Errors != 0 || r.Ops == 0 {
			t.Errorf("%s %s c%d: %d ops, %d errors %v; want ops and no errors", r.Target, r.Action, r.Concurrency, r.Ops, r.Errors, r.ErrorsBy)
		}
	}
	// The default guest rate (identity_pools.guest_rate, 20 at once)
	// lets 20 of the 64 guests be made.
	if !regexp.MustCompile(`identity pool us-east-1:[0-9a-f-]{36}: provider https://127\.0\.0\.1:\d+, 20 guests and 5 signed-in identities`).Match(stderr.Bytes()) {
		t.Errorf("progress does not say what was set up:\n%s", stderr.String())
	}
}
