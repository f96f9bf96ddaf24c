package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/loadgen"
)

type soakOptions struct {
	bench    benchOptions
	action   string
	conc     int
	interval time.Duration
	rate     float64
	fraction float64
	auditDir string
}

func newBenchSoakCmd() *cobra.Command {
	var o soakOptions
	cmd := &cobra.Command{
		Use:   "soak (--spawn | --endpoint URL [--pid PID])",
		Short: "Hold a Brevet server at a steady fraction of its maximum for a long time",
		Long: `Soak first measures the server's maximum for the action (closed loop, 10
seconds at --concurrency), unless --rate is given, then drives it at
--rate-fraction of that maximum (an open loop: requests start at a fixed
rate whatever the answers' latency) for --duration, and prints a line per
--interval: throughput, errors, starts that came late because every worker
was busy, p50 and p99 latency, the server's RSS, and the audit trail's size
and growth per request. The summary says whether RSS stayed flat, p99
stable and the trail grew as its first interval predicts.

It is not part of CI: docs/load-benchmark.md shows the 30-minute run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runSoak(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.bench.spawn, "spawn", false, "start brevet serve as a child process and soak it")
	f.StringVar(&o.bench.endpoint, "endpoint", "", "URL of a running Brevet server")
	f.IntVar(&o.bench.pid, "pid", 0, "process id of the server at --endpoint, for its RSS")
	f.StringVar(&o.bench.credentials, "credentials", "", "AWS shared credentials file to sign with (default with --spawn: DATA_DIR/admin-credentials)")
	f.StringVar(&o.bench.profile, "profile", "", "profile in the credentials file")
	f.StringVar(&o.bench.region, "region", "us-east-1", "SigV4 signing region")
	f.StringArrayVar(&o.bench.serveArgs, "serve-arg", nil, "extra argument for the spawned brevet serve (repeatable)")
	f.StringVar(&o.bench.roleName, "role-name", "brevet-bench", "role that AssumeRole assumes (created if missing)")
	f.StringVar(&o.action, "action", "AssumeRole", "action to drive: "+strings.Join(benchActions, ", "))
	f.IntVar(&o.conc, "concurrency", 64, "workers (each with at most one request in flight)")
	f.DurationVar(&o.bench.duration, "duration", 30*time.Minute, "length of the soak")
	f.DurationVar(&o.interval, "interval", time.Minute, "length of each reported interval")
	f.Float64Var(&o.rate, "rate", 0, "requests per second (default: --rate-fraction of the measured maximum)")
	f.Float64Var(&o.fraction, "rate-fraction", 0.5, "fraction of the measured maximum to drive at, when --rate is not given")
	f.StringVar(&o.auditDir, "audit-dir", "", "the server's audit trail directory, to report its growth (default with --spawn: the spawned server's)")
	return cmd
}

func (o *soakOptions) check() error {
	var errs []error
	if o.bench.spawn == (o.bench.endpoint != "") {
		errs = append(errs, errors.New("give exactly one of --spawn and --endpoint"))
	}
	if o.bench.endpoint != "" && o.bench.credentials == "" {
		errs = append(errs, errors.New("--endpoint needs --credentials (an AWS shared credentials file)"))
	}
	if !slices.Contains(benchActions, o.action) {
		errs = append(errs, fmt.Errorf("--action: unknown action %q; want one of %s", o.action, strings.Join(benchActions, ", ")))
	}
	if o.conc < 1 || o.conc > 4096 {
		errs = append(errs, fmt.Errorf("--concurrency: %d is not in [1, 4096]", o.conc))
	}
	if o.interval <= 0 || o.bench.duration < o.interval {
		errs = append(errs, errors.New("--interval must be positive and --duration at least one interval"))
	}
	if o.rate < 0 || o.fraction <= 0 || o.fraction > 1 {
		errs = append(errs, errors.New("--rate must not be negative and --rate-fraction must be in (0, 1]"))
	}
	return errors.Join(errs...)
}

func runSoak(ctx context.Context, stdout, stderr io.Writer, o soakOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, "soak: "+format+"\n", args...) }
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("soak: find own executable: %w", err)
	}
	tmp, err := os.MkdirTemp("", "brevet-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	o.bench.actions = []string{o.action}
	target, creds, srv, err := benchTarget(ctx, tmp, exe, o.bench)
	defer srv.stop()
	if err != nil {
		return err
	}
	if o.auditDir == "" && o.bench.spawn {
		o.auditDir = filepath.Join(tmp, "data", "audit")
	}
	setup := &loadgen.Client{URL: target.URL, Region: o.bench.region, Credentials: creds, HTTP: loadgen.NewClient(8)}
	defer setup.HTTP.CloseIdleConnections()
	workloads, err := benchWorkloads(ctx, setup, o.bench, progress)
	if err != nil {
		return err
	}
	w := workloads[0]
	run := loadgen.Config{URL: target.URL, URLs: target.URLs, Region: o.bench.region, Credentials: creds, Concurrency: o.conc}
	rate := o.rate
	if rate == 0 {
		p, err := loadgen.Measure(ctx, target, w, o.conc, 2*time.Second, withDuration(run, 10*time.Second))
		if err != nil {
			return err
		}
		rate = o.fraction * p.Result.OpsPerSecond()
		progress("%s maximum at c%d: %.0f ops/s; soaking at %.0f ops/s for %v", w.Action, o.conc, p.Result.OpsPerSecond(), rate, o.bench.duration)
	}
	run.Rate = rate
	audit0 := int64(-1)
	if o.auditDir != "" {
		audit0 = loadgen.SoakAuditBytes(o.auditDir)
	}
	fmt.Fprintf(stdout, "soak: %s at %.0f ops/s, c%d, %v in intervals of %v\n", w.Action, rate, o.conc, o.bench.duration, o.interval)
	prev, first := audit0, true
	intervals, err := loadgen.Soak(ctx, loadgen.SoakConfig{Run: run, Total: o.bench.duration, Interval: o.interval, PID: target.PID, AuditDir: o.auditDir},
		w, func(iv loadgen.SoakInterval) {
			loadgen.WriteSoakLine(stdout, iv, prev, first)
			prev, first = iv.AuditBytes, false
		})
	if err != nil {
		return err
	}
	loadgen.Summarize(intervals, audit0).Write(stdout)
	return nil
}

func withDuration(c loadgen.Config, d time.Duration) loadgen.Config {
	c.Duration = d
	return c
}
