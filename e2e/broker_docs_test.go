package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const brokerWalkthroughMarker = "<!-- broker-walkthrough: e2e/broker_docs_test.go runs this block with bash -->"

// brokerDoc returns docs/broker.md.
func brokerDoc(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../docs/broker.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(doc)
}

// shBlockAfter returns the first ```sh block after marker in doc.
func shBlockAfter(t *testing.T, doc, marker string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, marker)
	if !ok {
		t.Fatalf("docs/broker.md has no %q", marker)
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	if !ok {
		t.Fatalf("docs/broker.md has no ```sh block after %q", marker)
	}
	block, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		t.Fatalf("docs/broker.md: the block after %q is not closed", marker)
	}
	return block + "\n"
}

// TestBrokerWalkthrough: docs/broker.md's "Try it on one machine", as
// pasted: its openssl command makes the broker's certificate, two
// servers start with the flags of terminals 1 and 2 (on free ports), and
// terminal 3's block, run with bash, gets the upstream role through the
// broker and finds both sides in the trails.
func TestBrokerWalkthrough(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	need(t, "openssl", have("openssl"))
	need(t, "jq", have("jq"))
	doc := brokerDoc(t)
	dir := t.TempDir()

	// Terminal 1's certificate, with the doc's command.
	terminal1 := shBlockAfter(t, doc, "Terminal 1")
	openssl, _, ok := strings.Cut(terminal1, "go run ./cmd/brevet serve")
	if !ok || !strings.Contains(openssl, "openssl req") {
		t.Fatalf("docs/broker.md's terminal 1 block does not make a certificate, then serve:\n%s", terminal1)
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", openssl)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the walkthrough's openssl command: %v\n%s", err, out)
	}
	crt, key := filepath.Join(dir, "a.crt"), filepath.Join(dir, "a.key")
	for _, want := range []string{"--account-id 111122223333", "--tls-cert a.crt --tls-key a.key"} {
		if !strings.Contains(terminal1, want) {
			t.Fatalf("docs/broker.md's terminal 1 no longer has %q", want)
		}
	}
	if terminal2 := shBlockAfter(t, doc, "Terminal 2"); !strings.Contains(terminal2, "SSL_CERT_FILE=$PWD/a.crt") ||
		!strings.Contains(terminal2, "--account-id 444455556666") {
		t.Fatalf("docs/broker.md's terminal 2 no longer starts B trusting a.crt as account 444455556666:\n%s", terminal2)
	}
	a := startBrevetIn(t, t.TempDir(), "--account-id", "111122223333", "--tls-cert", crt, "--tls-key", key)
	a.Account = "111122223333"
	b := startBrevetInEnv(t, t.TempDir(), []string{"SSL_CERT_FILE=" + crt}, "--account-id", "444455556666")
	b.Account = "444455556666"
	for link, target := range map[string]string{"a-data": a.DataDir, "b-data": b.DataDir} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}

	block := shBlockAfter(t, doc, brokerWalkthroughMarker)
	aHost := strings.TrimPrefix(a.URL, "https://")
	script := strings.NewReplacer("https://127.0.0.1:8443", a.URL, "127.0.0.1:8443", aHost,
		"http://127.0.0.1:8788", b.URL, "go run ./cmd/brevet", brevetBin).Replace(block)
	cmd = exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walkthrough's terminal 3: %v\n%s", err, out)
	}
	if want := `"Arn": "arn:aws:sts::444455556666:assumed-role/deploy/alice"`; !strings.Contains(string(out), want) {
		t.Errorf("the walkthrough's output lacks the upstream's answer to alice, %s:\n%s", want, out)
	}
	// The last line: B's event of the request A's event names.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, `"eventName":"AssumeRoleWithWebIdentity"`) || !strings.Contains(last, `"alice@111122223333"`) {
		t.Errorf("the walkthrough's join ends with %s; want B's AssumeRoleWithWebIdentity event with alice's source identity:\n%s", last, out)
	}
}

// shBlocks returns the ```sh blocks of doc between the headings from and
// to (to excluded), in order.
func shBlocks(t *testing.T, doc, from, to string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n"+from+"\n")
	if !ok {
		t.Fatalf("docs/broker.md has no heading %q", from)
	}
	section, _, ok := strings.Cut(rest, "\n"+to+"\n")
	if !ok {
		t.Fatalf("docs/broker.md has no heading %q after %q", to, from)
	}
	var blocks []string
	for {
		_, after, ok := strings.Cut(section, "```sh\n")
		if !ok {
			return blocks
		}
		block, more, ok := strings.Cut(after, "\n```\n")
		if !ok {
			t.Fatalf("docs/broker.md: a block of %q is not closed", from)
		}
		blocks, section = append(blocks, block+"\n"), more
	}
}

