package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/loadgen"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

func TestBenchOptionsCheck(t *testing.T) {
	good := func() benchOptions {
		return benchOptions{spawn: true, actions: []string{"GetCallerIdentity", "AssumeRole"}, concurrency: []int{1, 8, 64},
			duration: 5 * time.Second, warmup: time.Second, repeat: 1, output: "table"}
	}
	tests := []struct {
		name    string
		mutate  func(*benchOptions)
		wantErr string
	}{
		{"spawn", func(*benchOptions) {}, ""},
		{"endpoint", func(o *benchOptions) { o.spawn, o.endpoint, o.credentials = false, "http://127.0.0.1:8787", "creds" }, ""},
		{"neither", func(o *benchOptions) { o.spawn = false }, "exactly one of --spawn and --endpoint"},
		{"both", func(o *benchOptions) { o.endpoint, o.credentials = "http://x", "creds" }, "exactly one of --spawn and --endpoint"},
		{"endpoint without credentials", func(o *benchOptions) { o.spawn, o.endpoint = false, "http://x" }, "--endpoint needs --credentials"},
		{"unknown action", func(o *benchOptions) { o.actions = []string{"GetSessionToken"} }, `unknown action "GetSessionToken"`},
		{"zero concurrency", func(o *benchOptions) { o.concurrency = []int{0} }, "--concurrency: 0"},
		{"no duration", func(o *benchOptions) { o.duration = 0 }, "--duration must be positive"},
		{"no repeat", func(o *benchOptions) { o.repeat = 0 }, "--repeat must be at least 1"},
		{"bad output", func(o *benchOptions) { o.output = "yaml" }, `"yaml" is not table or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good()
			tt.mutate(&o)
			err := o.check()
			if tt.wantErr == "" && err != nil {
				t.Errorf("check() = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("check() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestWriteBenchReady(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ready")
	if err := writeBenchReady(path, "http://127.0.0.1:1234"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://127.0.0.1:1234\n"; string(got) != want {
		t.Errorf("ready file = %q, want %q", got, want)
	}
}

func TestStartChild(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	ctx := context.Background()
	// startChild appends "--ready-file FILE", so the script sees the
	// file as $2.
	ready := `echo http://127.0.0.1:4242 > "$2.tmp" && mv "$2.tmp" "$2" && exec sleep 30`
	c, err := startChild(ctx, "ok", t.TempDir(), "/bin/sh", []string{"-c", ready, "sh"}, 10*time.Second)
	if err != nil {
		t.Fatalf("startChild: %v", err)
	}
	if want := "http://127.0.0.1:4242/"; c.url != want {
		t.Errorf("url = %q, want %q", c.url, want)
	}
	c.stop()
	if err := c.cmd.Process.Signal(syscall.Signal(0)); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("after stop, signalling the child = %v, want %v", err, os.ErrProcessDone)
	}

	tests := []struct {
		name, script, wantErr string
		wait                  time.Duration
	}{
		{"exits", `echo something went wrong; exit 3`, "exited before it was ready (exit status 3); its output ends:\nsomething went wrong", 10 * time.Second},
		{"never ready", `exec sleep 30`, "was not ready within 200ms", 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := startChild(ctx, tt.name, t.TempDir(), "/bin/sh", []string{"-c", tt.script, "sh"}, tt.wait)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("startChild error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// fakeBrevet answers the setup calls bench makes and, for the measured
// actions, the trivial handler's fixed responses.
func fakeBrevet() http.Handler {
	trivial := loadgen.TrivialHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		switch form.Get("Action") {
		case "CreateRole":
			io.WriteString(w, "<CreateRoleResponse><CreateRoleResult><Role><Arn>arn:aws:iam::123456789012:role/"+
				form.Get("RoleName")+"</Arn></Role></CreateRoleResult></CreateRoleResponse>")
		case "CreateUser":
			io.WriteString(w, "<CreateUserResponse/>")
		default:
			r.Body = io.NopCloser(bytes.NewReader(body))
			trivial.ServeHTTP(w, r)
		}
	})
}

// benchReferences starts the two references benchPhases measures brevet
// against, the trivial handler and the durable trivial one, in this
// process until the test ends.
func benchReferences(t *testing.T) []loadgen.Target {
	t.Helper()
	ref := httptest.NewServer(loadgen.TrivialHandler())
	t.Cleanup(ref.Close)
	h, trail, closeTrail, err := newBenchDurable(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeTrail() })
	durable := httptest.NewServer(withBenchDurableStats(trail, h))
	t.Cleanup(durable.Close)
	return []loadgen.Target{
		{Name: loadgen.TrivialName, URL: ref.URL + "/", PID: os.Getpid()},
		{Name: loadgen.DurableTrivialName, URL: durable.URL + "/", PID: os.Getpid()},
	}
}

// inProcessTarget is the brevet at url, served by this process.
func inProcessTarget(url string) loadgen.Target {
	return loadgen.Target{Name: "brevet", URL: url + "/", PID: os.Getpid()}
}

// serveBench serves a real brevet in this process, as brevet bench
// --spawn does (no per-caller request limit), with env added, and
// returns its URL and the administrator's credentials.
func serveBench(t *testing.T, env ...string) (string, sigv4.Credentials) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	url, _, _ := serveInProcess(t, data, append([]string{"BREVET_LIMIT_REQUESTS_PER_CALLER=off"}, env...)...)
	creds, err := readCredentials(filepath.Join(data, "admin-credentials"), "")
	if err != nil {
		t.Fatal(err)
	}
	return url, creds
}

// decodeBenchReport reads benchPhases' JSON output.
func decodeBenchReport(t *testing.T, stdout *bytes.Buffer) benchReport {
	t.Helper()
	var rep benchReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	return rep
}

// benchQueryActions are the actions fakeBrevet serves (not single
// sign-on's, which TestBenchSSO runs against a real server).
var benchQueryActions = benchActions[:3]

func TestBenchPhases(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	refs := benchReferences(t)
	target := httptest.NewServer(fakeBrevet())
	defer target.Close()
	o := benchOptions{
		endpoint: target.URL, credentials: "unused", region: "us-east-1", actions: benchQueryActions,
		concurrency: []int{1, 2}, duration: 100 * time.Millisecond, repeat: 2, roles: 3, users: 2, roleName: "bench", output: "json",
	}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	creds := sigv4.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}
	var stdout, stderr bytes.Buffer
	// Both servers are this process: the test checks the plumbing, not
	// the figures.
	err := benchPhases(context.Background(), &stdout, &stderr, o, refs, inProcessTarget(target.URL), creds)
	if err != nil {
		t.Fatalf("benchPhases: %v\n%s", err, stderr.String())
	}
	rep := decodeBenchReport(t, &stdout)
	if got, want := len(rep.Rows), len(benchQueryActions)*2*2*3; got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	if got, want := len(rep.Medians), len(benchQueryActions)*2*3; got != want {
		t.Fatalf("%d medians, want %d", got, want)
	}
	for _, r := range rep.Rows {
		if r.Errors != 0 || r.Ops == 0 {
			t.Errorf("%s %s c%d: %d ops, %d errors %v; want ops and no errors", r.Target, r.Action, r.Concurrency, r.Ops, r.Errors, r.ErrorsBy)
		}
		if (r.Target != loadgen.TrivialName) != (r.RatioToTrivial > 0) {
			t.Errorf("%s %s c%d: ×trivial %v, want one for all rows but the trivial handler's", r.Target, r.Action, r.Concurrency, r.RatioToTrivial)
		}
		if (r.Target == "brevet") != (r.RatioToDurable > 0) {
			t.Errorf("%s %s c%d: ×durable %v, want one for brevet rows only", r.Target, r.Action, r.Concurrency, r.RatioToDurable)
		}
	}
	for _, want := range []string{"created 3 roles and 2 users", "durable  ", "records per fsync"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr.String())
		}
	}
}

