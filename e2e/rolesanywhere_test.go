package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// raTrust is a role trust policy for IAM Roles Anywhere: the service
// principal, the three actions AWS's documentation requires, from one
// trust anchor, for the certificates whose subject CN is one of cns.
func raTrust(anchorARN string, cns ...string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},` +
		`"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{` +
		`"StringEquals":{"aws:PrincipalTag/x509Subject/CN":["` + strings.Join(cns, `","`) + `"]},` +
		`"ArnEquals":{"aws:SourceArn":"` + anchorARN + `"}}}]}`
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRolesAnywhereControlPlane: trust anchors, profiles, CRLs, mappings
// and tags through `aws rolesanywhere ...` and boto3, with AWS's errors.
func TestRolesAnywhereControlPlane(t *testing.T) {
	need(t, "the AWS CLI", have("aws"))
	b := startBrevet(t)
	c := newClient(t, b)
	dir := t.TempDir()
	ca := x509test.NewCA(t, x509test.Options{CN: "Brevet Test Root", Subject: pkix.Name{Organization: []string{"Brevet"}}})
	caFile := writeFile(t, dir, "ca.pem", ca.CertPEM())
	crlFile := writeFile(t, dir, "crl.der", ca.CRL(t, big.NewInt(99)).Raw)

	t.Run("cli", func(t *testing.T) {
		var ta struct {
			TrustAnchor struct {
				TrustAnchorId, TrustAnchorArn, Name string
				Enabled                             bool
				Source                              struct{ SourceType string }
			}
		}
		c.json(&ta, "rolesanywhere", "create-trust-anchor", "--name", "cli anchor", "--enabled",
			"--source", "sourceType=CERTIFICATE_BUNDLE,sourceData={x509CertificateData="+string(ca.CertPEM())+"}",
			"--tags", "key=team,value=devices")
		id := ta.TrustAnchor.TrustAnchorId
		if !ta.TrustAnchor.Enabled || ta.TrustAnchor.Source.SourceType != "CERTIFICATE_BUNDLE" ||
			ta.TrustAnchor.TrustAnchorArn != "arn:aws:rolesanywhere:us-east-1:"+b.Account+":trust-anchor/"+id {
			t.Fatalf("create-trust-anchor: %+v", ta.TrustAnchor)
		}
		if got := c.aws("rolesanywhere", "disable-trust-anchor", "--trust-anchor-id", id, "--query", "trustAnchor.enabled", "--output", "text"); strings.TrimSpace(got) != "False" {
			t.Errorf("disable-trust-anchor: enabled = %s", got)
		}
		c.aws("rolesanywhere", "enable-trust-anchor", "--trust-anchor-id", id)
		if got := c.aws("rolesanywhere", "update-trust-anchor", "--trust-anchor-id", id, "--name", "renamed", "--query", "trustAnchor.[name,enabled]", "--output", "text"); strings.Join(strings.Fields(got), " ") != "renamed True" {
			t.Errorf("update-trust-anchor: %s", got)
		}
		if got := c.aws("rolesanywhere", "list-trust-anchors", "--query", "trustAnchors[].name", "--output", "text"); !strings.Contains(got, "renamed") {
			t.Errorf("list-trust-anchors: %s", got)
		}
		if got := c.aws("rolesanywhere", "get-trust-anchor", "--trust-anchor-id", id, "--query", "trustAnchor.name", "--output", "text"); strings.TrimSpace(got) != "renamed" {
			t.Errorf("get-trust-anchor: %s", got)
		}

		var prof struct {
			Profile struct {
				ProfileId, ProfileArn string
				DurationSeconds       int
				Enabled               bool
				AttributeMappings     []struct {
					CertificateField string
					MappingRules     []struct{ Specifier string }
				}
			}
		}
		c.json(&prof, "rolesanywhere", "create-profile", "--name", "cli-profile", "--role-arns", "arn:aws:iam::"+b.Account+":role/device",
			"--managed-policy-arns", "arn:aws:iam::aws:policy/ReadOnlyAccess", "--enabled")
		pid := prof.Profile.ProfileId
		if prof.Profile.DurationSeconds != 3600 || !prof.Profile.Enabled || len(prof.Profile.AttributeMappings) != 3 {
			t.Errorf("create-profile defaults: %+v", prof.Profile)
		}
		c.aws("rolesanywhere", "update-profile", "--profile-id", pid, "--duration-seconds", "7200", "--accept-role-session-name")
		c.aws("rolesanywhere", "put-attribute-mapping", "--profile-id", pid, "--certificate-field", "x509Subject", "--mapping-rules", "specifier=CN")
		c.aws("rolesanywhere", "delete-attribute-mapping", "--profile-id", pid, "--certificate-field", "x509SAN", "--specifiers", "URI", "Name/*")
		c.json(&prof, "rolesanywhere", "get-profile", "--profile-id", pid)
		if prof.Profile.DurationSeconds != 7200 || len(prof.Profile.AttributeMappings) != 3 || len(prof.Profile.AttributeMappings[2].MappingRules) != 1 {
			t.Errorf("get-profile after updates: %+v", prof.Profile)
		}
		c.aws("rolesanywhere", "disable-profile", "--profile-id", pid)
		c.aws("rolesanywhere", "enable-profile", "--profile-id", pid)

		var crl struct {
			Crl struct {
				CrlId, CrlArn, TrustAnchorArn string
				Enabled                       bool
			}
		}
		c.json(&crl, "rolesanywhere", "import-crl", "--name", "cli-crl", "--crl-data", "fileb://"+crlFile, "--trust-anchor-arn", ta.TrustAnchor.TrustAnchorArn)
		if crl.Crl.Enabled || crl.Crl.TrustAnchorArn != ta.TrustAnchor.TrustAnchorArn {
			t.Errorf("import-crl: %+v", crl.Crl)
		}
		c.aws("rolesanywhere", "enable-crl", "--crl-id", crl.Crl.CrlId)
		c.aws("rolesanywhere", "update-crl", "--crl-id", crl.Crl.CrlId, "--name", "renamed-crl")
		if got := c.aws("rolesanywhere", "list-crls", "--query", "crls[].[name,enabled]", "--output", "text"); strings.Join(strings.Fields(got), " ") != "renamed-crl True" {
			t.Errorf("list-crls: %q", got)
		}
		c.aws("rolesanywhere", "disable-crl", "--crl-id", crl.Crl.CrlId)

		c.aws("rolesanywhere", "tag-resource", "--resource-arn", prof.Profile.ProfileArn, "--tags", "key=a,value=1", "key=b,value=2")
		c.aws("rolesanywhere", "untag-resource", "--resource-arn", prof.Profile.ProfileArn, "--tag-keys", "a")
		if got := c.aws("rolesanywhere", "list-tags-for-resource", "--resource-arn", prof.Profile.ProfileArn, "--query", "tags[].key", "--output", "text"); strings.TrimSpace(got) != "b" {
			t.Errorf("list-tags-for-resource: %q", got)
		}

		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"get-trust-anchor", "--trust-anchor-id", "00000000-0000-4000-8000-000000000000"}, "(ResourceNotFoundException)"},
			{[]string{"create-trust-anchor", "--name", "pca", "--source", "sourceType=AWS_ACM_PCA,sourceData={acmPcaArn=arn:aws:acm-pca:us-east-1:" + b.Account + ":certificate-authority/x}"}, "(ValidationException)"},
			{[]string{"create-trust-anchor", "--name", "leaf", "--source", "sourceType=CERTIFICATE_BUNDLE,sourceData={x509CertificateData=" + string(x509test.CertsPEM(ca.Leaf(t, x509test.Options{}).Cert)) + "}"}, "(ValidationException)"},
			{[]string{"import-crl", "--name", "x", "--crl-data", "fileb://" + caFile, "--trust-anchor-arn", ta.TrustAnchor.TrustAnchorArn}, "(ValidationException)"},
			{[]string{"list-tags-for-resource", "--resource-arn", "arn:aws:iam::" + b.Account + ":role/device"}, "(ValidationException)"},
		} {
			if got := c.awsErr(append([]string{"rolesanywhere"}, tt.args...)...); !strings.Contains(got, tt.want) {
				t.Errorf("%s: %s, want %s", tt.args[0], got, tt.want)
			}
		}
		c.aws("rolesanywhere", "delete-crl", "--crl-id", crl.Crl.CrlId)
		c.aws("rolesanywhere", "delete-profile", "--profile-id", pid)
		c.aws("rolesanywhere", "delete-trust-anchor", "--trust-anchor-id", id)
		if got := c.awsErr("rolesanywhere", "get-profile", "--profile-id", pid); !strings.Contains(got, "(ResourceNotFoundException)") {
			t.Errorf("get-profile after delete: %s", got)
		}
	})

	t.Run("boto3", func(t *testing.T) {
		need(t, "python3 with boto3", haveBoto3())
		wd, _ := os.Getwd()
		out, err := c.exec("python3", filepath.Join(wd, "testdata", "rolesanywhere_boto3.py"), caFile, crlFile)
		if err != nil {
			t.Fatalf("boto3: %v\n%s", err, out)
		}
	})

	t.Run("denied by policy", func(t *testing.T) {
		c.aws("iam", "create-user", "--user-name", "viewer")
		c.aws("iam", "put-user-policy", "--user-name", "viewer", "--policy-name", "list", "--policy-document",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rolesanywhere:List*","Resource":"*"}]}`)
		var key struct {
			AccessKey struct{ AccessKeyId, SecretAccessKey string }
		}
		c.json(&key, "iam", "create-access-key", "--user-name", "viewer")
		v := c.with("AWS_ACCESS_KEY_ID="+key.AccessKey.AccessKeyId, "AWS_SECRET_ACCESS_KEY="+key.AccessKey.SecretAccessKey)
		waitFor(t, func() error { _, err := v.exec("aws", "rolesanywhere", "list-profiles"); return err })
		if got := v.awsErr("rolesanywhere", "create-profile", "--name", "x", "--role-arns", "arn:aws:iam::"+b.Account+":role/device"); !strings.Contains(got, "(AccessDeniedException)") {
			t.Errorf("create-profile without the permission: %s", got)
		}
	})
}

