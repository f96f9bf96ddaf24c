package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/brevet-dev/brevet/internal/audit"
)

// The issue asks that "a test scans every event produced by the whole test
// suite for every secret the suite created". suiteSecrets is that test's
// memory: every secret any test sees (the admin key, every
// SecretAccessKey, SessionToken and Password returned to a client, every
// MFA code, web identity token and SAML assertion sent) and a copy of
// every server's audit directory and log, taken when the server stops.
// TestMain scans every copy for every secret after the tests ran.
var suiteSecrets = &secretRegistry{secrets: map[string]bool{}}

type secretRegistry struct {
	mu      sync.Mutex
	secrets map[string]bool
	root    string   // where server copies go; set by TestMain
	servers []string // copies taken
	copies  int      // copy directories reserved
}

// minSecretLen keeps short values (a six-digit MFA code is the shortest
// secret the suite uses) from being confused with ordinary text.
const minSecretLen = 6

// shortSecret is the length under which a secret (an MFA code) is
// searched for as a whole JSON string, quotes included: six digits occur
// by chance inside hashes and ids, a value "123456" does not.
const shortSecret = 16

// add registers secrets; empty and too short values are ignored.
func (r *secretRegistry) add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		switch {
		case len(s) < minSecretLen:
		case len(s) < shortSecret:
			r.secrets[jsonString(s)] = true
		default:
			r.secrets[s] = true
		}
	}
}

func (r *secretRegistry) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := make([]string, 0, len(r.secrets))
	for s := range r.secrets {
		l = append(l, s)
	}
	sort.Strings(l)
	return l
}

func (r *secretRegistry) has(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.secrets[s]
}

// Secrets in responses: the Query protocol's XML and the CLI's and SDKs'
// JSON output.
var (
	xmlSecret  = regexp.MustCompile(`<(SecretAccessKey|SessionToken|Password)>([^<]+)</`)
	jsonSecret = regexp.MustCompile(`"(SecretAccessKey|SessionToken|Password|secretAccessKey|sessionToken)"\s*:\s*"([^"]+)"`)
	// iniSecret is a shared credentials file's (aws_signing_helper's
	// update mode writes one).
	iniSecret = regexp.MustCompile(`(?m)^\s*(aws_secret_access_key|aws_session_token)\s*=\s*(\S+)`)
)

// scanText registers the secrets a response or a program's output shows.
func (r *secretRegistry) scanText(s string) {
	for _, re := range []*regexp.Regexp{xmlSecret, jsonSecret, iniSecret} {
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			r.add(m[2])
		}
	}
}

// requestSecretParams are request parameters whose values are secrets.
var requestSecretParams = []string{"TokenCode", "WebIdentityToken", "SAMLAssertion", "Password", "NewPassword", "OldPassword"}

// scanForm registers the secrets a request body sends.
func (r *secretRegistry) scanForm(body string) {
	v, err := url.ParseQuery(body)
	if err != nil {
		return
	}
	for _, k := range requestSecretParams {
		r.add(v[k]...)
	}
}

// secretFlags are CLI flags whose value is a secret.
var secretFlags = map[string]bool{
	"--token-code": true, "--web-identity-token": true, "--saml-assertion": true,
	"--password": true, "--new-password": true, "--old-password": true,
}

// scanExec registers what a client program was given and printed: secret
// flags, credentials in its environment, and secrets in its output.
func (r *secretRegistry) scanExec(args, env []string, stdout string) {
	for i, a := range args {
		if secretFlags[a] && i+1 < len(args) {
			r.add(args[i+1])
		}
		for _, k := range requestSecretParams {
			if v, ok := strings.CutPrefix(a, k+"="); ok {
				r.add(v)
			}
		}
	}
	for _, kv := range env {
		for _, k := range []string{"AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN="} {
			if v, ok := strings.CutPrefix(kv, k); ok {
				r.add(v)
			}
		}
	}
	r.scanText(stdout)
}

// recordingTransport registers the secrets of every request and response
// that passes through it. TestMain's package init installs one as
// http.DefaultTransport (the raw-request helpers use the default client)
// and goConfig gives one to the Go SDK.
type recordingTransport struct{ next http.RoundTripper }

func (t recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch {
	case req.Body != nil && req.GetBody != nil:
		if b, err := req.GetBody(); err == nil {
			data, _ := io.ReadAll(b)
			b.Close()
			suiteSecrets.scanForm(string(data))
		}
	case req.Body != nil && req.Body != http.NoBody:
		// The SDK's bodies have no GetBody: read and replace.
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		suiteSecrets.scanForm(string(data))
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(data))
	}
	suiteSecrets.scanForm(req.URL.RawQuery)
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	data, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	suiteSecrets.scanText(string(data))
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if rerr != nil {
		return nil, rerr
	}
	return resp, nil
}

func init() {
	http.DefaultTransport = recordingTransport{next: http.DefaultTransport}
}

// recordingClient is an HTTP client for aws-sdk-go-v2 that registers
// secrets.
func recordingClient() *http.Client { return &http.Client{Transport: http.DefaultTransport} }

// archive copies a stopped server's audit directory and log for the
// suite-wide scan, and registers its admin secret. It runs from the
// server's cleanup, after the server stopped and before its temporary
// directory is removed.
func (r *secretRegistry) archive(b *brevet) error {
	if creds, err := os.ReadFile(b.CredentialsFile()); err == nil {
		for _, line := range strings.Split(string(creds), "\n") {
			if v, ok := strings.CutPrefix(line, "aws_secret_access_key = "); ok {
				r.add(strings.TrimSpace(v))
			}
		}
	}
	r.mu.Lock()
	root := r.root
	n := r.copies
	r.copies++ // reserved: parallel tests archive at the same time
	r.mu.Unlock()
	if root == "" {
		return nil // not under TestMain
	}
	dst := filepath.Join(root, fmt.Sprintf("server-%04d", n))
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	if err := copyDir(filepath.Join(b.DataDir, "audit"), filepath.Join(dst, "audit")); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.WriteFile(filepath.Join(dst, "log"), []byte(b.logs.String()), 0o600); err != nil {
		return err
	}
	r.mu.Lock()
	r.servers = append(r.servers, dst)
	r.mu.Unlock()
	return nil
}

func copyDir(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// check scans every archived server's trail and log for every secret.
func (r *secretRegistry) check() error {
	r.mu.Lock()
	servers := append([]string(nil), r.servers...)
	r.mu.Unlock()
	secrets := r.list()
	if len(servers) > 0 && len(secrets) == 0 {
		return fmt.Errorf("%d servers ran but the registry saw no secret: the registry is broken", len(servers))
	}
	var errs []string
	for _, dir := range servers {
		if err := scanServerCopy(dir, secrets); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "e2e: secret scan: %d secrets, %d servers' trails and logs: none found\n", len(secrets), len(servers))
	}
	return nil
}

// scanServerCopy looks for secrets in one server's copied trail (events
// decoded, and the raw files) and log.
func scanServerCopy(dir string, secrets []string) error {
	var errs []string
	if _, err := os.Stat(filepath.Join(dir, "audit")); err == nil {
		if err := audit.ScanForSecrets(filepath.Join(dir, "audit"), secrets); err != nil {
			errs = append(errs, fmt.Sprintf("%s: audit trail: %v", dir, err))
		}
	}
	log, err := os.ReadFile(filepath.Join(dir, "log"))
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if bytes.Contains(log, []byte(s)) {
			errs = append(errs, fmt.Sprintf("%s: the server log holds a secret (%.6s…)", dir, s))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// jsonString is s as a JSON string literal, for planting in events.
func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }
