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
// `brevet serve` runs, works as written, and again on the same data: a
// reader comes back to it, or pastes it twice. Only the port differs: the
// test server listens on a free one.
func TestREADMEQuickStart(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	block := quickStart(t)
	if !strings.Contains(block, "http://127.0.0.1:8787") {
		t.Fatal("the quick start no longer names the default endpoint http://127.0.0.1:8787")
	}
	b := startBrevet(t)
	block = strings.ReplaceAll(block, "http://127.0.0.1:8787", b.URL)
	// Three times: in a fresh shell, then twice in one more shell, where
	// the second paste finds the first's role session still exported.
	for i, pastes := range []int{1, 2} {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", strings.Repeat(block, pastes))
		cmd.Dir = b.Dir
		cmd.Env = append(cleanEnv(), "HOME="+b.Dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("quick start, shell %d: %v\n%s", i+1, err, out)
		}
		if want := `"Arn": "arn:aws:iam::` + b.Account + `:user/sts-user"`; !strings.Contains(string(out), want) {
			t.Errorf("quick start, shell %d: the output lacks %s:\n%s", i+1, want, out)
		}
		// The last line's, once a paste.
		want := `"Arn": "arn:aws:sts::` + b.Account + `:assumed-role/sts_role/Session1"`
		if got := strings.Count(string(out), want); got != pastes {
			t.Errorf("quick start, shell %d: the output has %s %d times, want %d:\n%s", i+1, want, got, pastes, out)
		}
	}
	// Each run replaced the user's key rather than adding one.
	keys := newClient(t, b).aws("iam", "list-access-keys", "--user-name", "sts-user",
		"--query", "length(AccessKeyMetadata)", "--output", "text")
	if got := strings.TrimSpace(keys); got != "1" {
		t.Errorf("sts-user's access keys after three runs: %s, want 1", got)
	}
}