// waitFor retries fn for a few seconds (a new key reaches the cache
// through the change feed).
func waitFor(t *testing.T, fn func() error) {
	t.Helper()
	var err error
	for range 50 {
		if err = fn(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal(err)
}

// raEnv is a server with a CA as an enabled trust anchor (an RSA root and
// an ECDSA intermediate), a role trusting the service for the CNs given,
// and an enabled profile for it.
type raEnv struct {
	b                           *brevet
	c                           *client
	dir                         string
	ca, inter                   *x509test.CA
	anchorARN, profileARN, role string
	profileID                   string
}

func newRAEnv(t *testing.T, cns ...string) *raEnv {
	t.Helper()
	need(t, "the AWS CLI", have("aws"))
	b := startBrevet(t)
	c := newClient(t, b)
	e := &raEnv{b: b, c: c, dir: t.TempDir()}
	e.ca = x509test.NewCA(t, x509test.Options{CN: "Brevet Root", Key: x509test.RSA, Subject: pkix.Name{Organization: []string{"Brevet"}}})
	e.inter = e.ca.Intermediate(t, x509test.Options{CN: "Brevet Devices", Subject: pkix.Name{Organization: []string{"Brevet"}}})
	var ta struct {
		TrustAnchor struct{ TrustAnchorArn string }
	}
	c.json(&ta, "rolesanywhere", "create-trust-anchor", "--name", "root", "--enabled",
		"--source", "sourceType=CERTIFICATE_BUNDLE,sourceData={x509CertificateData="+string(e.ca.CertPEM())+"}")
	e.anchorARN = ta.TrustAnchor.TrustAnchorArn
	var role struct{ Role struct{ Arn string } }
	c.json(&role, "iam", "create-role", "--role-name", "device", "--assume-role-policy-document", raTrust(e.anchorARN, cns...))
	e.role = role.Role.Arn
	// The role may read itself only from the host whose CN is cns[0]: an
	// identity policy on the session's principal tag.
	c.aws("iam", "put-role-policy", "--role-name", "device", "--policy-name", "self", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*",`+
			`"Condition":{"StringEquals":{"aws:PrincipalTag/x509Subject/CN":"`+cns[0]+`"}}}]}`)
	var prof struct {
		Profile struct{ ProfileArn, ProfileId string }
	}
	c.json(&prof, "rolesanywhere", "create-profile", "--name", "devices", "--role-arns", e.role, "--enabled")
	e.profileARN, e.profileID = prof.Profile.ProfileArn, prof.Profile.ProfileId
	return e
}

// helperArgs are the signing helper's arguments for the leaf's files.
func (e *raEnv) helperArgs(f x509test.Files) []string {
	args := []string{"--certificate", f.Cert, "--private-key", f.Key, "--trust-anchor-arn", e.anchorARN,
		"--profile-arn", e.profileARN, "--role-arn", e.role, "--endpoint", e.b.URL, "--region", "us-east-1"}
	if f.Chain != "" {
		args = append(args, "--intermediates", f.Chain)
	}
	return args
}

// TestRolesAnywhereSigningHelper: AWS's own client, aws_signing_helper
// v1.4.0, against Brevet in its three modes (credential-process from
// ~/.aws/config for the CLI and boto3, serve as an IMDSv2 endpoint,
// update of a credentials file), with RSA and ECDSA leaves, one through an
// intermediate; the sessions' principal tags work in identity policies;
// and every refusal is AWS's error, never a 5xx.
func TestRolesAnywhereSigningHelper(t *testing.T) {
	helper := x509test.SigningHelper(t)
	e := newRAEnv(t, "host-ecdsa", "host-rsa", "host-revoked")
	c := e.c
	ecdsaLeaf := e.inter.Leaf(t, x509test.Options{CN: "host-ecdsa", DNSNames: []string{"host-ecdsa.example.com"}}).WritePEM(t, e.dir)
	rsaLeaf := e.ca.Leaf(t, x509test.Options{CN: "host-rsa", Key: x509test.RSA}).WritePEM(t, e.dir)
	want := "arn:aws:sts::" + e.b.Account + ":assumed-role/device/"

	t.Run("credential-process", func(t *testing.T) {
		cfg := "[default]\nregion = us-east-1\n"
		for name, f := range map[string]x509test.Files{"ecdsa": ecdsaLeaf, "rsa": rsaLeaf} {
			cfg += fmt.Sprintf("[profile %s]\nregion = us-east-1\ncredential_process = %s credential-process %s\n", name, helper, strings.Join(e.helperArgs(f), " "))
		}
		// Once directly, as the CLI runs it: its output (credential_process
		// JSON) registers the session's secrets for the suite's scan.
		if out, err := c.exec(helper, append([]string{"credential-process"}, e.helperArgs(ecdsaLeaf)...)...); err != nil || !strings.Contains(out, `"SecretAccessKey"`) {
			t.Errorf("credential-process: %v %s", err, out)
		}
		cfgFile := writeFile(t, e.dir, "config", []byte(cfg))
		dev := c.with("AWS_CONFIG_FILE="+cfgFile, "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(e.dir, "none"))
		for _, p := range []string{"ecdsa", "rsa"} {
			var id struct{ Arn string }
			dev.json(&id, "sts", "get-caller-identity", "--profile", p)
			if !strings.HasPrefix(id.Arn, want) {
				t.Errorf("%s: caller %s, want %s...", p, id.Arn, want)
			}
		}
		// The principal tag x509Subject/CN reaches identity policies.
		dev.aws("iam", "get-role", "--role-name", "device", "--profile", "ecdsa")
		if got := dev.awsErr("iam", "get-role", "--role-name", "device", "--profile", "rsa"); !strings.Contains(got, "AccessDenied") {
			t.Errorf("get-role as host-rsa: %s, want AccessDenied", got)
		}
		if haveBoto3() {
			out, err := dev.exec("python3", "-c", `import boto3; print(boto3.Session(profile_name="rsa").client("sts").get_caller_identity()["Arn"])`)
			if err != nil || !strings.HasPrefix(strings.TrimSpace(out), want) {
				t.Errorf("boto3 with credential_process: %v %s", err, out)
			}
		}
	})

	t.Run("serve", func(t *testing.T) {
		addr := freePort(t) // authzapi_test.go
		_, port, _ := net.SplitHostPort(addr)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cmd := exec.CommandContext(ctx, helper, append([]string{"serve", "--port", port}, e.helperArgs(ecdsaLeaf)...)...)
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cancel(); _ = cmd.Wait() }()
		waitFor(t, func() error {
			conn, err := net.Dial("tcp", addr)
			if err == nil {
				conn.Close()
			}
			return err
		})
		var env []string
		for _, kv := range c.env {
			if !strings.HasPrefix(kv, "AWS_EC2_METADATA_DISABLED=") && !strings.HasPrefix(kv, "AWS_SHARED_CREDENTIALS_FILE=") {
				env = append(env, kv)
			}
		}
		imds := &client{t: t, b: e.b, home: c.home, env: append(env,
			"AWS_EC2_METADATA_SERVICE_ENDPOINT=http://"+addr+"/",
			"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(e.dir, "none"))}
		var id struct{ Arn string }
		imds.json(&id, "sts", "get-caller-identity")
		if !strings.HasPrefix(id.Arn, want) {
			t.Errorf("CLI through the helper's IMDS: caller %s, want %s... (helper log: %s)", id.Arn, want, logs.String())
		}
		if haveBoto3() {
			out, err := imds.exec("python3", "-c", `import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])`)
			if err != nil || !strings.HasPrefix(strings.TrimSpace(out), want) {
				t.Errorf("boto3 through the helper's IMDS: %v %s", err, out)
			}
		}
	})

	t.Run("update", func(t *testing.T) {
		credFile := filepath.Join(e.dir, "credentials-updated")
		up := c.with("AWS_SHARED_CREDENTIALS_FILE=" + credFile)
		if out, err := up.exec(helper, append([]string{"update", "--once", "--profile", "device"}, e.helperArgs(rsaLeaf)...)...); err != nil {
			t.Fatalf("update: %v %s", err, out)
		}
		data, err := os.ReadFile(credFile)
		if err != nil {
			t.Fatal(err)
		}
		suiteSecrets.scanText(string(data))
		if !strings.Contains(string(data), "[device]") || !strings.Contains(string(data), "aws_access_key_id = ASIA") || !strings.Contains(string(data), "aws_session_token") {
			t.Fatalf("credentials file after update lacks the session:\n%d bytes", len(data))
		}
		var id struct{ Arn string }
		up.json(&id, "sts", "get-caller-identity", "--profile", "device")
		if !strings.HasPrefix(id.Arn, want) {
			t.Errorf("caller from the updated file: %s", id.Arn)
		}
	})

	t.Run("refused", func(t *testing.T) {
		revoked := e.ca.Leaf(t, x509test.Options{CN: "host-revoked"})
		crlFile := writeFile(t, e.dir, "revoked.crl", e.ca.CRL(t, revoked.Cert.SerialNumber).Raw)
		c.aws("rolesanywhere", "import-crl", "--name", "revoked", "--enabled", "--crl-data", "fileb://"+crlFile, "--trust-anchor-arn", e.anchorARN)
		stranger := x509test.NewCA(t, x509test.Options{})
		cases := []struct {
			name string
			leaf *x509test.Leaf
			want string
		}{
			{"revoked serial", revoked, "AccessDeniedException"},
			{"trust condition on x509Subject/CN not met", e.ca.Leaf(t, x509test.Options{CN: "intruder"}), "AccessDeniedException"},
			{"unknown CA", stranger.Leaf(t, x509test.Options{CN: "host-rsa"}), "AccessDeniedException"},
			{"expired", e.ca.Leaf(t, x509test.Options{CN: "host-rsa", NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}), "AccessDeniedException"},
			{"non-CA intermediate", e.ca.Intermediate(t, x509test.Options{NotCA: true}).Leaf(t, x509test.Options{CN: "host-rsa"}), "AccessDeniedException"},
		}
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				f := tt.leaf.WritePEM(t, t.TempDir())
				out, err := c.exec(helper, append([]string{"credential-process"}, e.helperArgs(f)...)...)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("credential-process: %v %s, want %s", err, out, tt.want)
				}
			})
		}
		c.aws("rolesanywhere", "disable-profile", "--profile-id", e.profileID)
		out, err := c.exec(helper, append([]string{"credential-process"}, e.helperArgs(rsaLeaf)...)...)
		if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
			t.Errorf("credential-process with the profile disabled: %v %s", err, out)
		}
		c.aws("rolesanywhere", "enable-profile", "--profile-id", e.profileID)
	})
}

