package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// brevetBin is the binary under test, built once by TestMain.
var brevetBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "brevet-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	brevetBin = filepath.Join(dir, "brevet")
	if bin := os.Getenv(envBrevetBin); bin != "" {
		brevetBin = bin // a test re-run in a namespace (sso_cli_test.go) uses its parent's build
	} else {
		build := exec.Command("go", "build", "-o", brevetBin, "./cmd/brevet")
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building brevet: %v\n%s", err, out)
			return 1
		}
	}
	installJS()
	suiteSecrets.root = filepath.Join(dir, "servers")
	code := m.Run()
	if err := runSuiteCleanups(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: stopping what the tests shared:\n%v\n", err)
		code = 1
	}
	if err := suiteSecrets.check(); err != nil { // secrets_test.go
		fmt.Fprintf(os.Stderr, "FAIL: a secret the suite created reached an audit trail or a server log:\n%v\n", err)
		return 1
	}
	return code
}

// jsSDK is where npm ci puts the JavaScript SDK the node scripts import;
// jsS3 the S3 packages the gateway's script adds.
const (
	jsSDK = "js/node_modules/@aws-sdk/client-sts/package.json"
	jsS3  = "js/node_modules/@aws-sdk/lib-storage/package.json"
	// jsSSO and jsPlaywright are the SSO tests' (sso_*_test.go).
	jsSSO        = "js/node_modules/@aws-sdk/credential-providers/package.json"
	jsPlaywright = "js/node_modules/playwright-core/package.json"
)

// installJS runs npm ci in e2e/js when the SDK is not installed yet and npm
// is available (.ci/run does it before the tests). A failure is reported
// here and the JavaScript tests then skip, or fail under CI.
func installJS() {
	missing := false
	for _, f := range []string{jsSDK, jsS3, jsSSO, jsPlaywright, jsCognito, jsEsbuild} {
		if _, err := os.Stat(f); err != nil {
			missing = true
		}
	}
	if !missing || !have("npm") {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--prefix", "js", "--no-audit", "--no-fund")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: npm ci --prefix e2e/js failed; the JavaScript tests will not run: %v\n%s", err, out)
	}
}

// inCI reports whether missing tools must fail tests rather than skip them.
func inCI() bool { return os.Getenv("CI") == "true" }

// need skips (or, in CI, fails) the test when a client is not available.
func need(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if inCI() {
		t.Fatalf("%s is not available; CI must install it (see .ci/run)", what)
	}
	t.Skipf("%s is not available; skipping (CI installs it)", what)
}

func have(name string) bool { _, err := exec.LookPath(name); return err == nil }

// suiteCleanups stop what several tests share (the S3 backend, a shared
// server): run by TestMain after the tests, last registered first, before
// the secret scan.
var suiteCleanups struct {
	mu  sync.Mutex
	fns []func() error
}

func addSuiteCleanup(fn func() error) {
	suiteCleanups.mu.Lock()
	defer suiteCleanups.mu.Unlock()
	suiteCleanups.fns = append(suiteCleanups.fns, fn)
}

func runSuiteCleanups() error {
	suiteCleanups.mu.Lock()
	fns := suiteCleanups.fns
	suiteCleanups.fns = nil
	suiteCleanups.mu.Unlock()
	var errs []error
	for i := len(fns) - 1; i >= 0; i-- {
		if err := fns[i](); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// brevet is one running `brevet serve`.
type brevet struct {
	URL     string
	S3URL   string // the S3 gateway's, "" when it does not run
	Dir     string // the working directory the server runs in
	DataDir string
	Account string
	cmd     *exec.Cmd
	ready   string // the ready file
	logs    *syncBuffer
	exited  chan error
	stopped bool // shutdown ran
}

// syncBuffer collects the server's output from its pipe goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testAccount is the account id the tests' servers create.
const testAccount = "123456789012"

// startBrevet starts a server with a fresh data directory (DIR/brevet-data,
// the default relative to its working directory DIR) and stops it when
// the test ends, checking that it shuts down cleanly.
func startBrevet(t *testing.T, extra ...string) *brevet {
	t.Helper()
	return startBrevetIn(t, t.TempDir(), extra...)
}

// startBrevetIn starts a server in dir, whose brevet-data may hold the
// state of an earlier server.
func startBrevetIn(t *testing.T, dir string, extra ...string) *brevet {
	t.Helper()
	return startBrevetInEnv(t, dir, nil, extra...)
}

// startBrevetEnv starts a server as startBrevet does, with env added to
// its (clean) environment: settings that are taken from the environment
// only, such as the S3 backend's secret.
func startBrevetEnv(t *testing.T, env []string, extra ...string) *brevet {
	t.Helper()
	return startBrevetInEnv(t, t.TempDir(), env, extra...)
}

func startBrevetInEnv(t *testing.T, dir string, env []string, extra ...string) *brevet {
	t.Helper()
	b, err := launchBrevet(dir, env, extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after stop: copies the trail for the suite-wide secret scan
		if err := suiteSecrets.archive(b); err != nil {
			t.Errorf("copying the audit trail for the secret scan: %v", err)
		}
	})
	t.Cleanup(func() { b.stop(t) })
	if err := b.waitReady(); err != nil {
		t.Fatal(err)
	}
	return b
}

// launchBrevet starts `brevet serve` in dir with env added to a clean
// environment; waitReady then waits for it. Tests use startBrevet*; a
// server shared by several tests is launched once and stopped by a suite
// cleanup (shutdown, logProblems).
func launchBrevet(dir string, env []string, extra ...string) (*brevet, error) {
	b := &brevet{Dir: dir, DataDir: filepath.Join(dir, "brevet-data"), Account: testAccount, logs: &syncBuffer{}, exited: make(chan error, 1)}
	b.ready = filepath.Join(dir, "ready")
	_ = os.Remove(b.ready)
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--ready-file", b.ready, "--account-id", testAccount}, extra...)
	b.cmd = exec.Command(brevetBin, args...)
	b.cmd.Dir = dir
	b.cmd.Env = append(cleanEnv(), env...)
	b.cmd.Stdout, b.cmd.Stderr = b.logs, b.logs
	if err := b.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { b.exited <- b.cmd.Wait() }()
	return b, nil
}

// waitReady waits up to 30 s for the ready file and reads the URLs in it.
func (b *brevet) waitReady() error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, err := os.ReadFile(b.ready)
		if err == nil && strings.HasSuffix(string(data), "\n") {
			api, s3, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
			b.URL, b.S3URL = api, strings.TrimSpace(s3) // the S3 gateway's URL, when it runs, on the second line
			return nil
		}
		select {
		case err := <-b.exited:
			b.exited <- err // for stop
			return fmt.Errorf("brevet serve exited before it was ready: %v\n%s", err, b.logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("brevet serve not ready after 30s:\n%s", b.logs)
		}
	}
}