// TestBrokerDocsKeyMode: docs/broker.md's KEY mode as pasted, with a
// Brevet in place of the upstream AWS account: its IAM user, policy, key
// and role; the registration with the secret on stdin; the brokered role
// of "Brokered roles" (its external id is the upstream trust's); a role
// session of the broker gets the upstream role within the ceiling; and
// the user's policy is enough for Brevet to rotate its key.
func TestBrokerDocsKeyMode(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	doc := brokerDoc(t)
	up := startBrevet(t, "--account-id", "444455556666")
	up.Account = "444455556666"
	broker := startBrevet(t, "--account-id", "111122223333")
	broker.Account = "111122223333"
	dir := t.TempDir()
	creds, err := os.ReadFile(broker.CredentialsFile())
	if err != nil {
		t.Fatal(err)
	}
	ceiling := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::deploy-artifacts/*"}]}`
	for name, data := range map[string]string{"admin-credentials": string(creds), "deploy-ceiling.json": ceiling} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The Brevet-side trust policy of "Brokered roles" names role/ci.
	ctx := context.Background()
	admin := broker.goAdmin(t)
	ic := iam.NewFromConfig(admin)
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ci"),
		AssumeRolePolicyDocument: aws.String(trustPolicy(`{"AWS":"arn:aws:iam::111122223333:root"}`, ""))}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ci"), PolicyName: aws.String("upstream"),
		PolicyDocument: aws.String(allowAssume("arn:aws:iam::444455556666:role/deploy"))}); err != nil {
		t.Fatal(err)
	}

	key := shBlocks(t, doc, "## Trust mode KEY (a sealed long-term key)", "## Brokered roles: who in Brevet may obtain which upstream role")
	roles := shBlocks(t, doc, "## Brokered roles: who in Brevet may obtain which upstream role", "### The caller's Brevet policies")
	if len(key) != 3 || len(roles) != 1 {
		t.Fatalf("docs/broker.md: %d blocks in the KEY mode's section (want the user, the role, the registration), %d in Brokered roles (want 1)", len(key), len(roles))
	}
	// The upstream is a Brevet on loopback, not AWS's endpoints.
	register := strings.Replace(key[2], "--region us-east-1", "--region us-east-1 --sts-endpoint "+up.URL+" --iam-endpoint "+up.URL, 1)
	paste := func(script string) {
		t.Helper()
		script = strings.NewReplacer("https://brevet.example.com", broker.URL, "brevet upstream ", brevetBin+" upstream ").Replace(script)
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
		cmd.Dir = dir
		cmd.Env = append(cleanEnv(), "HOME="+dir, "AWS_ENDPOINT_URL="+up.URL, "AWS_SHARED_CREDENTIALS_FILE="+up.CredentialsFile(),
			"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docs/broker.md's KEY mode, pasted: %v\n%s", err, out)
		}
	}
	paste(key[0] + key[1])
	// The upstream key's secret, for the suite's scan of the broker's trail and log.
	keyFile, err := os.ReadFile(filepath.Join(dir, "brevet-broker.key"))
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(string(keyFile)); len(f) == 2 {
		suiteSecrets.add(f[1]) // the key id is public
	} else {
		t.Fatalf("brevet-broker.key holds %q, want the key id and the secret", keyFile)
	}
	paste(register + roles[0])
	if _, err := os.Stat(filepath.Join(dir, "brevet-broker.key")); !os.IsNotExist(err) {
		t.Errorf("the key file is still there after shred -u: %v", err)
	}

	ci := assume(t, admin, "arn:aws:iam::111122223333:role/ci", "build-7")
	brokered, err := sts.NewFromConfig(fromSTS(broker, ci)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::444455556666:role/deploy"), RoleSessionName: aws.String("build-7")})
	if err != nil {
		t.Fatalf("the ci role's session asks for the upstream deploy role: %v", err)
	}
	suiteSecrets.add(aws.ToString(brokered.Credentials.SecretAccessKey), aws.ToString(brokered.Credentials.SessionToken))
	if got, want := aws.ToString(brokered.SourceIdentity), "ci.build-7"; got != want {
		t.Errorf("SourceIdentity %q, want %q (docs/broker.md's table)", got, want)
	}
	if got, want := callerOn(t, up.URL, brokered.Credentials), "arn:aws:sts::444455556666:assumed-role/deploy/build-7"; got != want {
		t.Errorf("the upstream sees %s, want %s", got, want)
	}

	// The user's policy lets Brevet rotate its key.
	before := newClient(t, up).aws("iam", "list-access-keys", "--user-name", "brevet-broker", "--query", "AccessKeyMetadata[].AccessKeyId", "--output", "text")
	rot := exec.Command(brevetBin, "upstream", "rotate", "444455556666", "--endpoint", broker.URL, "--credentials", broker.CredentialsFile())
	rot.Env = cleanEnv()
	if out, err := rot.CombinedOutput(); err != nil {
		t.Fatalf("brevet upstream rotate with docs/broker.md's user policy: %v\n%s", err, out)
	}
	after := newClient(t, up).aws("iam", "list-access-keys", "--user-name", "brevet-broker", "--query", "AccessKeyMetadata[].AccessKeyId", "--output", "text")
	if strings.TrimSpace(before) == strings.TrimSpace(after) || len(strings.Fields(after)) != 1 {
		t.Errorf("the upstream user's keys: %q before the rotation, %q after; want one new key", before, after)
	}
}
