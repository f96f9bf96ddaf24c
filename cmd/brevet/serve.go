package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/logbuf"
	"github.com/brevet-dev/brevet/internal/node"
)

// newServeCmd is `brevet serve`: the STS and IAM APIs on one endpoint.
func newServeCmd() *cobra.Command {
	var readyFile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the AWS STS and IAM APIs",
		Long: `Serve the AWS STS and IAM APIs (AWS Query protocol, SigV4) on one endpoint.

On the first start in an empty data directory Brevet creates the account, the
AWS managed policies, and the user "admin" with AdministratorAccess, and writes
admin's access key once to DATA_DIR/admin-credentials. Settings come from
flags, BREVET_* environment variables and an optional YAML file (--config);
see docs/configuration.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(config.LoadArgs{Env: os.Environ(), Flags: cmd.Flags()})
			if err != nil {
				return err
			}
			bench, err := benchNodeOptions()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			ctx, stopGoRun := stopWithGoRun(ctx) // gorun.go
			defer stopGoRun()
			return serve(ctx, cfg, serveOptions{readyFile: readyFile, out: cmd.OutOrStdout(), logOut: cmd.ErrOrStderr(), node: bench})
		},
	}
	config.BindFlags(cmd.Flags())
	cmd.Flags().StringVar(&readyFile, "ready-file", "",
		"write the server's URL to this file once it accepts connections (for scripts and tests); the S3 gateway's URL, when it runs, follows on a second line")
	return cmd
}

// serveOptions are the parts of serving that are not configuration.
type serveOptions struct {
	readyFile string
	out       io.Writer // the first-start instructions
	logOut    io.Writer // structured logs
	// node carries the options of the benchmark build and of tests.
	node node.Options
}

// serve runs a node until ctx is cancelled.
func serve(ctx context.Context, cfg *config.Config, opts serveOptions) (err error) {
	// Every API request logs a line: batch them, so that a busy server
	// does not make a write system call per request (internal/logbuf).
	logOut := logbuf.New(opts.logOut, 0, 0)
	defer logOut.Close()
	log := newLogger(cfg.Log, logOut)
	setGCPercent(log)
	b := node.ReadBuild()
	log.InfoContext(ctx, "starting brevet", "version", b.Version, "revision", b.Revision, "modified", b.Modified,
		"go_version", b.GoVersion, "config", cfg)
	nopts := opts.node
	nopts.Logger, nopts.FirstStart = log, opts.out
	if cfg.Log.Format == config.LogJSON {
		nopts.AccessLog = logOut // log is a plain JSON handler on logOut
	}
	n, err := node.New(ctx, cfg, nopts)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, n.Close()) }()
	defer reloadOnHangup(ctx, n.ReloadTLS, log)() // serve_reload.go
	if opts.readyFile != "" {
		urls := n.URL()
		if s3 := n.S3URL(); s3 != "" {
			urls += "\n" + s3 // the S3 gateway's, on a line of its own
		}
		if err := writeReadyFile(opts.readyFile, urls); err != nil {
			return err
		}
	}
	return n.Run(ctx)
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	if c.Format == config.LogText {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// defaultGCPercent is the garbage collector's target when GOGC is not
// set. Go's default (100) collects each time the heap doubles; Brevet's
// live heap is small (caches of principals and keys, a few MiB) and every
// request allocates, so at 100 a loaded server spends about a sixth of its
// CPU time collecting. At 400 the heap may grow to five times the live
// data (tens of MiB) and the collector's share drops to a few percent:
// measured with `brevet bench`, GetCallerIdentity at 64 clients went from
// 115 to 95 µs of server CPU per request, RSS from 33 to 45 MiB.
const defaultGCPercent = 400

// setGCPercent applies defaultGCPercent unless the operator set GOGC. A
// GOMEMLIMIT, if set, still caps the heap.
func setGCPercent(log *slog.Logger) {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(defaultGCPercent)
	log.Debug("garbage collector target set", "gc_percent", defaultGCPercent)
}

// writeReadyFile writes url atomically, so a reader never sees half of it.
func writeReadyFile(path, url string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(url+"\n"), 0o644); err != nil {
		return fmt.Errorf("ready file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("ready file: %w", errors.Join(err, os.Remove(tmp)))
	}
	return nil
}