// TestRolesAnywhereHostileRequests: CreateSession requests no client
// would send answer a 4xx with AWS's error, never a 5xx: a 100 KB
// certificate chain header (the server's 64 KiB header limit answers 431
// before Roles Anywhere sees it), another key's signature, a request
// signed 20 minutes ago, an unsigned one.
func TestRolesAnywhereHostileRequests(t *testing.T) {
	e := newRAEnv(t, "host")
	leaf := e.ca.Leaf(t, x509test.Options{CN: "host"})
	other := e.ca.Leaf(t, x509test.Options{CN: "host"})
	query := "?trustAnchorArn=" + e.anchorARN + "&profileArn=" + e.profileARN + "&roleArn=" + e.role
	send := func(t *testing.T, sign func(*sigv4.Request) error, mutate func(http.Header)) (int, string) {
		t.Helper()
		body := []byte(`{"durationSeconds":900}`)
		u := e.b.URL + "/sessions" + query
		req, _ := http.NewRequest("POST", u, bytes.NewReader(body))
		sr := sigv4.Request{Method: "POST", Path: "/sessions", RawQuery: req.URL.RawQuery, Host: req.URL.Host, Body: body,
			Header: http.Header{"Content-Type": {"application/json"}}}
		if sign != nil {
			if err := sign(&sr); err != nil {
				t.Fatal(err)
			}
		}
		for k, v := range sr.Header {
			req.Header[k] = v
		}
		if mutate != nil {
			mutate(req.Header)
		}
		resp, err := roundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType") + " " + string(msg)
	}
	signWith := func(l *x509test.Leaf, at time.Time) func(*sigv4.Request) error {
		return func(r *sigv4.Request) error { return sigv4.SignX509(r, l.Key, l.Cert, l.Chain, "us-east-1", at) }
	}
	code, msg := send(t, signWith(leaf, time.Now()), nil)
	if code != http.StatusCreated {
		t.Fatalf("a good request: %d %s", code, msg)
	}
	// The session's secrets are registered for the suite's scan of every
	// trail and log (secrets_test.go), like every other issuer's.
	var out struct {
		CredentialSet []struct {
			Credentials struct{ SecretAccessKey, SessionToken string }
		}
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(msg, " ")), &out); err != nil || len(out.CredentialSet) != 1 {
		t.Fatalf("a good request's body: %v %s", err, msg)
	}
	if c := out.CredentialSet[0].Credentials; !suiteSecrets.has(c.SecretAccessKey) || !suiteSecrets.has(c.SessionToken) {
		t.Errorf("CreateSession's credentials are not registered for the suite's secret scan")
	}
	huge := strings.Repeat(base64.StdEncoding.EncodeToString(leaf.Cert.Raw)+",", 100<<10/(len(leaf.Cert.Raw)*4/3))
	for _, tt := range []struct {
		name     string
		sign     func(*sigv4.Request) error
		mutate   func(http.Header)
		wantCode int
		wantType string
	}{
		{"100 KB chain header", signWith(leaf, time.Now()), func(h http.Header) { h.Set("X-Amz-X509-Chain", huge) }, http.StatusRequestHeaderFieldsTooLarge, ""},
		{"another key", func(r *sigv4.Request) error {
			return sigv4.SignX509(r, other.Key, leaf.Cert, nil, "us-east-1", time.Now())
		}, nil, http.StatusForbidden, "AccessDeniedException"},
		{"outside the skew window", signWith(leaf, time.Now().Add(-20*time.Minute)), nil, http.StatusForbidden, "AccessDeniedException"},
		{"unsigned", nil, nil, http.StatusForbidden, "AccessDeniedException"},
		{"malformed certificate header", signWith(leaf, time.Now()), func(h http.Header) { h.Set("X-Amz-X509", "not base64!") }, http.StatusBadRequest, "ValidationException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := send(t, tt.sign, tt.mutate)
			if code != tt.wantCode || !strings.HasPrefix(msg, tt.wantType) {
				t.Errorf("got %d %s, want %d %s", code, msg, tt.wantCode, tt.wantType)
			}
		})
	}
}

// roundTrip sends req on a connection of its own and reads the response
// while the request is still being written: a server that refuses an
// oversized header answers before it has read it all, and then resets
// the connection, which net/http's client reports instead of the answer.
func roundTrip(req *http.Request) (*http.Response, error) {
	conn, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		return nil, err
	}
	go func() { _ = req.Write(conn) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		conn.Close()
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	conn.Close()
	suiteSecrets.scanText(string(body)) // bypasses recordingTransport
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
