package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/loadgen"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// The objects brevet bench s3 reads and writes, in the bucket it creates
// through the gateway.
const (
	benchS3Bucket = "bench"
	benchS3Object = "/" + benchS3Bucket + "/obj-1k"
	// benchS3BackendKeyID is the access key id the spawned gateway signs
	// its requests to the null backend with (which checks none).
	benchS3BackendKeyID = "AKIABENCHNULLBACKEND"
)

type s3BenchOptions struct {
	region      string
	concurrency []int
	duration    time.Duration
	warmup      time.Duration
	repeat      int
	streamSize  byteSize
	serveArgs   []string
	output      string
}

func newBenchS3Cmd() *cobra.Command {
	o := s3BenchOptions{streamSize: 1 << 30}
	cmd := &cobra.Command{
		Use:   "s3",
		Short: "Measure the S3 gateway over a null backend, as a ratio of the backend reached directly",
		Long: `S3 starts a null S3 backend (an S3 responder that answers at once, in a
process of its own) and "brevet serve" with its S3 gateway in front of it,
creates the bucket "bench" through the gateway with the admin credentials,
then for each concurrency and --repeat round drives GetObject of a 1 KiB
object closed loop, with the same generator, against the null backend
directly and through the gateway, in turn.

It reports ops/s, latency percentiles and each server's CPU time per
request (read from /proc): the null backend's in its direct phase,
Brevet's in the gateway phase; the gateway's throughput as a ratio of the
backend's (×null), and issue 14's targets at 64 clients: ×null ≥ 0.6, and
Brevet's CPU per request at most 80 µs more than the null backend's.

Then, unless --stream-size is 0, it streams one PUT of that many bytes
(generated as they are sent, UNSIGNED-PAYLOAD) and one GET of as many
through the gateway, and the same directly to the null backend for
reference, and reports GB/s each way and Brevet's RSS before, at its peak
during, and after each transfer, against the targets: ≥ 1 GB/s each way,
RSS growth < 64 MiB. See docs/load-benchmark.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runBenchS3(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.region, "region", "us-east-1", "SigV4 signing region")
	f.IntSliceVar(&o.concurrency, "concurrency", []int{1, 8, 64}, "concurrency levels (workers with one request in flight each)")
	f.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per phase")
	f.DurationVar(&o.warmup, "warmup", time.Second, "warm-up before each phase, not measured")
	f.IntVar(&o.repeat, "repeat", 1, "run each null/gateway pair of phases this many times and report medians")
	f.Var(&o.streamSize, "stream-size", "bytes of the streamed PUT and GET (KiB/MiB/GiB suffix), or 0 to skip them")
	f.StringArrayVar(&o.serveArgs, "serve-arg", nil, "extra argument for the spawned brevet serve (repeatable), e.g. --serve-arg=--log-level=warn")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	return cmd
}

func (o *s3BenchOptions) check() error {
	errs := checkRounds(o.concurrency, o.repeat)
	if o.duration <= 0 || o.warmup < 0 {
		errs = append(errs, errors.New("--duration must be positive and --warmup not negative"))
	}
	if o.output != "table" && o.output != "json" {
		errs = append(errs, fmt.Errorf("--output: %q is not table or json", o.output))
	}
	return errors.Join(errs...)
}

// checkRounds checks the --concurrency levels (at least one, each in
// [1, 4096]) and --repeat (at least 1) of brevet bench s3 and x509.
func checkRounds(concurrency []int, repeat int) []error {
	var errs []error
	for _, c := range concurrency {
		if c < 1 || c > 4096 {
			errs = append(errs, fmt.Errorf("--concurrency: %d is not in [1, 4096]", c))
		}
	}
	if len(concurrency) == 0 {
		errs = append(errs, errors.New("--concurrency: give at least one level"))
	}
	if repeat < 1 {
		errs = append(errs, errors.New("--repeat must be at least 1"))
	}
	return errs
}

// s3BenchReport is the JSON output of brevet bench s3.
type s3BenchReport struct {
	Command   string        `json:"command"`
	GoVersion string        `json:"go_version"`
	NumCPU    int           `json:"num_cpu"`
	Duration  string        `json:"duration"`
	Warmup    string        `json:"warmup"`
	Repeat    int           `json:"repeat"`
	Object    string        `json:"object"`
	Rows      []loadgen.Row `json:"rows"`
	Medians   []loadgen.Row `json:"medians,omitempty"`
	// Streams are the streamed transfers, through the gateway and
	// directly to the null backend.
	Streams  []*loadgen.StreamResult `json:"streams,omitempty"`
	RSSStart int64                   `json:"server_rss_start_bytes"`
	RSSEnd   int64                   `json:"server_rss_end_bytes"`
}

func runBenchS3(ctx context.Context, stdout, stderr io.Writer, o s3BenchOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench s3: find own executable: %w", err)
	}
	tmp, err := os.MkdirTemp("", "brevet-bench-s3-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	null, err := startChild(ctx, "null-s3", tmp, exe, []string{"bench", "null-s3", "--listen", "127.0.0.1:0"}, 10*time.Second)
	if err != nil {
		return err
	}
	defer null.stop()
	dataDir := filepath.Join(tmp, "data")
	args := append(benchServeArgs(dataDir, benchOptions{region: o.region, serveArgs: o.serveArgs}),
		"--s3-listen", "127.0.0.1:0", "--s3-backend", strings.TrimSuffix(null.url, "/"), "--s3-backend-access-key-id", benchS3BackendKeyID)
	secret := make([]byte, 20)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	srv, err := startChildEnv(ctx, "serve", tmp, exe, args, []string{"BREVET_S3_BACKEND_SECRET_ACCESS_KEY=" + hex.EncodeToString(secret)}, 60*time.Second)
	if err != nil {
		return err
	}
	defer srv.stop()
	if srv.s3url == "" {
		return errors.New("bench s3: brevet serve wrote no S3 gateway URL on the second line of its ready file")
	}
	creds, err := readCredentials(filepath.Join(dataDir, "admin-credentials"), "")
	if err != nil {
		return err
	}
	return benchS3Phases(ctx, stdout, stderr, o,
		loadgen.Target{Name: loadgen.NullS3Name, URL: null.url, PID: null.pid()},
		loadgen.Target{Name: "brevet", URL: srv.s3url, PID: srv.pid()}, creds)
}

// benchS3Phases creates the bucket through gateway, runs every GetObject
// phase against null and gateway in turn, then the streamed transfers,
// and writes the report.
func benchS3Phases(ctx context.Context, stdout, stderr io.Writer, o s3BenchOptions, null, gateway loadgen.Target, creds sigv4.Credentials) error {
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, "bench s3: "+format+"\n", args...) }
	for _, t := range []loadgen.Target{null, gateway} {
		progress("%s pid %d at %s", t.Name, t.PID, t.URL)
	}
	cfg := loadgen.Config{Region: o.region, Credentials: creds, Duration: o.duration}
	body := make([]byte, loadgen.NullS3ObjectSize)
	for _, w := range []loadgen.Workload{
		loadgen.S3Request("CreateBucket", http.MethodPut, "/"+benchS3Bucket, nil),
		loadgen.PutObject(benchS3Object, body),
		loadgen.GetObject(benchS3Object),
	} {
		if err := benchS3Once(ctx, gateway, w, cfg); err != nil {
			return err
		}
	}
	progress("created bucket %s and object %s through the gateway", benchS3Bucket, benchS3Object)

	rep := s3BenchReport{
		Command: "brevet " + strings.Join(os.Args[1:], " "), GoVersion: runtime.Version(), NumCPU: runtime.NumCPU(),
		Duration: o.duration.String(), Warmup: o.warmup.String(), Repeat: o.repeat, Object: benchS3Object,
	}
	rep.RSSStart = rss(gateway.PID)
	w := loadgen.GetObject(benchS3Object)
	var phases []*loadgen.Phase
	for _, c := range o.concurrency {
		for round := range o.repeat {
			for _, t := range []loadgen.Target{null, gateway} {
				p, err := loadgen.Measure(ctx, t, w, c, o.warmup, cfg)
				if err != nil {
					return err
				}
				p.Round = round
				phases = append(phases, p)
				progress("%s c%-3d %-8s %8.0f ops/s, p99 %v, %d errors", w.Action, c, t.Name,
					p.Result.OpsPerSecond(), p.Result.Latency.Quantile(0.99).Round(time.Microsecond), p.Result.Errors)
			}
		}
	}
	rep.RSSEnd = rss(gateway.PID)
	rep.Rows = loadgen.Rows(phases)
	table := rep.Rows
	if o.repeat > 1 {
		rep.Medians = loadgen.Medians(rep.Rows)
		table = rep.Medians
	}
	if o.streamSize > 0 {
		streams, err := benchS3Streams(ctx, o, null, gateway, creds, progress)
		if err != nil {
			return err
		}
		rep.Streams = streams
	}
	if o.output == "json" {
		return loadgen.WriteJSON(stdout, rep)
	}
	return writeS3BenchTables(stdout, o, rep, table, gateway.Name)
}

// writeS3BenchTables writes the table output of brevet bench s3.
func writeS3BenchTables(stdout io.Writer, o s3BenchOptions, rep s3BenchReport, table []loadgen.Row, gateway string) error {
	fmt.Fprintf(stdout, "GetObject of %d bytes (%s): %s directly, and %s's S3 gateway in front of it\n",
		loadgen.NullS3ObjectSize, rep.Object, loadgen.NullS3Name, gateway)
	if o.repeat > 1 {
		fmt.Fprintf(stdout, "medians of %d rounds\n", o.repeat)
	}
	if err := loadgen.WriteS3Table(stdout, table); err != nil {
		return err
	}
	if err := loadgen.WriteS3Targets(stdout, table, o.repeat); err != nil {
		return err
	}
	writeServerRSS(stdout, gateway, rep.RSSStart, rep.RSSEnd)
	return loadgen.WriteStreams(stdout, rep.Streams)
}

// benchS3Once sends w once to t and fails unless it succeeds.
func benchS3Once(ctx context.Context, t loadgen.Target, w loadgen.Workload, cfg loadgen.Config) error {
	cfg.URL, cfg.Concurrency, cfg.Duration, cfg.MaxRequests = t.URL, 1, 30*time.Second, 1
	res, err := loadgen.Run(ctx, cfg, w)
	if err != nil {
		return err
	}
	if res.Ops != 1 {
		return fmt.Errorf("bench s3: %s %s through %s failed: %v", w.Method, w.Path, t.Name, res.ErrorsBy)
	}
	return nil
}

// benchS3Streams makes the streamed transfers: a PUT and a GET of
// --stream-size bytes through the gateway, then the same directly to the
// null backend, for reference.
func benchS3Streams(ctx context.Context, o s3BenchOptions, null, gateway loadgen.Target, creds sigv4.Credentials, progress func(string, ...any)) ([]*loadgen.StreamResult, error) {
	size := int64(o.streamSize)
	var out []*loadgen.StreamResult
	for _, t := range []loadgen.Target{gateway, null} {
		for _, s := range []struct{ method, path string }{
			{http.MethodPut, "/" + benchS3Bucket + "/upload-" + strconv.FormatInt(size, 10)},
			{http.MethodGet, "/" + benchS3Bucket + "/" + loadgen.NullS3SizePrefix + strconv.FormatInt(size, 10)},
		} {
			r, err := loadgen.Stream(ctx, loadgen.StreamConfig{URL: t.URL, Path: s.path, Method: s.method, Size: size,
				Region: o.region, Credentials: creds, PID: t.PID})
			if err != nil {
				return nil, fmt.Errorf("bench s3: %s: %w", t.Name, err)
			}
			r.Target = t.Name
			progress("%s %s %s: %.2f GB/s", t.Name, s.method, s.path, r.GBPerSecond)
			out = append(out, r)
		}
	}
	return out, nil
}

// byteSize is a flag holding a byte count, given in bytes or with a
// KiB, MiB or GiB suffix.
type byteSize int64

func (b *byteSize) String() string {
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if *b > 0 && int64(*b)%u.n == 0 {
			return strconv.FormatInt(int64(*b)/u.n, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(*b), 10)
}

func (b *byteSize) Set(s string) error {
	n, err := audit.ParseSize(s)
	if err != nil || n > 1<<40 {
		return errors.New("not a size: give bytes (1048576) or a KiB/MiB/GiB suffix (1GiB), at most 1TiB, or 0")
	}
	*b = byteSize(n)
	return nil
}

func (b *byteSize) Type() string { return "size" }

// newBenchNullS3Cmd is the S3 benchmark's backend: NullS3Handler on a
// plain net/http server, in its own process so that its CPU time is
// accounted apart from the generator's and the gateway's.
func newBenchNullS3Cmd() *cobra.Command {
	var listen, readyFile string
	cmd := &cobra.Command{
		Use:    "null-s3",
		Short:  "Serve a null S3 backend that answers at once (the S3 benchmark's backend)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serveBenchHandler(ctx, listen, readyFile, nil, loadgen.NullS3Handler())
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:0", "address to listen on")
	cmd.Flags().StringVar(&readyFile, "ready-file", "", "write the server's URL to this file once it accepts connections")
	return cmd
}
