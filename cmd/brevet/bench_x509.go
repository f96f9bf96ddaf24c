package main

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
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

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"
	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/loadgen"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// x509BenchActions are the workloads brevet bench x509 knows, in the
// order each round runs them (after the trivial server's phase).
var x509BenchActions = []string{
	loadgen.ActionAssumeRole,
	loadgen.ActionCreateSessionECDSA, loadgen.ActionCreateSessionRSA,
	loadgen.ActionIoTKeepAlive, loadgen.ActionIoTResume,
}

// What brevet bench x509 creates on the server it spawns.
const (
	benchX509Role      = "brevet-bench-x509"
	benchX509Name      = "brevet-bench"
	benchX509Thing     = "brevet-bench-device"
	benchX509RoleAlias = "brevet-bench-alias"
)

type x509BenchOptions struct {
	region      string
	actions     []string
	concurrency []int
	duration    time.Duration
	warmup      time.Duration
	repeat      int
	resign      time.Duration
	serveArgs   []string
	output      string
}

func newBenchX509Cmd() *cobra.Command {
	var o x509BenchOptions
	cmd := &cobra.Command{
		Use:   "x509",
		Short: "Measure credentials for X.509 certificates: Roles Anywhere CreateSession and the IoT credentials provider",
		Long: `X509 measures the two ways a certificate becomes temporary credentials
(issue 15): Roles Anywhere's CreateSession signed with SigV4-X509, with an
ECDSA P-256 and with an RSA-2048 leaf, and the IoT credentials provider over
mutual TLS, on kept-alive connections and with a new connection per request
that resumes an earlier TLS session. In the same run it measures AssumeRole
(the same issuance, authenticated by SigV4) and drives the trivial server with
every workload (a fixed answer of the right kind; over mutual TLS for the IoT
ones), and reports each row's throughput as a ratio of both (×AssumeRole,
×trivial).

It starts the trivial servers and "brevet serve" (a fresh data directory, the
limits off as bench --spawn has them, the IoT credentials listener on with a
server certificate it issues), makes an in-memory CA (a root and an
intermediate), and sets up through the APIs with the admin credentials, with
aws-sdk-go-v2's clients: a role trusting rolesanywhere.amazonaws.com and
credentials.iot.amazonaws.com, a trust anchor (the root) and a profile, a
device certificate registered without its CA, a thing attached to it, and a
role alias. Then for each concurrency and --repeat round it drives each
workload, closed loop, against its trivial server and then Brevet.

CreateSession workers reuse their signature for --resign (the server still
verifies every request), so that the generator's RSA signing does not take the
cores the server is measured on. After the table: the share of IoT responses
that came on a resumed TLS session, and issue 15's targets at 64 clients
(ECDSA ≥ 3,000/s, RSA ≥ 1,500/s, IoT with resumption ≥ 2,000/s). See
docs/load-benchmark.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runBenchX509(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.region, "region", "us-east-1", "the server's region, and SigV4's")
	f.StringSliceVar(&o.actions, "actions", x509BenchActions, "workloads to measure: "+strings.Join(x509BenchActions, ", "))
	f.IntSliceVar(&o.concurrency, "concurrency", []int{1, 8, 64}, "concurrency levels (workers with one request in flight each)")
	f.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per phase")
	f.DurationVar(&o.warmup, "warmup", time.Second, "warm-up before each phase, not measured")
	f.IntVar(&o.repeat, "repeat", 1, "run each round of phases this many times and report medians")
	f.DurationVar(&o.resign, "resign", time.Second, "how long a CreateSession worker reuses its signature (0: sign every request)")
	f.StringArrayVar(&o.serveArgs, "serve-arg", nil, "extra argument for the spawned brevet serve (repeatable), e.g. --serve-arg=--debug-listen=127.0.0.1:6060")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	return cmd
}

func (o *x509BenchOptions) check() error {
	var errs []error
	for _, a := range o.actions {
		if !slices.Contains(x509BenchActions, a) {
			errs = append(errs, fmt.Errorf("--actions: unknown workload %q; want one of %s", a, strings.Join(x509BenchActions, ", ")))
		}
	}
	if len(o.actions) == 0 {
		errs = append(errs, errors.New("--actions: give at least one workload"))
	}
	errs = append(errs, checkRounds(o.concurrency, o.repeat)...)
	if o.duration <= 0 || o.warmup < 0 || o.resign < 0 {
		errs = append(errs, errors.New("--duration must be positive, --warmup and --resign not negative"))
	}
	if o.output != "table" && o.output != "json" {
		errs = append(errs, fmt.Errorf("--output: %q is not table or json", o.output))
	}
	return errors.Join(errs...)
}

// iot says whether an IoT workload is asked for: without one, the IoT
// credentials listener stays off and nothing is set up for it.
func (o *x509BenchOptions) iot() bool {
	return slices.Contains(o.actions, loadgen.ActionIoTKeepAlive) || slices.Contains(o.actions, loadgen.ActionIoTResume)
}

// x509BenchReport is the JSON output of brevet bench x509.
type x509BenchReport struct {
	Command   string `json:"command"`
	GoVersion string `json:"go_version"`
	NumCPU    int    `json:"num_cpu"`
	Duration  string `json:"duration"`
	Warmup    string `json:"warmup"`
	Repeat    int    `json:"repeat"`
	Resign    string `json:"resign"`
	// LoadStart and LoadEnd are /proc/loadavg before the first phase and
	// after the last: how busy the (shared) machine was.
	LoadStart string        `json:"load_average_start,omitempty"`
	LoadEnd   string        `json:"load_average_end,omitempty"`
	Rows      []loadgen.Row `json:"rows"`
	Medians   []loadgen.Row `json:"medians,omitempty"`
	RSSStart  int64         `json:"server_rss_start_bytes"`
	RSSEnd    int64         `json:"server_rss_end_bytes"`
}

// x509Workload is one workload of brevet bench x509, the target it is
// sent to (the API, or the IoT credentials listener) and the trivial
// server it is compared with (over plain HTTP, or mutual TLS for IoT).
type x509Workload struct {
	w       loadgen.Workload
	target  loadgen.Target
	trivial loadgen.Target
}

func runBenchX509(ctx context.Context, stdout, stderr io.Writer, o x509BenchOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench x509: find own executable: %w", err)
	}
	tmp, err := os.MkdirTemp("", "brevet-bench-x509-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	pki, err := loadgen.NewPKI(time.Now())
	if err != nil {
		return err
	}

	certFile, keyFile, err := writeBenchX509ServerCertificate(tmp, pki)
	if err != nil {
		return err
	}
	trivial, err := startChild(ctx, "trivial", tmp, exe, []string{"bench", "trivial-server", "--listen", "127.0.0.1:0"}, 10*time.Second)
	if err != nil {
		return err
	}
	defer trivial.stop()
	trivialTLS, err := startChild(ctx, "trivial-tls", tmp, exe, []string{"bench", "trivial-server", "--listen", "127.0.0.1:0",
		"--tls-cert", certFile, "--tls-key", keyFile}, 10*time.Second)
	if err != nil {
		return err
	}
	defer trivialTLS.stop()
	dataDir := filepath.Join(tmp, "data")
	args := benchServeArgs(dataDir, benchOptions{region: o.region, serveArgs: o.serveArgs})
	var iotAddr string
	if o.iot() {
		if iotAddr, err = freeLoopbackPort(); err != nil {
			return err
		}
		configFile := filepath.Join(tmp, "brevet.yaml")
		if err := os.WriteFile(configFile, benchX509Config(iotAddr, certFile, keyFile), 0o600); err != nil {
			return err
		}
		args = append(args, "--config", configFile)
	}
	srv, err := startChild(ctx, "serve", tmp, exe, args, 60*time.Second)
	if err != nil {
		return err
	}
	defer srv.stop()
	creds, err := readCredentials(filepath.Join(dataDir, "admin-credentials"), "")
	if err != nil {
		return err
	}
	api := loadgen.Target{Name: "brevet", URL: srv.url, PID: srv.pid()}
	refs := x509References{
		http: loadgen.Target{Name: loadgen.TrivialName, URL: trivial.url, PID: trivial.pid()},
		tls:  loadgen.Target{Name: loadgen.TrivialName, URL: trivialTLS.url, PID: trivialTLS.pid()},
	}
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, "bench x509: "+format+"\n", args...) }
	f, err := benchX509Setup(ctx, o, pki, api, creds, progress)
	if err != nil {
		return err
	}
	if o.iot() {
		f.iotURL = "https://" + iotAddr + "/"
	}
	workloads, err := benchX509Workloads(o, api, refs, f)
	if err != nil {
		return err
	}
	return benchX509Phases(ctx, stdout, stderr, o, workloads, creds)
}

// x509References are the trivial servers: over plain HTTP for the
// Query and Roles Anywhere workloads, over mutual TLS for the IoT ones.
type x509References struct{ http, tls loadgen.Target }

// writeBenchX509ServerCertificate writes a server certificate from pki
// (with its chain) and its key in dir, for the IoT credentials listener
// and the trivial TLS server, and returns the two files.
func writeBenchX509ServerCertificate(dir string, pki *loadgen.PKI) (certFile, keyFile string, err error) {
	cert, err := pki.ServerCertificate()
	if err != nil {
		return "", "", err
	}
	key, err := loadgen.KeyPEM(cert.PrivateKey.(crypto.Signer))
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	if err := os.WriteFile(certFile, loadgen.CertificatePEM(cert.Leaf, pki.Intermediate), 0o644); err != nil {
		return "", "", err
	}
	return certFile, keyFile, os.WriteFile(keyFile, key, 0o600)
}

// benchX509Config is the spawned server's configuration file: the IoT
// credentials listener on addr with the server certificate.
func benchX509Config(addr, certFile, keyFile string) []byte {
	return fmt.Appendf(nil, "iot:\n  credentials:\n    listen: %q\n    tls_cert_file: %q\n    tls_key_file: %q\n", addr, certFile, keyFile)
}

// freeLoopbackPort returns a 127.0.0.1 address whose port was free a
// moment ago.
func freeLoopbackPort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// benchX509Setup creates, through the APIs at api, what the workloads
// need: a role both services (and the caller's account) may assume, a
// trust anchor (pki's root) and a profile, ECDSA and RSA leaves, and a
// registered device certificate attached to a thing with a role alias.
// It returns what it created; the caller sets its iotURL.
func benchX509Setup(ctx context.Context, o x509BenchOptions, pki *loadgen.PKI, api loadgen.Target, creds sigv4.Credentials, progress func(string, ...any)) (x509Fixture, error) {
	var f x509Fixture
	c := &loadgen.Client{URL: api.URL, Region: o.region, Credentials: creds, HTTP: loadgen.NewClient(4)}
	defer c.HTTP.CloseIdleConnections()
	id, err := c.CallerIdentity(ctx)
	if err != nil {
		return f, fmt.Errorf("bench x509: the server does not accept the admin credentials: %w", err)
	}
	roleARN, err := c.EnsureRole(ctx, benchX509Role, benchX509TrustPolicy(id.Account))
	if err != nil {
		return f, fmt.Errorf("bench x509: create role %s: %w", benchX509Role, err)
	}
	cfg := aws.Config{Region: o.region, BaseEndpoint: aws.String(strings.TrimSuffix(api.URL, "/")), HTTPClient: c.HTTP,
		Credentials: awscreds.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}
	ra := rolesanywhere.NewFromConfig(cfg)
	anchor, err := ra.CreateTrustAnchor(ctx, &rolesanywhere.CreateTrustAnchorInput{
		Name: aws.String(benchX509Name), Enabled: aws.Bool(true),
		Source: &ratypes.Source{SourceType: ratypes.TrustAnchorTypeCertificateBundle,
			SourceData: &ratypes.SourceDataMemberX509CertificateData{Value: string(loadgen.CertificatePEM(pki.Root))}},
	})
	if err != nil {
		return f, fmt.Errorf("bench x509: CreateTrustAnchor: %w", err)
	}
	profile, err := ra.CreateProfile(ctx, &rolesanywhere.CreateProfileInput{
		Name: aws.String(benchX509Name), Enabled: aws.Bool(true), RoleArns: []string{roleARN}, DurationSeconds: aws.Int32(3600),
	})
	if err != nil {
		return f, fmt.Errorf("bench x509: CreateProfile: %w", err)
	}
	if anchor.TrustAnchor == nil || anchor.TrustAnchor.TrustAnchorArn == nil || profile.Profile == nil || profile.Profile.ProfileArn == nil {
		return f, errors.New("bench x509: CreateTrustAnchor or CreateProfile answered no ARN")
	}
	progress("trust anchor %s, profile %s, role %s", *anchor.TrustAnchor.TrustAnchorArn, *profile.Profile.ProfileArn, roleARN)
	f = x509Fixture{roleARN: roleARN, trustAnchorARN: *anchor.TrustAnchor.TrustAnchorArn, profileARN: *profile.Profile.ProfileArn, pki: pki}
	if o.iot() {
		f.device, err = benchX509Device(ctx, cfg, pki, roleARN, progress)
	}
	return f, err
}

// x509Fixture is what benchX509Setup created on the server, for the
// workloads to use.
type x509Fixture struct {
	roleARN, trustAnchorARN, profileARN string
	pki                                 *loadgen.PKI
	// device is the registered device certificate, as the device
	// presents it; iotURL is the IoT credentials listener.
	device tls.Certificate
	iotURL string
}

// benchX509Workloads returns the workloads of --actions, in its order:
// AssumeRole and CreateSession to api, with new ECDSA and RSA leaves
// from f.pki, compared with refs.http; the IoT credentials requests to
// f.iotURL with f.device, compared with refs.tls driven the same way.
func benchX509Workloads(o x509BenchOptions, api loadgen.Target, refs x509References, f x509Fixture) ([]x509Workload, error) {
	session := func(action string, kt loadgen.KeyType) (loadgen.Workload, error) {
		key, leaf, err := f.pki.Leaf(kt, "bench-"+strings.ToLower(string(kt)))
		if err != nil {
			return loadgen.Workload{}, err
		}
		return loadgen.CreateSession(action, loadgen.CreateSessionConfig{Key: key, Leaf: leaf, Chain: []*x509.Certificate{f.pki.Intermediate},
			Region: o.region, TrustAnchorARN: f.trustAnchorARN, ProfileARN: f.profileARN, RoleARN: f.roleARN, Resign: o.resign}), nil
	}
	mTLS := func(t loadgen.Target, newConnections bool) loadgen.Target {
		t.TLS = &loadgen.TLSCounter{}
		t.NewClient = func(c int) *http.Client { return loadgen.NewMTLSClient(c, f.device, f.pki.Roots(), newConnections) }
		return t
	}
	iotTarget := loadgen.Target{Name: api.Name, URL: f.iotURL, PID: api.PID}
	var out []x509Workload
	for _, a := range o.actions {
		switch a {
		case loadgen.ActionAssumeRole:
			out = append(out, x509Workload{loadgen.AssumeRole(f.roleARN), api, refs.http})
		case loadgen.ActionCreateSessionECDSA, loadgen.ActionCreateSessionRSA:
			kt := loadgen.KeyECDSAP256
			if a == loadgen.ActionCreateSessionRSA {
				kt = loadgen.KeyRSA2048
			}
			w, err := session(a, kt)
			if err != nil {
				return nil, err
			}
			out = append(out, x509Workload{w, api, refs.http})
		case loadgen.ActionIoTKeepAlive, loadgen.ActionIoTResume:
			resume := a == loadgen.ActionIoTResume
			out = append(out, x509Workload{loadgen.IoTCredentials(a, benchX509RoleAlias, benchX509Thing), mTLS(iotTarget, resume), mTLS(refs.tls, resume)})
		}
	}
	return out, nil
}

// benchX509Device registers a device certificate (ECDSA P-256, without
// its CA), creates a thing attached to it and a role alias for roleARN,
// and returns the certificate as the device presents it.
func benchX509Device(ctx context.Context, cfg aws.Config, pki *loadgen.PKI, roleARN string, progress func(string, ...any)) (tls.Certificate, error) {
	key, leaf, err := pki.Leaf(loadgen.KeyECDSAP256, benchX509Thing)
	if err != nil {
		return tls.Certificate{}, err
	}
	c := iot.NewFromConfig(cfg)
	reg, err := c.RegisterCertificateWithoutCA(ctx, &iot.RegisterCertificateWithoutCAInput{
		CertificatePem: aws.String(string(loadgen.CertificatePEM(leaf))), Status: iottypes.CertificateStatusActive})
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("bench x509: RegisterCertificateWithoutCA: %w", err)
	}
	if reg.CertificateArn == nil {
		return tls.Certificate{}, errors.New("bench x509: RegisterCertificateWithoutCA answered no certificate ARN")
	}
	if _, err := c.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String(benchX509Thing)}); err != nil {
		return tls.Certificate{}, fmt.Errorf("bench x509: CreateThing: %w", err)
	}
	if _, err := c.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String(benchX509Thing), Principal: reg.CertificateArn}); err != nil {
		return tls.Certificate{}, fmt.Errorf("bench x509: AttachThingPrincipal: %w", err)
	}
	if _, err := c.CreateRoleAlias(ctx, &iot.CreateRoleAliasInput{RoleAlias: aws.String(benchX509RoleAlias), RoleArn: aws.String(roleARN),
		CredentialDurationSeconds: aws.Int32(3600)}); err != nil {
		return tls.Certificate{}, fmt.Errorf("bench x509: CreateRoleAlias: %w", err)
	}
	endpoint := "?"
	if ep, err := c.DescribeEndpoint(ctx, &iot.DescribeEndpointInput{EndpointType: aws.String("iot:CredentialProvider")}); err == nil && ep.EndpointAddress != nil {
		endpoint = *ep.EndpointAddress
	}
	progress("device certificate %s attached to thing %s, role alias %s (credentials endpoint %s)", *reg.CertificateArn, benchX509Thing, benchX509RoleAlias, endpoint)
	return loadgen.TLSCertificate(key, leaf, pki.Intermediate), nil
}

// benchX509TrustPolicy lets both services assume the role for a
// certificate (with session tags and a source identity, as they ask) and
// the caller's account assume it with SigV4, for the AssumeRole baseline.
func benchX509TrustPolicy(account string) string {
	return `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"Service":["rolesanywhere.amazonaws.com","credentials.iot.amazonaws.com"]},` +
		`"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]},` +
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"sts:AssumeRole"}]}`
}

// benchX509Phases runs, for each concurrency and round, each workload
// against its trivial server and then against its target, and writes the
// report.
func benchX509Phases(ctx context.Context, stdout, stderr io.Writer, o x509BenchOptions, workloads []x509Workload, creds sigv4.Credentials) error {
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, "bench x509: "+format+"\n", args...) }
	if len(workloads) == 0 {
		return errors.New("bench x509: no workload")
	}
	server := workloads[0].target
	for _, xw := range workloads {
		progress("%-19s %s pid %d at %s, %s pid %d at %s", xw.w.Action, xw.trivial.Name, xw.trivial.PID, xw.trivial.URL,
			xw.target.Name, xw.target.PID, xw.target.URL)
	}
	rep := x509BenchReport{
		Command: "brevet " + strings.Join(os.Args[1:], " "), GoVersion: runtime.Version(), NumCPU: runtime.NumCPU(),
		Duration: o.duration.String(), Warmup: o.warmup.String(), Repeat: o.repeat, Resign: o.resign.String(),
		LoadStart: loadAverage(), RSSStart: rss(server.PID),
	}
	cfg := loadgen.Config{Region: o.region, Credentials: creds, Duration: o.duration}
	var phases []*loadgen.Phase
	for _, c := range o.concurrency {
		for round := range o.repeat {
			for _, xw := range workloads {
				for _, t := range []loadgen.Target{xw.trivial, xw.target} {
					p, err := loadgen.Measure(ctx, t, xw.w, c, o.warmup, cfg)
					if err != nil {
						return err
					}
					p.Round = round
					phases = append(phases, p)
					resumed := ""
					if p.TLSResponses > 0 {
						resumed = fmt.Sprintf(", %.1f %% TLS resumed", 100*float64(p.TLSResumed)/float64(p.TLSResponses))
					}
					progress("%-19s c%-3d %-8s %8.0f ops/s, p99 %v, %d errors%s", p.Action, c, p.Target,
						p.Result.OpsPerSecond(), p.Result.Latency.Quantile(0.99).Round(time.Microsecond), p.Result.Errors, resumed)
				}
			}
		}
	}
	rep.RSSEnd, rep.LoadEnd = rss(server.PID), loadAverage()
	rep.Rows = loadgen.X509Rows(phases, server.Name)
	table := rep.Rows
	if o.repeat > 1 {
		rep.Medians = loadgen.Medians(rep.Rows)
		table = rep.Medians
	}
	if o.output == "json" {
		return loadgen.WriteJSON(stdout, rep)
	}
	fmt.Fprintf(stdout, "load average %s at the start, %s at the end; %d CPUs\n", rep.LoadStart, rep.LoadEnd, rep.NumCPU)
	if o.repeat > 1 {
		fmt.Fprintf(stdout, "medians of %d rounds\n", o.repeat)
	}
	if err := loadgen.WriteX509Table(stdout, table); err != nil {
		return err
	}
	if err := loadgen.WriteX509Targets(stdout, table, server.Name, o.repeat); err != nil {
		return err
	}
	writeServerRSS(stdout, server.Name, rep.RSSStart, rep.RSSEnd)
	return nil
}

// loadAverage is the first three fields of /proc/loadavg, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
