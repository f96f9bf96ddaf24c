package loadgen

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/google/go-cmp/cmp"
)

var (
	testCreds    = sigv4.Credentials{AccessKeyID: "AKIDLOADGENTEST", SecretAccessKey: "loadgen-test-secret"}
	sessionCreds = sigv4.Credentials{AccessKeyID: "ASIALOADGENTEST", SecretAccessKey: "session-secret", SessionToken: "token/with+chars="}
)

// verifying wraps next in a real SigV4 check, so that the smoke tests
// prove that every request the generator sends is correctly signed.
func verifying(t *testing.T, next http.Handler) http.Handler {
	t.Helper()
	v, err := sigv4.NewVerifier(sigv4.Config{Regions: []string{"us-east-1"}, Services: []string{"sts", "iam"}})
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := sigv4.FromHTTP(r, body)
		a, err := sigv4.Parse(&req)
		if err == nil {
			secret := testCreds.SecretAccessKey
			if a.AccessKeyID == sessionCreds.AccessKeyID && a.SecurityToken == sessionCreds.SessionToken {
				secret = sessionCreds.SecretAccessKey
			}
			err = v.Verify(&req, a, secret, time.Now())
		}
		if err != nil {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>"+err.Error()+"</Message></Error></ErrorResponse>")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func TestRunSmoke(t *testing.T) {
	var seen atomic.Int64
	srv := httptest.NewServer(verifying(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		TrivialHandler().ServeHTTP(w, r)
	})))
	defer srv.Close()

	for _, w := range []Workload{
		GetCallerIdentity(),
		AssumeRole("arn:aws:iam::123456789012:role/bench"),
		GetCallerIdentityAs("GetCallerIdentityAsRole", sessionCreds),
	} {
		t.Run(w.Action, func(t *testing.T) {
			seen.Store(0)
			cfg := Config{URL: srv.URL + "/", Region: "us-east-1", Credentials: testCreds, Concurrency: 4, Duration: 200 * time.Millisecond}
			res, err := Run(context.Background(), cfg, w)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Errors != 0 {
				t.Errorf("Errors = %d (%v), want 0", res.Errors, res.ErrorsBy)
			}
			if res.Ops == 0 || uint64(seen.Load()) != res.Ops {
				t.Errorf("Ops = %d, server saw %d; want the same, > 0", res.Ops, seen.Load())
			}
			if got := res.Latency.Count(); got != res.Ops {
				t.Errorf("Latency.Count() = %d, want %d", got, res.Ops)
			}
			if res.Elapsed < cfg.Duration {
				t.Errorf("Elapsed = %v, want at least %v", res.Elapsed, cfg.Duration)
			}
		})
	}
}

