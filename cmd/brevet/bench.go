package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/brevet-dev/brevet/internal/loadgen"
	"github.com/brevet-dev/brevet/internal/server"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/spf13/cobra"
)

// benchActions are the workloads bench knows. GetCallerIdentityAsRole is
// GetCallerIdentity signed with temporary credentials from one AssumeRole:
// authentication by session token.
// GetRoleCredentials and CreateTokenRefresh are single sign-on's (issue
// 17): the SSO portal's, and SSO OIDC's refresh grant, with sessions the
// benchmark signs in through the sign-in pages. PoolGuest and
// PoolSignedIn are identity pools' (issue 20, bench_pool.go).
var benchActions = []string{"GetCallerIdentity", "AssumeRole", "GetCallerIdentityAsRole", "GetRoleCredentials", "CreateTokenRefresh",
	loadgen.ActionPoolGuest, loadgen.ActionPoolSignedIn}

type benchOptions struct {
	spawn       bool
	endpoint    string
	pid         int
	credentials string
	profile     string
	region      string
	actions     []string
	concurrency []int
	duration    time.Duration
	warmup      time.Duration
	repeat      int
	roles       int
	users       int
	roleName    string
	serveArgs   []string
	output      string
	durable     bool
	durableDir  string
	// poolIdentities is how many signed-in identities PoolSignedIn
	// walks through (bench_pool.go).
	poolIdentities int
}

func newBenchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench (--spawn | --endpoint URL [--pid PID])",
		Short: "Measure a Brevet server under load, as a ratio of what this machine can serve at all",
		Long: `Bench drives a Brevet server with real SigV4-signed STS requests over keep-alive
connections, closed loop (each of N workers sends its next request when the
previous one returns), and reports for each action and concurrency: ops/s,
latency percentiles, and the server's CPU time per operation and memory, read
from /proc/PID.

In the same run it drives a trivial net/http server (a fixed response, in a
process of its own) with the same generator, and reports Brevet's throughput
as a ratio of it. On a small machine generator and server share the cores, so
absolute figures mostly measure the machine; the ratio does not.

It also drives a durable trivial server: the same, except that each answer
waits until a record the size of Brevet's audit event is appended and
fsynced, through the audit trail's own group commit, in a temporary
directory under --durable-dir (by default beside the spawned server's data
directory, on the same disk). That is what the durability promise costs on
this disk; Brevet's ratio to it (×durable) is Brevet's own overhead, and the
targets stated against it (issue 12) are printed after the table.

--spawn starts "brevet serve" on 127.0.0.1:0 with a fresh data directory and
a master key it generates there, and signs with DATA_DIR/admin-credentials. --endpoint
uses a running server instead (credentials from --credentials, a shared
credentials file; give --pid to get CPU and memory figures).

AssumeRole runs against a role the benchmark creates through the IAM API,
trusted by the caller's account, with a new session name on every request.
--roles and --users create that many more entities first, to show that cost
does not depend on them. See docs/load-benchmark.md.

GetRoleCredentials and CreateTokenRefresh measure single sign-on (aws sso
login): the benchmark creates IAM user and role brevet-bench-sso (the role
trusting the SSO portal and assigned to the user, the user with a new random
password), signs the user in through the sign-in pages as many times as the
highest --concurrency, and then asks the portal for the role's credentials
with one session's access token, or has every worker refresh its own session
(each refresh with the refresh token the previous one returned).

PoolGuest and PoolSignedIn measure identity pools (Cognito Identity's
app-facing actions, unsigned): the benchmark serves an OpenID provider of its
own on a loopback HTTPS port, registers it (CreateOpenIDConnectProvider with
its certificate's thumbprint), creates the pool brevet-bench-pool allowing
guests and that provider, and the roles brevet-bench-pool-authenticated and
-guest trusting the pool; it then makes up to 64 guests and --pool-identities
signed-in identities with one GetId each. PoolGuest is GetCredentialsForIdentity
of a returning guest; PoolSignedIn is one pair of GetId and
GetCredentialsForIdentity with a returning person's token.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runBench(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.spawn, "spawn", false, "start brevet serve as a child process and benchmark it")
	f.StringVar(&o.endpoint, "endpoint", "", "URL of a running Brevet server; several comma-separated URLs (the nodes of a cluster) are driven round robin, one per worker")
	f.IntVar(&o.pid, "pid", 0, "process id of the server at --endpoint, for CPU and memory figures")
	f.StringVar(&o.credentials, "credentials", "", "AWS shared credentials file to sign with (default with --spawn: DATA_DIR/admin-credentials)")
	f.StringVar(&o.profile, "profile", "", "profile in the credentials file (default: default, or the only one)")
	f.StringVar(&o.region, "region", "us-east-1", "SigV4 signing region")
	f.StringSliceVar(&o.actions, "actions", benchActions[:2], "actions to measure: "+strings.Join(benchActions, ", "))
	f.IntSliceVar(&o.concurrency, "concurrency", []int{1, 8, 64}, "concurrency levels (workers with one request in flight each)")
	f.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per phase")
	f.DurationVar(&o.warmup, "warmup", time.Second, "warm-up before each phase, not measured")
	f.IntVar(&o.repeat, "repeat", 1, "run each trivial/brevet pair of phases this many times and report medians")
	f.IntVar(&o.roles, "roles", 0, "create this many more roles before measuring")
	f.IntVar(&o.users, "users", 0, "create this many users before measuring")
	f.StringVar(&o.roleName, "role-name", "brevet-bench", "role that AssumeRole assumes (created if missing)")
	f.StringArrayVar(&o.serveArgs, "serve-arg", nil, "extra argument for the spawned brevet serve (repeatable), e.g. --serve-arg=--log-level=warn")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	f.BoolVar(&o.durable, "durable", true, "also measure the durable trivial server (the trivial server plus an fsynced, group-committed record per request)")
	f.StringVar(&o.durableDir, "durable-dir", "", "directory for the durable trivial server's file, on the disk of the server's data directory (default: the benchmark's temporary directory, which holds the spawned server's data directory)")
	f.IntVar(&o.poolIdentities, "pool-identities", benchPoolIdentities, "signed-in identities PoolSignedIn signs in once and then brings back in turn (PoolGuest uses up to 64 guests, as many as the pool's guest rate allows)")
	cmd.AddCommand(newBenchTrivialServerCmd(), newBenchSoakCmd(), newBenchS3Cmd(), newBenchNullS3Cmd(), newBenchX509Cmd())
	return cmd
}

func (o *benchOptions) check() error {
	var errs []error
	if o.spawn == (o.endpoint != "") {
		errs = append(errs, errors.New("give exactly one of --spawn and --endpoint"))
	}
	if o.endpoint != "" && o.credentials == "" {
		errs = append(errs, errors.New("--endpoint needs --credentials (an AWS shared credentials file)"))
	}
	for _, a := range o.actions {
		if !slices.Contains(benchActions, a) {
			errs = append(errs, fmt.Errorf("--actions: unknown action %q; want one of %s", a, strings.Join(benchActions, ", ")))
		}
	}
	for _, c := range o.concurrency {
		if c < 1 || c > 4096 {
			errs = append(errs, fmt.Errorf("--concurrency: %d is not in [1, 4096]", c))
		}
	}
	if o.repeat < 1 {
		errs = append(errs, errors.New("--repeat must be at least 1"))
	}
	if o.duration <= 0 || o.warmup < 0 {
		errs = append(errs, errors.New("--duration must be positive and --warmup not negative"))
	}
	if o.roles < 0 || o.users < 0 {
		errs = append(errs, errors.New("--roles and --users must not be negative"))
	}
	if (slices.Contains(o.actions, loadgen.ActionPoolGuest) || slices.Contains(o.actions, loadgen.ActionPoolSignedIn)) &&
		(o.poolIdentities < 1 || o.poolIdentities > 1000000) {
		errs = append(errs, fmt.Errorf("--pool-identities: %d is not in [1, 1000000]", o.poolIdentities))
	}
	if o.output != "table" && o.output != "json" {
		errs = append(errs, fmt.Errorf("--output: %q is not table or json", o.output))
	}
	return errors.Join(errs...)
}

// benchReport is the JSON output.
type benchReport struct {
	Command    string        `json:"command"`
	GoVersion  string        `json:"go_version"`
	NumCPU     int           `json:"num_cpu"`
	Duration   string        `json:"duration"`
	Warmup     string        `json:"warmup"`
	Roles      int           `json:"roles"`
	Users      int           `json:"users"`
	Repeat     int           `json:"repeat"`
	Rows       []loadgen.Row `json:"rows"`
	Medians    []loadgen.Row `json:"medians,omitempty"`
	RSSStart   int64         `json:"server_rss_start_bytes"`
	RSSEnd     int64         `json:"server_rss_end_bytes"`
	SetupError string        `json:"setup_error,omitempty"`
}

func runBench(ctx context.Context, stdout, stderr io.Writer, o benchOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find own executable: %w", err)
	}
	tmp, err := os.MkdirTemp("", "brevet-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	trivial, err := startChild(ctx, "trivial", tmp, exe, []string{"bench", "trivial-server", "--listen", "127.0.0.1:0"}, 10*time.Second)
	if err != nil {
		return err
	}
	defer trivial.stop()
	refs := []loadgen.Target{{Name: loadgen.TrivialName, URL: trivial.url, PID: trivial.pid()}}
	if o.durable {
		dir := o.durableDir
		if dir == "" {
			dir = tmp // where benchTarget puts the spawned server's data directory
		}
		durable, err := startChild(ctx, "durable", tmp, exe, []string{"bench", "trivial-server", "--listen", "127.0.0.1:0", "--durable-dir", dir}, 10*time.Second)
		if err != nil {
			return err
		}
		defer durable.stop()
		refs = append(refs, loadgen.Target{Name: loadgen.DurableTrivialName, URL: durable.url, PID: durable.pid()})
	}
	target, creds, srv, err := benchTarget(ctx, tmp, exe, o)
	defer srv.stop()
	if err != nil {
		return err
	}
	return benchPhases(ctx, stdout, stderr, o, refs, target, creds)
}

// benchPhases sets the workloads up on target, runs every phase against
// the references (refs: the trivial server, and the durable one unless
// --durable=false) and target in turn, and writes the report.
func benchPhases(ctx context.Context, stdout, stderr io.Writer, o benchOptions, refs []loadgen.Target, target loadgen.Target, creds sigv4.Credentials) error {
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", args...) }
	targets := append(slices.Clip(refs), target)
	for _, t := range targets {
		progress("%s pid %d at %s", t.Name, t.PID, t.URL)
	}

	setup := &loadgen.Client{URL: target.URL, Region: o.region, Credentials: creds, HTTP: loadgen.NewClient(8)}
	defer setup.HTTP.CloseIdleConnections()
	workloads, err := benchWorkloads(ctx, setup, o, progress)
	if err != nil {
		return err
	}
	rep := benchReport{
		Command: "brevet " + strings.Join(os.Args[1:], " "), GoVersion: runtime.Version(), NumCPU: runtime.NumCPU(),
		Duration: o.duration.String(), Warmup: o.warmup.String(), Repeat: o.repeat, Roles: o.roles, Users: o.users,
	}
	rep.RSSStart = rss(target.PID)
	cfg := loadgen.Config{Region: o.region, Credentials: creds, Duration: o.duration}
	var phases []*loadgen.Phase
	for _, w := range workloads {
		for _, c := range o.concurrency {
			for round := range o.repeat {
				for _, t := range targets {
					before, _ := fetchDurableStats(ctx, setup.HTTP, t)
					p, err := loadgen.Measure(ctx, t, w, c, o.warmup, cfg)
					if err != nil {
						return err
					}
					p.Round = round
					phases = append(phases, p)
					batching := ""
					if after, ok := fetchDurableStats(ctx, setup.HTTP, t); ok && after.Fsyncs > before.Fsyncs {
						batching = fmt.Sprintf(", %.1f records per fsync", float64(after.Records-before.Records)/float64(after.Fsyncs-before.Fsyncs))
					}
					progress("%-17s c%-3d %-8s %8.0f ops/s, p99 %v, %d errors%s", w.Action, c, t.Name,
						p.Result.OpsPerSecond(), p.Result.Latency.Quantile(0.99).Round(time.Microsecond), p.Result.Errors, batching)
				}
			}
		}
	}
	rep.RSSEnd = rss(target.PID)
	rep.Rows = loadgen.Rows(phases)
	table := rep.Rows
	if o.repeat > 1 {
		rep.Medians = loadgen.Medians(rep.Rows)
		table = rep.Medians
	}
	if o.output == "json" {
		return loadgen.WriteJSON(stdout, rep)
	}
	if o.repeat > 1 {
		fmt.Fprintf(stdout, "medians of %d rounds\n", o.repeat)
	}
	if err := loadgen.WriteTable(stdout, table); err != nil {
		return err
	}
	if err := loadgen.WriteTargets(stdout, table, o.repeat); err != nil {
		return err
	}
	if err := loadgen.WriteSSOTargets(stdout, table, o.repeat); err != nil {
		return err
	}
	if err := loadgen.WritePoolTargets(stdout, table, o.repeat); err != nil {
		return err
	}
	writeServerRSS(stdout, target.Name, rep.RSSStart, rep.RSSEnd)
	return nil
}

// writeServerRSS writes the server's RSS before the first phase and
// after the last, when it was read (start > 0).
func writeServerRSS(w io.Writer, name string, start, end int64) {
	if start > 0 {
		fmt.Fprintf(w, "%s RSS: %.1f MiB before the first phase, %.1f MiB after the last\n",
			name, float64(start)/(1<<20), float64(end)/(1<<20))
	}
}

// fetchDurableStats reads the durable trivial server's trail counters
// (warm-up and measured run together, when read around Measure); false
// for any other target, or when they cannot be read.
func fetchDurableStats(ctx context.Context, c *http.Client, t loadgen.Target) (benchDurableStats, bool) {
	var st benchDurableStats
	if t.Name != loadgen.DurableTrivialName {
		return st, false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(t.URL, "/")+benchDurableStatsPath, nil)
	if err != nil {
		return st, false
	}
	resp, err := c.Do(req)
	if err != nil {
		return st, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&st) != nil {
		return st, false
	}
	return st, true
}

func rss(pid int) int64 {
	if pid == 0 {
		return 0
	}
	s, err := loadgen.ReadProc(pid)
	if err != nil {
		return 0
	}
	return s.RSS
}

// benchTarget returns the server to measure and the credentials to sign
// with: a spawned brevet serve (and its child, to stop later) or the
// --endpoint.
func benchTarget(ctx context.Context, tmp, exe string, o benchOptions) (loadgen.Target, sigv4.Credentials, *child, error) {
	if !o.spawn {
		creds, err := readCredentials(o.credentials, o.profile)
		var urls []string
		for _, e := range strings.Split(o.endpoint, ",") {
			urls = append(urls, strings.TrimSuffix(strings.TrimSpace(e), "/")+"/")
		}
		return loadgen.Target{Name: "brevet", URL: urls[0], URLs: urls[1:], PID: o.pid}, creds, nil, err
	}
	var creds sigv4.Credentials
	dataDir := filepath.Join(tmp, "data")
	srv, err := startChild(ctx, "serve", tmp, exe, benchServeArgs(dataDir, o), 60*time.Second)
	if err != nil {
		return loadgen.Target{}, creds, nil, err
	}
	credFile := o.credentials
	if credFile == "" {
		credFile = filepath.Join(dataDir, "admin-credentials")
	}
	creds, err = readCredentials(credFile, o.profile)
	return loadgen.Target{Name: "brevet", URL: srv.url, PID: srv.pid()}, creds, srv, err
}

// benchServeArgs are the arguments of the brevet serve that --spawn
// starts. The generator drives one access key far past the per-caller
// rate budget, and up to 4,096 requests at once from one address, past
// the bounds of connections and requests in flight, per source and in
// all (docs/configuration.md, "Limits"): the benchmark measures what the
// server can serve, so those are off unless --serve-arg sets them.
func benchServeArgs(dataDir string, o benchOptions) []string {
	return append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--region", o.region,
		"--limit-requests-per-caller", "off",
		"--limit-max-connections", "off", "--limit-max-in-flight", "off",
		"--limit-max-connections-per-source", "off", "--limit-max-in-flight-per-source", "off"}, o.serveArgs...)
}

func readCredentials(path, profile string) (sigv4.Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return sigv4.Credentials{}, fmt.Errorf("bench: credentials: %w", err)
	}
	defer f.Close()
	return loadgen.ParseSharedCredentials(f, profile)
}

// benchSSOName is the IAM user and the role the single sign-on
// workloads use.
const benchSSOName = "brevet-bench-sso"

// benchWorkloads checks the credentials, creates what the actions need
// (the role, and --roles/--users more entities) and returns the workloads
// in --actions order.
func benchWorkloads(ctx context.Context, c *loadgen.Client, o benchOptions, progress func(string, ...any)) ([]loadgen.Workload, error) {
	id, err := c.CallerIdentity(ctx)
	if err != nil {
		return nil, fmt.Errorf("bench: the server does not accept the credentials: %w", err)
	}
	progress("signing as %s", id.Arn)
	trust := loadgen.TrustAccountPolicy(id.Account)
	if o.roles > 0 || o.users > 0 {
		start := time.Now()
		err := c.Populate(ctx, "brevet-bench-fill", o.roles, o.users, trust, 4, func(n int) {
			if n%1000 == 0 {
				progress("created %d of %d entities", n, o.roles+o.users)
			}
		})
		if err != nil {
			return nil, err
		}
		progress("created %d roles and %d users in %v", o.roles, o.users, time.Since(start).Round(time.Millisecond))
	}
	var out []loadgen.Workload
	var roleARN string
	var sessions []*loadgen.SSOSession
	var pool *loadgen.PoolSetup
	for _, a := range o.actions {
		if a == loadgen.ActionPoolGuest || a == loadgen.ActionPoolSignedIn {
			if pool == nil {
				if pool, err = benchPoolSetUp(ctx, c, o, progress); err != nil {
					return nil, err
				}
			}
			out = append(out, benchPoolWorkload(a, pool))
			continue
		}
		if a == "GetRoleCredentials" || a == "CreateTokenRefresh" {
			if sessions == nil {
				if sessions, err = c.SetUpSSO(ctx, id.Account, benchSSOName, slices.Max(o.concurrency)); err != nil {
					return nil, fmt.Errorf("bench: single sign-on: %w", err)
				}
				progress("signed %s in %d times through the sign-in pages", benchSSOName, len(sessions))
			}
			if a == "GetRoleCredentials" {
				out = append(out, loadgen.GetRoleCredentialsWorkload(sessions[0], id.Account, benchSSOName))
			} else {
				out = append(out, loadgen.RefreshWorkload(sessions))
			}
			continue
		}
		if a != "GetCallerIdentity" && roleARN == "" {
			if roleARN, err = c.EnsureRole(ctx, o.roleName, trust); err != nil {
				return nil, fmt.Errorf("bench: create role %s: %w", o.roleName, err)
			}
		}
		switch a {
		case "GetCallerIdentity":
			out = append(out, loadgen.GetCallerIdentity())
		case "AssumeRole":
			out = append(out, loadgen.AssumeRole(roleARN))
		case "GetCallerIdentityAsRole":
			creds, err := c.AssumeRole(ctx, roleARN, "bench-session")
			if err != nil {
				return nil, fmt.Errorf("bench: assume role %s: %w", o.roleName, err)
			}
			out = append(out, loadgen.GetCallerIdentityAs(a, creds))
		}
	}
	return slices.Clip(out), nil
}

// newBenchTrivialServerCmd is the reference server: TrivialHandler on a
// plain net/http server, in its own process so that its CPU time is
// accounted apart from the generator's, as Brevet's is. With
// --durable-dir it is the durable trivial server (bench_durable.go).
func newBenchTrivialServerCmd() *cobra.Command {
	var listen, readyFile, durableDir, tlsCert, tlsKey string
	cmd := &cobra.Command{
		Use:    "trivial-server",
		Short:  "Serve a fixed STS response (the benchmark's reference)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			handler := loadgen.TrivialHandler()
			if durableDir != "" {
				h, trail, closeTrail, err := newBenchDurable(durableDir)
				if err != nil {
					return err
				}
				defer func() {
					st := trail.Stats()
					if err := closeTrail(); err != nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "durable trivial server: %v\n", err)
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "durable trivial server: %d records in %d fsyncs\n", st.Events, st.Batches)
				}()
				handler = withBenchDurableStats(trail, h)
			}
			var tlsConf *tls.Config
			if tlsCert != "" || tlsKey != "" {
				cert, err := tls.LoadX509KeyPair(tlsCert, tlsKey)
				if err != nil {
					return fmt.Errorf("trivial server: %w", err)
				}
				// Mutual TLS as the IoT credentials provider asks it, without
				// checking the certificate: the trivial server does no work.
				tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert, MinVersion: tls.VersionTLS12,
					CurvePreferences: server.ClientCertCurves()} // the same key exchange as Brevet's IoT listener
			}
			return serveBenchHandler(ctx, listen, readyFile, tlsConf, handler)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:0", "address to listen on")
	cmd.Flags().StringVar(&readyFile, "ready-file", "", "write the server's URL to this file once it accepts connections")
	cmd.Flags().StringVar(&durableDir, "durable-dir", "", "be the durable trivial server: append and fsync a record per request in a new temporary directory under this one")
	cmd.Flags().StringVar(&tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM, the chain after the leaf), asking every client for a certificate it does not check")
	cmd.Flags().StringVar(&tlsKey, "tls-key", "", "the private key of --tls-cert (PEM)")
	return cmd
}

// serveBenchHandler serves h on a plain net/http server listening on
// listen (over TLS with tlsConf, when not nil) until ctx is done, and
// writes its URL to readyFile (when given) once it accepts connections: a
// reference server of the benchmarks.
func serveBenchHandler(ctx context.Context, listen, readyFile string, tlsConf *tls.Config, h http.Handler) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	scheme := "http://"
	if tlsConf != nil {
		ln, scheme = tls.NewListener(ln, tlsConf), "https://"
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if readyFile != "" {
		if err := writeBenchReady(readyFile, scheme+ln.Addr().String()); err != nil {
			_ = ln.Close()
			return err
		}
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
