package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/agent"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/federation/fedtest"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// brevetQuery calls an action of Brevet's own API, signed with the admin
// key when signed is true, and returns the HTTP status and body.
func brevetQuery(t *testing.T, b *brevet, signed bool, params url.Values) (int, []byte) {
	t.Helper()
	return brevetQueryVia(t, http.DefaultClient, b, signed, params)
}

// brevetQueryVia is brevetQuery through hc (one that trusts the server's
// CA).
func brevetQueryVia(t *testing.T, hc *http.Client, b *brevet, signed bool, params url.Values) (int, []byte) {
	t.Helper()
	params.Set("Version", brevetapi.Version)
	body := []byte(params.Encode())
	req, _ := http.NewRequest(http.MethodPost, b.URL+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if signed {
		id, secret := b.adminKey(t)
		s := sigv4.Signer{Credentials: sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}}
		if err := s.SignHTTP(req, body, sigv4.SignOptions{Region: "us-east-1", Service: "brevet", Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// joinToken creates a join token for profile, or skips when the server
// does not have the hosts API (fails under CI).
func joinToken(t *testing.T, b *brevet, profile string, ttl int) string {
	t.Helper()
	code, body := brevetQuery(t, b, true, url.Values{"Action": {"CreateJoinToken"}, "InstanceProfileName": {profile},
		"TtlSeconds": {fmt.Sprint(ttl)}})
	if code != 200 {
		t.Fatalf("CreateJoinToken: %d %s", code, body)
	}
	var out struct {
		Result struct{ JoinToken string } `xml:"CreateJoinTokenResult"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || !strings.HasPrefix(out.Result.JoinToken, "bjt_") {
		t.Fatalf("CreateJoinToken: %s", body)
	}
	suiteSecrets.add(out.Result.JoinToken)
	return out.Result.JoinToken
}

// needHostsAPI skips (fails under CI) when the server has neither
// instance profiles nor the host enrollment API.
func needHostsAPI(t *testing.T, b *brevet, c *client) {
	t.Helper()
	_, err := c.exec("aws", "iam", "list-instance-profiles")
	code, body := brevetQuery(t, b, true, url.Values{"Action": {"CreateJoinToken"}, "InstanceProfileName": {"none"}, "TtlSeconds": {"600"}})
	need(t, "instance profiles and the host enrollment API on the server", err == nil && !(code == 400 && bytes.Contains(body, []byte("InvalidAction"))))
}

// agentProc is a running `brevet agent`.
type agentProc struct {
	cmd                      *exec.Cmd
	logs                     *syncBuffer
	exited                   chan error
	imds, container, metrics string // http://host:port
}

// startAgent starts `brevet agent` and waits until it listens and serves
// credentials; it is stopped when the test ends.
func startAgent(t *testing.T, args ...string) *agentProc {
	t.Helper()
	a, err := launchAgent(args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		a.parseListeners()
		if a.metrics != "" {
			if resp, err := http.Get(a.metrics + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return a
				}
			}
		}
		select {
		case err := <-a.exited:
			a.exited <- err
			t.Fatalf("brevet agent exited: %v\n%s", err, a.logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("brevet agent not serving after 30s:\n%s", a.logs)
		}
	}
}

func launchAgent(args ...string) (*agentProc, error) {
	a := &agentProc{logs: &syncBuffer{}, exited: make(chan error, 1)}
	a.cmd = exec.Command(brevetBin, append([]string{"agent", "--log-format", "json"}, args...)...)
	a.cmd.Env = cleanEnv()
	a.cmd.Stdout, a.cmd.Stderr = a.logs, a.logs
	if err := a.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { a.exited <- a.cmd.Wait() }()
	return a, nil
}

func (a *agentProc) parseListeners() {
	sc := bufio.NewScanner(strings.NewReader(a.logs.String()))
	for sc.Scan() {
		var l struct{ Msg, Endpoint, Addr string }
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Msg != "agent: listening" {
			continue
		}
		switch l.Endpoint {
		case "imds":
			a.imds = "http://" + l.Addr
		case "container":
			a.container = "http://" + l.Addr
		case "metrics":
			a.metrics = "http://" + l.Addr
		}
	}
}

func (a *agentProc) stop(t *testing.T) {
	if a.cmd.ProcessState != nil {
		return
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-a.exited:
		if err != nil {
			t.Errorf("brevet agent did not exit cleanly: %v", err)
		}
	case <-time.After(15 * time.Second):
		_ = a.cmd.Process.Kill()
		t.Error("brevet agent did not stop within 15s of SIGTERM")
	}
	if t.Failed() {
		t.Logf("brevet agent output:\n%s", a.logs)
	}
	for _, s := range []string{"SecretAccessKey\":\"", "SessionToken\":\"", "bjt_"} {
		if strings.Contains(a.logs.String(), s) {
			t.Errorf("the agent's log holds a secret (%q)", s)
		}
	}
}

// imdsGet does the IMDSv2 dance by hand: status and body of a GET with
// header h.
func rawHTTP(t *testing.T, method, u string, h map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func imdsToken(t *testing.T, a *agentProc) string {
	t.Helper()
	code, tok := rawHTTP(t, "PUT", a.imds+"/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "300"})
	if code != 200 {
		t.Fatalf("IMDS token: %d", code)
	}
	return tok
}

// sdkEnv is an environment with no credentials at all: empty config and
// credentials files, no AWS_* variables but the region, Brevet's
// endpoint and extra.
func sdkEnv(t *testing.T, b *brevet, extra ...string) []string {
	home := t.TempDir()
	empty := filepath.Join(home, "empty")
	os.WriteFile(empty, nil, 0o600)
	env := append(envWithHome(home), "AWS_CONFIG_FILE="+empty, "AWS_SHARED_CREDENTIALS_FILE="+empty,
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_ENDPOINT_URL="+b.URL, "AWS_PAGER=")
	return append(env, extra...)
}

// callerFromEveryClient runs GetCallerIdentity through the AWS CLI, boto3,
// aws-sdk-go-v2 and the JavaScript SDK v3 with env, and checks each
// caller ARN has wantPrefix.
func callerFromEveryClient(t *testing.T, env []string, wantPrefix string) {
	run := func(t *testing.T, name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = env
		wd, _ := os.Getwd()
		cmd.Dir = wd
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, stderr.String())
		}
		return strings.TrimSpace(stdout.String())
	}
	check := func(t *testing.T, got string) {
		t.Helper()
		if !strings.HasPrefix(got, wantPrefix) {
			t.Errorf("caller %q, want %s…", got, wantPrefix)
		}
	}
	t.Run("aws-cli", func(t *testing.T) {
		need(t, "aws", have("aws"))
		check(t, run(t, "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"))
	})
	t.Run("boto3", func(t *testing.T) {
		need(t, "python3 with boto3", haveBoto3())
		check(t, run(t, "python3", "-c", "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"))
	})
	t.Run("javascript", func(t *testing.T) {
		_, statErr := os.Stat(jsSDK)
		need(t, "node with e2e/js/node_modules", have("node") && statErr == nil)
		check(t, run(t, "node", "js/agent.mjs"))
	})
	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
		}
		for _, kv := range env {
			if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") || k == "HOME" {
				t.Setenv(k, v)
			}
		}
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, *out.Arn)
	})
}

// TestAgent runs the real server and the real `brevet agent`: a host
// enrolled with a join token serves its instance profile's role through
// IMDSv2, the container endpoint (two workloads, two roles) and
// credential_process to the AWS CLI, boto3, aws-sdk-go-v2 and the
// JavaScript SDK, each configured with nothing but the endpoint; and the
// must-rejects of issue 16.
func TestAgent(t *testing.T) {
	b := startBrevet(t)
	c := newClient(t, b)
	acct := b.Account
	needHostsAPI(t, b, c)
	c.aws("iam", "create-role", "--role-name", "web-role", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	webRole := "arn:aws:iam::" + acct + ":role/web-role"
	c.aws("iam", "create-role", "--role-name", "batch-role", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+webRole+`"},"Action":"sts:AssumeRole"}]}`)
	c.aws("iam", "put-role-policy", "--role-name", "web-role", "--policy-name", "chain", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::`+acct+`:role/batch-role"}]}`)
	c.aws("iam", "create-instance-profile", "--instance-profile-name", "web")
	c.aws("iam", "create-instance-profile", "--instance-profile-name", "other")
	c.aws("iam", "add-role-to-instance-profile", "--instance-profile-name", "web", "--role-name", "web-role")
	tok := joinToken(t, b, "web", 3600)

	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	hostTok, batchTok := filepath.Join(dir, "host.token"), filepath.Join(dir, "batch.token")
	args := []string{"--endpoint", b.URL, "--state-dir", state, "--imds-listen", "127.0.0.1:0",
		"--container-listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0",
		"--workload", hostTok, "--workload", batchTok + "=arn:aws:iam::" + acct + ":role/batch-role"}
	a := startAgent(t, append(args, "--join-token", tok)...)
	webPrefix := "arn:aws:sts::" + acct + ":assumed-role/web-role/"
	batchPrefix := "arn:aws:sts::" + acct + ":assumed-role/batch-role/"

	t.Run("imds", func(t *testing.T) {
		callerFromEveryClient(t, sdkEnv(t, b, "AWS_EC2_METADATA_SERVICE_ENDPOINT="+a.imds), webPrefix)
	})
	t.Run("container host role", func(t *testing.T) {
		callerFromEveryClient(t, sdkEnv(t, b, "AWS_CONTAINER_CREDENTIALS_FULL_URI="+a.container+"/v1/credentials",
			"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="+hostTok, "AWS_EC2_METADATA_DISABLED=true"), webPrefix)
	})
	t.Run("container workload role", func(t *testing.T) {
		callerFromEveryClient(t, sdkEnv(t, b, "AWS_CONTAINER_CREDENTIALS_FULL_URI="+a.container+"/v1/credentials",
			"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="+batchTok, "AWS_EC2_METADATA_DISABLED=true"), batchPrefix)
	})
	t.Run("credential_process", func(t *testing.T) {
		env := sdkEnv(t, b, "AWS_EC2_METADATA_DISABLED=true")
		cfg := filepath.Join(t.TempDir(), "config")
		os.WriteFile(cfg, []byte(fmt.Sprintf("[default]\ncredential_process = %s credential-process --agent-url %s --cache-dir %s\n",
			brevetBin, a.imds, t.TempDir())), 0o600)
		callerFromEveryClient(t, append(env, "AWS_CONFIG_FILE="+cfg), webPrefix)
	})

	good := imdsToken(t, a)
	credsPath := a.imds + "/latest/meta-data/iam/security-credentials/web-role"
	t.Run("must reject", func(t *testing.T) {
		ttl := "X-aws-ec2-metadata-token-ttl-seconds"
		wrong, _ := os.ReadFile(batchTok)
		for _, tc := range []struct {
			name, method, url string
			h                 map[string]string
			want              int
		}{
			{"GET without a token", "GET", credsPath, nil, 401},
			{"token TTL 0", "PUT", a.imds + "/latest/api/token", map[string]string{ttl: "0"}, 400},
			{"token TTL 21601", "PUT", a.imds + "/latest/api/token", map[string]string{ttl: "21601"}, 400},
			{"token without TTL", "PUT", a.imds + "/latest/api/token", nil, 400},
			{"X-Forwarded-For", "GET", credsPath, map[string]string{"X-aws-ec2-metadata-token": good, "X-Forwarded-For": "10.1.2.3"}, 403},
			{"container without token", "GET", a.container + "/v1/credentials", nil, 401},
			{"container wrong token", "GET", a.container + "/v1/credentials", map[string]string{"Authorization": string(wrong) + "x"}, 401},
			{"valid", "GET", credsPath, map[string]string{"X-aws-ec2-metadata-token": good}, 200},
		} {
			if code, _ := rawHTTP(t, tc.method, tc.url, tc.h); code != tc.want {
				t.Errorf("%s: got %d, want %d", tc.name, code, tc.want)
			}
		}
		// A join token used twice: a second host with the same token is refused.
		second, err := launchAgent("--endpoint", b.URL, "--state-dir", filepath.Join(dir, "second"), "--join-token", tok,
			"--imds-listen", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-second.exited:
			if err == nil {
				t.Error("a second enrollment with a spent join token succeeded")
			}
		case <-time.After(30 * time.Second):
			_ = second.cmd.Process.Kill()
			t.Error("a second enrollment with a spent join token did not fail")
		}
		// Enrollment for an instance profile the token does not name.
		other := joinToken(t, b, "web", 3600)
		st, err := agent.LoadState(t.TempDir(), "h", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		code, body := brevetQuery(t, b, false, url.Values{"Action": {"EnrollHost"}, "JoinToken": {other},
			"InstanceProfileName": {"other"}, "Hostname": {"h"}, "HostCertificate": {st.CertPEM}})
		if code != 400 && code != 403 {
			t.Errorf("EnrollHost for a profile the join token does not name: %d %s", code, body)
		}
	})

	outer := t
	t.Run("restart", func(t *testing.T) {
		a.stop(t)
		r := startAgent(outer, args...) // the state directory: no join token needed; runs to the end of TestAgent
		if code, _ := rawHTTP(t, "GET", r.imds+"/latest/meta-data/iam/security-credentials/", map[string]string{"X-aws-ec2-metadata-token": good}); code != 401 {
			t.Errorf("a token from before the restart: got %d, want 401", code)
		}
		tok := imdsToken(t, r)
		code, id := rawHTTP(t, "GET", r.imds+"/latest/meta-data/instance-id", map[string]string{"X-aws-ec2-metadata-token": tok})
		if code != 200 || !strings.HasPrefix(id, "i-") {
			t.Errorf("instance-id after restart: %d %q", code, id)
		}
		a = r
	})

	t.Run("enroll with a Roles Anywhere certificate", func(t *testing.T) {
		ca := x509test.NewCA(t, x509test.Options{CN: "Agent Root"})
		inter := ca.Intermediate(t, x509test.Options{CN: "Agent Hosts"})
		var ta struct {
			TrustAnchor struct{ TrustAnchorArn string }
		}
		c.json(&ta, "rolesanywhere", "create-trust-anchor", "--name", "hosts", "--enabled",
			"--source", "sourceType=CERTIFICATE_BUNDLE,sourceData={x509CertificateData="+string(ca.CertPEM())+"}")
		var role struct{ Role struct{ Arn string } }
		c.json(&role, "iam", "create-role", "--role-name", "enroller", "--assume-role-policy-document", raTrust(ta.TrustAnchor.TrustAnchorArn, "ra-host"))
		c.aws("iam", "put-role-policy", "--role-name", "enroller", "--policy-name", "enroll", "--policy-document",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"brevet:EnrollHost","Resource":"arn:aws:iam::`+acct+`:instance-profile/web"},`+
				`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::`+acct+`:role/web-role"}]}`)
		var prof struct{ Profile struct{ ProfileArn string } }
		c.json(&prof, "rolesanywhere", "create-profile", "--name", "hosts", "--role-arns", role.Role.Arn, "--enabled")
		f := inter.Leaf(t, x509test.Options{CN: "ra-host"}).WritePEM(t, t.TempDir())
		ra := startAgent(t, "--endpoint", b.URL, "--state-dir", filepath.Join(t.TempDir(), "state"), "--imds-listen", "127.0.0.1:0",
			"--metrics", "127.0.0.1:0", "--certificate", f.Cert, "--intermediates", f.Chain, "--private-key", f.Key,
			"--trust-anchor-arn", ta.TrustAnchor.TrustAnchorArn, "--profile-arn", prof.Profile.ProfileArn, "--role-arn", role.Role.Arn,
			"--instance-profile", "web")
		callerFromEveryClient(t, sdkEnv(t, b, "AWS_EC2_METADATA_SERVICE_ENDPOINT="+ra.imds), webPrefix)

		// Deregistered: the agent stops serving at once (WaitHostChange).
		tok := imdsToken(t, ra)
		_, id := rawHTTP(t, "GET", ra.imds+"/latest/meta-data/instance-id", map[string]string{"X-aws-ec2-metadata-token": tok})
		if code, body := brevetQuery(t, b, true, url.Values{"Action": {"DeregisterHost"}, "HostId": {id}}); code != 200 {
			t.Fatalf("DeregisterHost %s: %d %s", id, code, body)
		}
		waitStatus(t, ra.imds+"/latest/meta-data/iam/security-credentials/web-role", tok, 404)
	})

	t.Run("revocation", func(t *testing.T) {
		c.aws("iam", "remove-role-from-instance-profile", "--instance-profile-name", "web", "--role-name", "web-role")
		waitStatus(t, a.imds+"/latest/meta-data/iam/security-credentials/web-role", imdsToken(t, a), 404)
		if code, _ := rawHTTP(t, "GET", a.container+"/v1/credentials", map[string]string{"Authorization": readTrim(t, batchTok)}); code == 200 {
			t.Error("a workload role chained from the revoked host role is still served")
		}
		if code, _ := rawHTTP(t, "GET", a.metrics+"/healthz", nil); code != 503 {
			t.Errorf("healthz after revocation: %d, want 503", code)
		}
	})
}

// waitStatus waits up to 5 s for an IMDS GET of u to answer want.
func waitStatus(t *testing.T, u, tok string, want int) {
	t.Helper()
	start := time.Now()
	for {
		code, _ := rawHTTP(t, "GET", u, map[string]string{"X-aws-ec2-metadata-token": tok})
		if code == want {
			t.Logf("%s answered %d after %v", u, want, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("%s: still %d after 5 s, want %d", u, code, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestAgentWebIdentity: a host (a pod, say) enrolls with a projected
// service-account token through AssumeRoleWithWebIdentity and serves the
// instance profile's role.
func TestAgentWebIdentity(t *testing.T) {
	need(t, "the AWS CLI", have("aws"))
	idp := fedtest.NewOIDCProvider(t)
	trustCA(t, idp.CAPEM)
	b := startBrevet(t)
	c := newClient(t, b)
	needHostsAPI(t, b, c)
	acct := b.Account
	var prov struct{ OpenIDConnectProviderArn string }
	c.json(&prov, "iam", "create-open-id-connect-provider", "--url", idp.Issuer(), "--client-id-list", "brevet")
	key := oidc.KeyOf(idp.Issuer())
	c.aws("iam", "create-role", "--role-name", "k8s-enroll", "--assume-role-policy-document", trustFederated(prov.OpenIDConnectProviderArn,
		"sts:AssumeRoleWithWebIdentity", `{"StringEquals":{"`+key+`:aud":"brevet","`+key+`:sub":"system:serviceaccount:shop:web"}}`))
	c.aws("iam", "put-role-policy", "--role-name", "k8s-enroll", "--policy-name", "enroll", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"brevet:EnrollHost","Resource":"arn:aws:iam::`+acct+`:instance-profile/web"},`+
			`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::`+acct+`:role/web-role"}]}`)
	c.aws("iam", "create-role", "--role-name", "web-role", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	c.aws("iam", "create-instance-profile", "--instance-profile-name", "web")
	c.aws("iam", "add-role-to-instance-profile", "--instance-profile-name", "web", "--role-name", "web-role")
	tokenFile := filepath.Join(t.TempDir(), "token")
	tok := idp.Token(t, idp.Claims("system:serviceaccount:shop:web", "brevet", time.Now()))
	if err := os.WriteFile(tokenFile, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, "--endpoint", b.URL, "--state-dir", filepath.Join(t.TempDir(), "state"), "--imds-listen", "127.0.0.1:0",
		"--metrics", "127.0.0.1:0", "--web-identity-token-file", tokenFile, "--role-arn", "arn:aws:iam::"+acct+":role/k8s-enroll",
		"--instance-profile", "web")
	env := sdkEnv(t, b, "AWS_EC2_METADATA_SERVICE_ENDPOINT="+a.imds)
	cmd := exec.Command("aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	cmd.Env = env
	out, err := cmd.Output()
	if want := "arn:aws:sts::" + acct + ":assumed-role/web-role/i-"; err != nil || !strings.HasPrefix(string(out), want) {
		t.Errorf("caller %q (%v), want %s…", out, err, want)
	}
}
