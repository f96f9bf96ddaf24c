package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const quickStartMarker = "<!-- quick-start: e2e/readme_test.go runs this block with bash -->"

// quickStart returns the README's quick-start shell block.
func quickStart(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), quickStartMarker+"\n```sh\n")
	if !ok {
		t.Fatalf("README.md has no ```sh block after %q", quickStartMarker)
	}
	block, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		t.Fatal("README.md: the quick-start block is not closed")
	}
	return block + "\n"
}

// The README's quick start, pasted into bash in the directory where
// `brevet serve` runs, works as written. Only the port differs: the test
// server listens on a free one.
func TestREADMEQuickStart(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	script := quickStart(t)
	if !strings.Contains(script, "http://127.0.0.1:8787") {
		t.Fatal("the quick start no longer names the default endpoint http://127.0.0.1:8787")
	}
	b := startBrevet(t)
	script = strings.ReplaceAll(script, "http://127.0.0.1:8787", b.URL)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = b.Dir
	cmd.Env = append(cleanEnv(), "HOME="+b.Dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quick start failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		`"Arn": "arn:aws:iam::` + b.Account + `:user/sts-user"`,
		`"Arn": "arn:aws:sts::` + b.Account + `:assumed-role/sts_role/Session1"`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("quick start output lacks %s:\n%s", want, out)
		}
	}
}
