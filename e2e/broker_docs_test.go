package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
	for _, want := range []string{
		`"Arn": "arn:aws:sts::444455556666:assumed-role/deploy/alice"`, // the upstream's answer to alice
		`"sourceIdentity":"alice@111122223333"`,                        // both trails
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the walkthrough's output lacks %s:\n%s", want, out)
		}
	}
}
