package loadgen

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestX509Rows: ×trivial is over the trivial phase of the same action,
// concurrency and round, ×AssumeRole over the server's AssumeRole phase
// of the same concurrency and round, and neither reference has a ratio to
// itself.
func TestX509Rows(t *testing.T) {
	phase := func(target, action string, c, round int, ops uint64) *Phase {
		return &Phase{Target: target, Action: action, Concurrency: c, Round: round,
			Result: &Result{Ops: ops, Elapsed: time.Second, Latency: NewHistogram()}}
	}
	phases := []*Phase{
		phase(TrivialName, ActionAssumeRole, 64, 0, 10000),
		phase("brevet", ActionAssumeRole, 64, 0, 4000),
		phase(TrivialName, ActionCreateSessionECDSA, 64, 0, 12000),
		phase("brevet", ActionCreateSessionECDSA, 64, 0, 3000),
		phase(TrivialName, ActionIoTResume, 64, 1, 4000),
		phase("brevet", ActionAssumeRole, 64, 1, 2000),
		phase("brevet", ActionIoTResume, 64, 1, 1000),
	}
	tests := []struct{ trivial, assume float64 }{{0, 0}, {0.4, 0}, {0, 0}, {0.25, 0.75}, {0, 0}, {0, 0}, {0.25, 0.5}}
	rows := X509Rows(phases, "brevet")
	for i, want := range tests {
		r := rows[i]
		if r.RatioToTrivial != want.trivial || r.RatioToAssumeRole != want.assume {
			t.Errorf("%s %s round %d: ×trivial %v, ×AssumeRole %v; want %v, %v", r.Target, r.Action, r.Round,
				r.RatioToTrivial, r.RatioToAssumeRole, want.trivial, want.assume)
		}
	}
}

// TestWriteX509Targets: one line per target at c64, met or not.
func TestWriteX509Targets(t *testing.T) {
	rows := []Row{
		{Target: "brevet", Action: ActionCreateSessionECDSA, Concurrency: 64, OpsPerSecond: 3100, RatioToTrivial: 0.3, ServerRSSAfter: 1, ServerCPUMicrosPerOp: 300},
		{Target: "brevet", Action: ActionCreateSessionRSA, Concurrency: 64, OpsPerSecond: 1400},
		{Target: "brevet", Action: ActionIoTResume, Concurrency: 8, OpsPerSecond: 100},
		{Target: TrivialName, Action: ActionAssumeRole, Concurrency: 64, OpsPerSecond: 20000},
	}
	var b bytes.Buffer
	if err := WriteX509Targets(&b, rows, "brevet", 3); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"issue 15's targets at c64 on this machine (medians of 3 rounds):\n",
		"brevet CreateSession-ECDSA  3100 ops/s (want ≥ 3000): met      ×trivial 0.30, ×AssumeRole -  server CPU 300.0 µs/op\n",
		"brevet CreateSession-RSA    1400 ops/s (want ≥ 1500): NOT met  ×trivial -, ×AssumeRole -     server CPU unknown (no pid)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("targets lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "IoT-resume") || strings.Count(got, "\n") != 3 {
		t.Errorf("targets have a line for a row not at c64:\n%s", got)
	}
}
