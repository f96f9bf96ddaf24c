package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// The credential broker's end-to-end tests (issue 18, docs/broker.md)
// share one rig: the broker, a Brevet served over HTTPS so that it is an
// OIDC issuer, and two more Brevets standing in for upstream AWS
// accounts (they speak STS and IAM and check tokens and signatures for
// real), one trusting the broker's issuer, one whose IAM user's key the
// broker holds; and moto_server behind fault-injecting proxies for what
// only a misbehaving upstream shows.

// The rig's account ids. moto_server answers as any account a role ARN
// names, so each fault gets an upstream id of its own (10000000000N).
const (
	brokerAccount = "111122223333" // the broker (downstream)
	upOIDCAccount = "444455556666" // an upstream Brevet trusting the broker's issuer
	upKeyAccount  = "777788889999" // an upstream Brevet whose user's key the broker holds
)

// brokerRig is the servers the broker tests share.
type brokerRig struct {
	down   *brevet // the broker, over HTTPS
	upOIDC *brevet // upstream, OIDC trust
	upKey  *brevet // upstream, KEY trust
	caFile string  // the CA of down's certificate (AWS_CA_BUNDLE, SSL_CERT_FILE)
	ca     *e2eCA
	hc     *http.Client // trusts down's certificate; records secrets
}