func TestRunCountsErrors(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 4 {
		case 3:
			w.Header().Set("x-amzn-ErrorType", "AccessDeniedException")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"message":"no"}`)
		case 0:
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code></Error></ErrorResponse>")
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			io.WriteString(w, "<nothing/>")
		}
	}))
	defer srv.Close()
	cfg := Config{URL: srv.URL + "/", Region: "us-east-1", Credentials: testCreds, Concurrency: 1, Duration: time.Minute, MaxRequests: 40}
	res, err := Run(context.Background(), cfg, GetCallerIdentity())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := map[string]uint64{"403 AccessDenied": 10, "403 AccessDeniedException": 10, "503 -": 10, "200 unexpected body": 10}
	if diff := cmp.Diff(want, res.ErrorsBy); diff != "" {
		t.Errorf("ErrorsBy (-want +got):\n%s", diff)
	}
	if res.Ops != 0 || res.Errors != 40 {
		t.Errorf("Ops, Errors = %d, %d; want 0, 40", res.Ops, res.Errors)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	good := Config{URL: "http://127.0.0.1:1/", Region: "us-east-1", Credentials: testCreds, Concurrency: 1, Duration: time.Second}
	for name, mutate := range map[string]func(*Config){
		"no concurrency": func(c *Config) { c.Concurrency = 0 },
		"no duration":    func(c *Config) { c.Duration = 0 },
		"no region":      func(c *Config) { c.Region = "" },
		"no secret":      func(c *Config) { c.Credentials.SecretAccessKey = "" },
	} {
		cfg := good
		mutate(&cfg)
		if _, err := Run(context.Background(), cfg, GetCallerIdentity()); err == nil {
			t.Errorf("%s: Run succeeded, want an error", name)
		}
	}
}

func TestMeasureAndReport(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	srv := httptest.NewServer(verifying(t, TrivialHandler()))
	defer srv.Close()
	cfg := Config{Region: "us-east-1", Credentials: testCreds, Duration: 150 * time.Millisecond}
	var phases []*Phase
	for _, name := range []string{TrivialName, "brevet"} {
		// The server is this process, so its CPU is counted twice; the
		// test checks the plumbing, not the figures.
		p, err := Measure(context.Background(), Target{Name: name, URL: srv.URL + "/", PID: os.Getpid()}, GetCallerIdentity(), 2, 50*time.Millisecond, cfg)
		if err != nil {
			t.Fatalf("Measure: %v", err)
		}
		if p.Result.Ops == 0 || p.ServerRSSAfter == 0 {
			t.Errorf("%s: Ops = %d, RSS = %d; want both > 0", name, p.Result.Ops, p.ServerRSSAfter)
		}
		phases = append(phases, p)
	}
	rows := Rows(phases)
	if rows[0].RatioToTrivial != 0 || rows[1].RatioToTrivial <= 0 {
		t.Errorf("ratios = %v, %v; want 0 for trivial and > 0 for brevet", rows[0].RatioToTrivial, rows[1].RatioToTrivial)
	}
	var out strings.Builder
	if err := WriteTable(&out, rows); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "GetCallerIdentity"); got != 2 {
		t.Errorf("table has %d GetCallerIdentity rows, want 2:\n%s", got, out.String())
	}
}

func TestRowsRatioAndErrors(t *testing.T) {
	res := func(ops uint64, errs map[string]uint64) *Result {
		r := &Result{Ops: ops, Elapsed: time.Second, Latency: NewHistogram(), ErrorsBy: errs}
		for _, n := range errs {
			r.Errors += n
		}
		return r
	}
	phases := []*Phase{
		{Target: TrivialName, Action: "AssumeRole", Concurrency: 8, Result: res(10000, nil)},
		{Target: DurableTrivialName, Action: "AssumeRole", Concurrency: 8, Result: res(8000, nil), ServerCPU: 160 * time.Millisecond, ServerRSSAfter: 10 << 20},
		{Target: "brevet", Action: "AssumeRole", Concurrency: 8, Result: res(6500, map[string]uint64{"403 AccessDenied": 2}), ServerCPU: 325 * time.Millisecond, ServerRSSAfter: 50 << 20},
		{Target: "brevet", Action: "AssumeRole", Concurrency: 64, Result: res(7000, nil), ServerRSS: rssSeries(25)},
		{Target: DurableTrivialName, Action: "AssumeRole", Concurrency: 8, Round: 1, Result: res(5000, nil), ServerCPU: 100 * time.Millisecond},
		{Target: "brevet", Action: "AssumeRole", Concurrency: 8, Round: 1, Result: res(4000, nil), ServerCPU: 200 * time.Millisecond},
	}
	rows := Rows(phases)
	// Each row is divided by the references of its own action,
	// concurrency and round; a reference is not divided by itself, and
	// the trivial handler not by the durable one.
	tests := []struct {
		row                              int
		toTrivial, toDurable, durableCPU float64
	}{
		{0, 0, 0, 0},
		{1, 0.8, 0, 0},
		{2, 0.65, 6500.0 / 8000, 20},
		{3, 0, 0, 0},
		{4, 0, 0, 0},
		{5, 0, 0.8, 20},
	}
	for _, tt := range tests {
		r := rows[tt.row]
		if r.RatioToTrivial != tt.toTrivial || r.RatioToDurable != tt.toDurable || r.DurableCPUMicrosPerOp != tt.durableCPU {
			t.Errorf("row %d (%s c%d round %d): ×trivial, ×durable, durable µs/op = %v, %v, %v; want %v, %v, %v", tt.row, r.Target, r.Concurrency, r.Round,
				r.RatioToTrivial, r.RatioToDurable, r.DurableCPUMicrosPerOp, tt.toTrivial, tt.toDurable, tt.durableCPU)
		}
	}
	if got, want := rows[2].ServerCPUMicrosPerOp, 50.0; got != want {
		t.Errorf("server µs/op = %v, want %v", got, want)
	}
	var out strings.Builder
	if err := WriteTable(&out, rows[:4]); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"   target      action  conc  ops/s  ×trivial  ×durable",
		"\n  durable  AssumeRole     8   8000      0.80         -",
		"\n   brevet  AssumeRole     8   6500      0.65      0.81",
		"errors: brevet AssumeRole c8: 2 × 403 AccessDenied\n",
		"rss: brevet AssumeRole c64, MiB every 3s: 3.0 6.0 9.0 12.0 15.0 18.0 21.0 24.0\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// rssSeries is n samples of 1, 2, ... MiB.
func rssSeries(n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i+1) << 20
	}
	return s
}

func TestMedians(t *testing.T) {
	rows := []Row{
		{Target: TrivialName, Action: "AssumeRole", Concurrency: 8, Round: 0, Ops: 100, OpsPerSecond: 10000, P99Micros: 900, ServerRSSBefore: 1, ServerRSSAfter: 2},
		{Target: "brevet", Action: "AssumeRole", Concurrency: 8, Round: 0, Ops: 60, Errors: 1, ErrorsBy: map[string]uint64{"503 -": 1}, OpsPerSecond: 6000, RatioToTrivial: 0.6, RatioToDurable: 0.8, ServerCPUMicrosPerOp: 50, DurableCPUMicrosPerOp: 30, ServerRSSBefore: 10, ServerRSSAfter: 11},
		{Target: TrivialName, Action: "AssumeRole", Concurrency: 8, Round: 1, Ops: 80, OpsPerSecond: 8000, P99Micros: 1000, ServerRSSBefore: 2, ServerRSSAfter: 3},
		{Target: "brevet", Action: "AssumeRole", Concurrency: 8, Round: 1, Ops: 40, OpsPerSecond: 4000, RatioToTrivial: 0.5, RatioToDurable: 0.7, ServerCPUMicrosPerOp: 70, DurableCPUMicrosPerOp: 20, ServerRSSBefore: 11, ServerRSSAfter: 12},
		{Target: "brevet", Action: "AssumeRole", Concurrency: 8, Round: 2, Ops: 70, OpsPerSecond: 7000, RatioToTrivial: 0.9, RatioToDurable: 1.1, ServerCPUMicrosPerOp: 40, DurableCPUMicrosPerOp: 25, ServerRSSBefore: 12, ServerRSSAfter: 13},
	}
	want := []Row{
		{Target: TrivialName, Action: "AssumeRole", Concurrency: 8, Rounds: 2, Ops: 180, OpsPerSecond: 9000, P99Micros: 950, ServerRSSBefore: 1, ServerRSSAfter: 3},
		{Target: "brevet", Action: "AssumeRole", Concurrency: 8, Rounds: 3, Ops: 170, Errors: 1, ErrorsBy: map[string]uint64{"503 -": 1}, OpsPerSecond: 6000, RatioToTrivial: 0.6, RatioToDurable: 0.8, ServerCPUMicrosPerOp: 50, DurableCPUMicrosPerOp: 25, ServerRSSBefore: 10, ServerRSSAfter: 13},
	}
	if diff := cmp.Diff(want, Medians(rows)); diff != "" {
		t.Errorf("Medians (-want +got):\n%s", diff)
	}
}

func TestWriteTargets(t *testing.T) {
	row := func(target, action string, c int, toDurable, cpu, durableCPU float64) Row {
		return Row{Target: target, Action: action, Concurrency: c, RatioToDurable: toDurable,
			ServerCPUMicrosPerOp: cpu, DurableCPUMicrosPerOp: durableCPU, ServerRSSAfter: 1 << 20}
	}
	noPID := row("brevet", "AssumeRole", 64, 0.75, 0, 0)
	noPID.ServerRSSAfter = 0
	tests := []struct {
		name   string
		rows   []Row
		rounds int
		want   string
	}{
		{"met and not met", []Row{
			row(TrivialName, "GetCallerIdentity", 64, 0, 20, 0),
			row(DurableTrivialName, "GetCallerIdentity", 64, 0, 25, 0),
			row("brevet", "GetCallerIdentity", 64, 0.95, 60, 25),
			row("brevet", "AssumeRole", 64, 0.74, 61, 25),
		}, 3, "targets at c64 against the durable trivial handler (medians of 3 rounds):\n" +
			"  brevet GetCallerIdentity  0.95× durable (want ≥ 0.90): met      server CPU 60.0 µs/op (want ≤ 1.2 × 25.0 + 30 = 60.0): met\n" +
			"  brevet AssumeRole         0.74× durable (want ≥ 0.75): NOT met  server CPU 61.0 µs/op (want ≤ 1.2 × 25.0 + 30 = 60.0): NOT met\n"},
		{"one round, no pid", []Row{noPID}, 1,
			"targets at c64 against the durable trivial handler (1 round; the targets are read from medians of 3: --repeat 3):\n" +
				"  brevet AssumeRole  0.75× durable (want ≥ 0.75): met  server CPU unknown (no --pid)\n"},
		{"other concurrency, action without a target, no durable reference", []Row{
			row("brevet", "AssumeRole", 8, 0.9, 40, 20),
			row("brevet", "GetCallerIdentityAsRole", 64, 0.9, 40, 20),
			row("brevet", "AssumeRole", 64, 0, 40, 0),
		}, 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			if err := WriteTargets(&out, tt.rows, tt.rounds); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("WriteTargets (-want +got):\n%s", diff)
			}
		})
	}
}

// A paced run starts requests at the given rate, not as fast as the
// server answers: over half a second at 200/s it sends at most the 100
// slots that fall in it, however many workers are idle, and a server far
// slower than the rate makes starts late instead of dropping them.
func TestRunPaced(t *testing.T) {
	var seen atomic.Int64
	slow := atomic.Bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		if slow.Load() {
			time.Sleep(50 * time.Millisecond)
		}
		TrivialHandler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	cfg := Config{URL: srv.URL, Region: "us-east-1", Credentials: testCreds, Concurrency: 8, Duration: 500 * time.Millisecond, Rate: 200}
	res, err := Run(t.Context(), cfg, GetCallerIdentity())
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops > 100 || res.Ops < 50 || res.Errors != 0 {
		t.Errorf("paced at 200/s for 500ms: %d ops, %d errors; want 50..100 ops (a closed loop sends thousands)", res.Ops, res.Errors)
	}
	slow.Store(true)
	cfg.Concurrency = 1
	res, err = Run(t.Context(), cfg, GetCallerIdentity())
	if err != nil {
		t.Fatal(err)
	}
	if res.Late == 0 || res.Ops > 11 {
		t.Errorf("one worker, 50 ms per request, paced at 200/s: %d ops, %d late; want at most 11 ops and late starts", res.Ops, res.Late)
	}
}
