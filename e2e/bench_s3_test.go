package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBenchS3 runs `brevet bench s3` itself, briefly: the null backend
// and brevet serve with its S3 gateway spawned, GetObject through both,
// and small streamed transfers. It checks the plumbing (every request
// succeeds, every row and transfer is there), not the figures, which
// docs/benchmarks.md records from full runs. It takes a few seconds.
func TestBenchS3(t *testing.T) {
	out := runBench(t, 60*time.Second, "s3", "--concurrency", "2", "--duration", "300ms", "--warmup", "100ms",
		"--stream-size", "8MiB", "-o", "json")
	var rep struct {
		Rows []struct {
			Target      string            `json:"target"`
			Action      string            `json:"action"`
			Ops         uint64            `json:"ops"`
			Errors      uint64            `json:"errors"`
			ErrorsBy    map[string]uint64 `json:"errors_by"`
			RatioToNull float64           `json:"ratio_to_null"`
			ServerCPU   float64           `json:"server_cpu_us_per_op"`
		} `json:"rows"`
		Streams []struct {
			Target string  `json:"target"`
			Method string  `json:"method"`
			Bytes  int64   `json:"bytes"`
			GBps   float64 `json:"gb_per_s"`
			Peak   int64   `json:"server_rss_peak_bytes"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	var targets []string
	for _, r := range rep.Rows {
		targets = append(targets, r.Target)
		if r.Action != "GetObject" || r.Ops == 0 || r.Errors != 0 {
			t.Errorf("%s %s: %d ops, %d errors %v; want GetObject ops and no errors", r.Target, r.Action, r.Ops, r.Errors, r.ErrorsBy)
		}
		if (r.Target == "brevet") != (r.RatioToNull > 0) {
			t.Errorf("%s: ×null %v, want one on the gateway's row only", r.Target, r.RatioToNull)
		}
	}
	if got, want := strings.Join(targets, ","), "null-s3,brevet"; got != want {
		t.Errorf("rows of %s, want %s", got, want)
	}
	var streams []string
	for _, s := range rep.Streams {
		streams = append(streams, s.Target+" "+s.Method)
		if s.Bytes != 8<<20 || s.GBps <= 0 || s.Peak <= 0 {
			t.Errorf("%s %s: %d bytes at %v GB/s, RSS peak %d; want 8 MiB, a rate and an RSS", s.Target, s.Method, s.Bytes, s.GBps, s.Peak)
		}
	}
	if got, want := strings.Join(streams, ","), "brevet PUT,brevet GET,null-s3 PUT,null-s3 GET"; got != want {
		t.Errorf("transfers %s, want %s", got, want)
	}
}

// runBench runs `brevet bench SUBCOMMAND ARGS...` within timeout, with a
// clean environment and its temporary files under the test's, and
// returns its standard output; it skips the test where there is no /proc.
func runBench(t *testing.T, timeout time.Duration, args ...string) []byte {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("brevet bench reads /proc")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, brevetBin, append([]string{"bench"}, args...)...)
	cmd.Env = append(cleanEnv(), "TMPDIR="+t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("brevet bench %s: %v\n%s", args[0], err, stderr.String())
	}
	return out
}