// startBrokerRig starts the three Brevets, the broker with the rate
// budgets off (the tests provoke refusals on purpose, all from
// 127.0.0.1).
func startBrokerRig(t *testing.T) *brokerRig {
	t.Helper()
	dir := t.TempDir()
	r := &brokerRig{ca: newE2ECA(t, "e2e broker CA"), caFile: filepath.Join(dir, "ca.pem")}
	if err := os.WriteFile(r.caFile, r.ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "broker.crt"), filepath.Join(dir, "broker.key")
	r.ca.issue(t, 1, false, certFile, keyFile)
	r.hc = &http.Client{Transport: recordingTransport{next: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: r.ca.pool, MinVersion: tls.VersionTLS12}}}}

	type spec struct {
		b       **brevet
		account string
		env     []string
		args    []string
	}
	specs := []spec{
		{&r.down, brokerAccount, nil, []string{"--tls-cert", certFile, "--tls-key", keyFile,
			"--limit-failures-per-source", "off", "--limit-failures-per-key", "off"}},
		// The upstream fetches the broker's keys over HTTPS.
		{&r.upOIDC, upOIDCAccount, []string{"SSL_CERT_FILE=" + r.caFile}, nil},
		{&r.upKey, upKeyAccount, nil, []string{"--limit-failures-per-source", "off", "--limit-failures-per-key", "off"}},
	}
	// Launched together, then waited for: three starts in the time of one.
	for _, s := range specs {
		b, err := launchBrevet(t.TempDir(), s.env, append([]string{"--account-id", s.account}, s.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		b.Account = s.account
		t.Cleanup(func() {
			if err := suiteSecrets.archive(b); err != nil {
				t.Errorf("copying the audit trail for the secret scan: %v", err)
			}
		})
		t.Cleanup(func() { b.stop(t) })
		*s.b = b
	}
	for _, s := range specs {
		if err := (*s.b).waitReady(); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(r.down.URL, "https://") {
		t.Fatalf("the broker serves %s, want https", r.down.URL)
	}
	return r
}

// cfg is an aws-sdk-go-v2 configuration for the broker, signed with the
// key given.
func (r *brokerRig) cfg(id, secret, token string) aws.Config {
	c := r.down.goConfig(id, secret, token)
	c.HTTPClient = r.hc
	return c
}

func (r *brokerRig) admin(t *testing.T) aws.Config {
	id, secret := r.down.adminKey(t)
	return r.cfg(id, secret, "")
}

// brokerUser is an IAM user of the broker's account with an access key.
type brokerUser struct {
	name, arn, keyID, secret string
	cfg                      aws.Config
	credFile                 string // a shared credentials file with the key as [default]
}

// user creates an IAM user in the broker's account with policy (none when
// "") and an access key.
func (r *brokerRig) user(t *testing.T, name, policy string) *brokerUser {
	t.Helper()
	ctx := context.Background()
	ic := iam.NewFromConfig(r.admin(t))
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
	if policy != "" {
		if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("broker"),
			PolicyDocument: aws.String(policy)}); err != nil {
			t.Fatalf("PutUserPolicy %s: %v", name, err)
		}
	}
	k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	u := &brokerUser{name: name, arn: "arn:aws:iam::" + brokerAccount + ":user/" + name,
		keyID: aws.ToString(k.AccessKey.AccessKeyId), secret: aws.ToString(k.AccessKey.SecretAccessKey)}
	u.cfg = r.cfg(u.keyID, u.secret, "")
	u.credFile = filepath.Join(t.TempDir(), name+"-credentials")
	if err := os.WriteFile(u.credFile, []byte("[default]\naws_access_key_id = "+u.keyID+"\naws_secret_access_key = "+u.secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return u
}

// brevetCLI runs `brevet ARGS...` as a client of the broker, signed with
// the credentials file given (the admin's when ""), with stdin as its
// standard input; it returns standard output and an error carrying
// standard error.
func (r *brokerRig) brevetCLI(t *testing.T, credFile, stdin string, args ...string) (string, error) {
	t.Helper()
	if credFile == "" {
		credFile = r.down.CredentialsFile()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, brevetBin, append(args, "--endpoint", r.down.URL, "--credentials", credFile)...)
	cmd.Env = append(cleanEnv(), "SSL_CERT_FILE="+r.caFile)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	suiteSecrets.scanText(stdout.String())
	if err != nil {
		return stdout.String(), fmt.Errorf("brevet %s: %w\n%s%s", strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String(), nil
}

// upstreamCLI runs `brevet upstream ARGS...` as the broker's admin and
// fails the test on error.
func (r *brokerRig) upstreamCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := r.brevetCLI(t, "", "", append([]string{"upstream"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// query calls a Brevet action on the broker, signed with the admin key.
func (r *brokerRig) query(t *testing.T, params url.Values) (int, []byte) {
	t.Helper()
	return brevetQueryVia(t, r.hc, r.down, true, params)
}

// queryError is a Query API error document's code and message.
func queryError(body []byte) (code, msg string) {
	var e struct {
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
	}
	_ = xml.Unmarshal(body, &e)
	return e.Code, e.Message
}

// addKeyUpstream registers a KEY-mode upstream at endpoint through the
// CLI, the secret from a file, with extra flags.
func (r *brokerRig) addKeyUpstream(t *testing.T, id, endpoint, keyID, secret string, extra ...string) {
	t.Helper()
	suiteSecrets.add(secret)
	f := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(f, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	r.upstreamCLI(t, append([]string{"add", id, "--mode", "key", "--sts-endpoint", endpoint, "--iam-endpoint", endpoint,
		"--access-key-id", keyID, "--secret-access-key-file", f}, extra...)...)
}

// addRole registers a brokered role whose Brevet-side trust policy lets
// the principals in (ARNs), with extra flags.
func (r *brokerRig) addRole(t *testing.T, roleARN string, principals []string, extra ...string) {
	t.Helper()
	p, _ := json.Marshal(principals)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + string(p) +
		`},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`
	r.upstreamCLI(t, append([]string{"role", "add", roleARN, "--trust-policy", trust}, extra...)...)
}

// metric returns the value of the broker's /metrics line that starts
// with name and holds every label given, and whether there is one.
func (r *brokerRig) metric(t *testing.T, name string, labels ...string) (string, bool) {
	t.Helper()
	resp, err := r.hc.Get(r.down.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
lines:
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(line, l) {
				continue lines
			}
		}
		f := strings.Fields(line)
		return f[len(f)-1], true
	}
	return "", false
}

// auditEvents runs `brevet audit search -o json` on b's data directory
// and returns the events.
func auditEvents(t *testing.T, b *brevet, args ...string) []map[string]any {
	t.Helper()
	cmd := exec.Command(brevetBin, append([]string{"audit", "search", "--data-dir", b.DataDir, "-o", "json"}, args...)...)
	cmd.Env = cleanEnv()
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("brevet audit search %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit search line %q: %v", line, err)
		}
		events = append(events, e)
	}
	return events
}

// eventField walks a decoded JSON event along path ("a.b.c") and returns the
// value there, nil when absent.
func eventField(e map[string]any, path string) any {
	var v any = e
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// str is eventField as a string ("" when absent or not a string).
func str(e map[string]any, path string) string { s, _ := eventField(e, path).(string); return s }

// upstreamCreds is an aws-sdk-go-v2 configuration for an upstream
// endpoint with credentials the broker handed out.
func upstreamCreds(endpoint, id, secret, token string) aws.Config {
	suiteSecrets.add(secret, token)
	return aws.Config{
		HTTPClient:   recordingClient(),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, token),
		BaseEndpoint: aws.String(endpoint),
	}
}

// faultMode is what a faultProxy does with the next request.
type faultMode int

const (
	forward     faultMode = iota // pass it to moto
	hang                         // read it and never answer
	reset                        // read it and reset the connection
	throttle                     // answer Throttling (400) `throttles` times, then forward
	throttleAll                  // answer Throttling always
)

// faultProxy is an upstream STS endpoint in front of moto_server (or a
// Brevet) that injects the failures a real one shows: no answer, a reset
// connection, Throttling answers. It counts the requests it receives
// (attempts) and keeps the secrets the upstream answers (answered).
type faultProxy struct {
	URL      string
	srv      *http.Server
	ln       net.Listener
	fwd      *httputil.ReverseProxy
	attempts atomic.Int64

	mu        sync.Mutex
	mode      faultMode
	throttles int
	secrets   []string      // the secret keys and session tokens the upstream answered
	done      chan struct{} // closed when the proxy stops: releases hung requests
}

// newFaultProxy starts a proxy for moto at motoURL, stopped when the test
// ends.
func newFaultProxy(t *testing.T, motoURL string) *faultProxy {
	t.Helper()
	target, err := url.Parse(motoURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{URL: "http://" + ln.Addr().String(), ln: ln, done: make(chan struct{}),
		fwd: httputil.NewSingleHostReverseProxy(target)}
	p.fwd.ModifyResponse = p.keepSecrets
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(func() {
		close(p.done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.srv.Shutdown(ctx)
	})
	return p
}

// keepSecrets remembers the secrets of an upstream's answer (a new access
// key's, a session's), which only the broker sees otherwise.
func (p *faultProxy) keepSecrets(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range xmlSecret.FindAllStringSubmatch(string(body), -1) {
		p.secrets = append(p.secrets, m[2])
	}
	return err
}

// answered returns the secrets the upstream answered through the proxy.
func (p *faultProxy) answered() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.secrets...)
}

// set changes the mode (with n Throttling answers for throttle) and
// resets the attempt counter.
func (p *faultProxy) set(m faultMode, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode, p.throttles = m, n
	p.attempts.Store(0)
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	p.attempts.Add(1)
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	req.Body.Close()
	p.mu.Lock()
	m := p.mode
	if m == throttle {
		if p.throttles > 0 {
			p.throttles--
		} else {
			m = forward
		}
	}
	p.mu.Unlock()
	switch m {
	case hang:
		select {
		case <-req.Context().Done(): // the client gave up
		case <-p.done:
		}
	case reset:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close sends RST
		}
		conn.Close()
	case throttle, throttleAll:
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-Requestid", "e2e-throttled")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>`+
			`<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>e2e-throttled</RequestId></ErrorResponse>`)
	default: // moto, with the body read above
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		p.fwd.ServeHTTP(w, req)
	}
}