// TestBenchServeArgs: the server that --spawn starts has the limits off
// that one generator address at up to 4,096 requests at once would hit,
// and --serve-arg puts one back.
func TestBenchServeArgs(t *testing.T) {
	tests := []struct {
		name      string
		serveArgs []string
		want      config.Limits
	}{
		{name: "default", want: config.Limits{}},
		{name: "--serve-arg", serveArgs: []string{"--limit-max-in-flight-per-source=64"}, want: config.Limits{MaxInFlightPerSource: 64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := benchServeArgs(t.TempDir(), benchOptions{region: "us-east-1", serveArgs: tt.serveArgs})
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			config.BindFlags(fs)
			if err := fs.Parse(args[1:]); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(config.LoadArgs{Flags: fs})
			if err != nil {
				t.Fatal(err)
			}
			got := config.Limits{MaxConnections: cfg.Limits.MaxConnections, MaxInFlight: cfg.Limits.MaxInFlight,
				MaxConnectionsPerSource: cfg.Limits.MaxConnectionsPerSource, MaxInFlightPerSource: cfg.Limits.MaxInFlightPerSource,
				RequestsPerCaller: cfg.Limits.RequestsPerCaller}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("limits of the spawned server (-want +got):\n%s", diff)
			}
		})
	}
}
