package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestBenchX509 runs `brevet bench x509` itself, briefly: the trivial
// servers and brevet serve with its IoT credentials listener spawned, the
// set-up through the Roles Anywhere and IoT APIs with aws-sdk-go-v2, and
// every workload once at one concurrency. It checks the plumbing (every
// request succeeds, every row is there with its ratios, IoT sessions
// resume), not the figures, which docs/benchmarks.md records from full
// runs. It takes a few seconds.
func TestBenchX509(t *testing.T) {
	out := runBench(t, 90*time.Second, "x509", "--concurrency", "2", "--duration", "300ms", "--warmup", "100ms", "-o", "json")
	var rep struct {
		Rows []struct {
			Target       string            `json:"target"`
			Action       string            `json:"action"`
			Ops          uint64            `json:"ops"`
			Errors       uint64            `json:"errors"`
			ErrorsBy     map[string]uint64 `json:"errors_by"`
			RatioTrivial float64           `json:"ratio_to_trivial"`
			RatioAssume  float64           `json:"ratio_to_assume_role"`
			ServerCPU    float64           `json:"server_cpu_us_per_op"`
			TLSResponses uint64            `json:"tls_responses"`
			TLSResumed   uint64            `json:"tls_resumed"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	var rows []string
	for _, r := range rep.Rows {
		rows = append(rows, r.Target+" "+r.Action)
		if r.Ops == 0 || r.Errors != 0 {
			t.Errorf("%s %s: %d ops, %d errors %v; want ops and no errors", r.Target, r.Action, r.Ops, r.Errors, r.ErrorsBy)
		}
		if r.Target == "brevet" && (r.RatioTrivial <= 0 || r.ServerCPU <= 0) {
			t.Errorf("%s %s: ×trivial %v, server CPU %v µs/op; want both", r.Target, r.Action, r.RatioTrivial, r.ServerCPU)
		}
		if r.Target == "brevet" && r.Action != "AssumeRole" && r.RatioAssume <= 0 {
			t.Errorf("%s %s: no ×AssumeRole", r.Target, r.Action)
		}
		if r.Action == "IoT-resume" && (r.TLSResponses == 0 || r.TLSResumed != r.TLSResponses) {
			t.Errorf("IoT-resume: %d of %d responses on a resumed TLS session, want all", r.TLSResumed, r.TLSResponses)
		}
	}
	want := "trivial AssumeRole,brevet AssumeRole,trivial CreateSession-ECDSA,brevet CreateSession-ECDSA,trivial CreateSession-RSA," +
		"brevet CreateSession-RSA,trivial IoT-keepalive,brevet IoT-keepalive,trivial IoT-resume,brevet IoT-resume"
	if got := strings.Join(rows, ","); got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
}