// stop sends SIGTERM and expects a clean exit.
func (b *brevet) stop(t *testing.T) {
	if b.cmd.ProcessState != nil || b.stopped {
		return
	}
	for _, p := range b.shutdown() {
		t.Error(p)
	}
	if t.Failed() {
		t.Logf("brevet serve output:\n%s", b.logs)
	}
	b.checkLogs(t)
}

// shutdown sends SIGTERM, waits for the exit, and returns what went wrong.
func (b *brevet) shutdown() []string {
	if b.cmd.ProcessState != nil || b.stopped {
		return nil
	}
	b.stopped = true
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-b.exited:
		if err != nil {
			return []string{fmt.Sprintf("brevet serve did not exit cleanly: %v", err)}
		}
	case <-time.After(30 * time.Second):
		_ = b.cmd.Process.Kill()
		return []string{"brevet serve did not stop within 30s of SIGTERM"}
	}
	return nil
}

// checkLogs fails the test if the server logged an unmapped error, a
// panic, or a 500.
func (b *brevet) checkLogs(t *testing.T) {
	for _, line := range b.logProblems() {
		t.Errorf("server log: %s", line)
	}
}

// logProblems returns the server's log lines that show an unmapped error,
// a panic, or a 500.
func (b *brevet) logProblems() []string {
	var bad []string
	sc := bufio.NewScanner(strings.NewReader(b.logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, `"msg":"unmapped error"`) || strings.Contains(line, "panic") || strings.Contains(line, `"status":500`) {
			bad = append(bad, line)
		}
	}
	return bad
}

// CredentialsFile is the admin key the first start wrote.
func (b *brevet) CredentialsFile() string { return filepath.Join(b.DataDir, "admin-credentials") }

// cleanEnv is the test process's environment without AWS_* and BREVET_*
// variables, with a scratch HOME left to the caller.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "BREVET_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+os.TempDir())
}

// envWithHome is cleanEnv with home as HOME.
func envWithHome(home string) []string {
	var env []string
	for _, kv := range cleanEnv() {
		if !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+home)
}

// client is a scratch AWS client environment pointed at a server: its own
// HOME, config file and credentials file (a copy of the admin key).
type client struct {
	t    *testing.T
	b    *brevet
	home string
	env  []string
}

func newClient(t *testing.T, b *brevet) *client {
	t.Helper()
	home := t.TempDir()
	creds, err := os.ReadFile(b.CredentialsFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "credentials"), creds, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config"), []byte("[default]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, b: b, home: home}
	c.env = append(envWithHome(home),
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
		"AWS_ENDPOINT_URL="+b.URL,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_REGION=us-east-1",
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	)
	return c
}

// with returns a copy of the client with extra environment variables.
func (c *client) with(kv ...string) *client {
	cp := *c
	cp.env = append(append([]string(nil), c.env...), kv...)
	return &cp
}

// exec runs a program in the client's environment and returns its
// standard output, or an error carrying its standard error.
func (c *client) exec(name string, args ...string) (string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = c.env
	cmd.Dir = c.home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	suiteSecrets.scanExec(args, c.env, stdout.String())
	if err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// aws runs the AWS CLI and fails the test on error.
func (c *client) aws(args ...string) string {
	c.t.Helper()
	out, err := c.exec("aws", args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// awsErr runs the AWS CLI expecting it to fail, and returns its error text.
func (c *client) awsErr(args ...string) string {
	c.t.Helper()
	out, err := c.exec("aws", args...)
	if err == nil {
		c.t.Fatalf("aws %s: succeeded, want an error; output:\n%s", strings.Join(args, " "), out)
	}
	return err.Error()
}

// haveBoto3 reports whether python3 can import boto3.
func haveBoto3() bool {
	return have("python3") && exec.Command("python3", "-c", "import boto3").Run() == nil
}
