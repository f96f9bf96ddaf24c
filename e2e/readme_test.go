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

const quickStartS3Marker = "<!-- quick-start-s3: e2e/readme_test.go runs this block with bash, after the first -->"

// readmeBlock returns the README's ```sh block after marker.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	return docBlock(t, "../README.md", marker)
}

// docBlock returns the ```sh block right after marker in the Markdown
// file at path, which tests paste into bash as a reader would.
func docBlock(t *testing.T, path, marker string) string {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(path, "../")
	_, rest, ok := strings.Cut(string(doc), marker+"\n```sh\n")
	if !ok {
		t.Fatalf("%s has no ```sh block right after %q", name, marker)
	}
	block, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		t.Fatalf("%s: the block after %q is not closed", name, marker)
	}
	return block + "\n"
}

// The README's quick start continues through the S3 gateway: pasted after
// the first block, against a server whose gateway fronts moto, sts-user
// may not list the bucket, the role's session reads it and lists it but
// may not write to it. Twice, as a reader may paste it again.
func TestREADMEQuickStartS3(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	first, s3block := quickStart(t), readmeBlock(t, quickStartS3Marker)
	if !strings.Contains(s3block, "http://127.0.0.1:9000") {
		t.Fatal("the S3 quick start no longer names the gateway's endpoint http://127.0.0.1:9000")
	}
	b := startGateway(t)
	script := strings.ReplaceAll(first+s3block, "http://127.0.0.1:8787", b.URL)
	script = strings.ReplaceAll(script, "http://127.0.0.1:9000", b.S3URL)
	for pastes := 1; pastes <= 2; pastes++ {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", strings.Repeat(script, pastes))
		cmd.Dir = b.Dir
		cmd.Env = append(cleanEnv(), "HOME="+b.Dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("S3 quick start, %d pastes: %v\n%s", pastes, err, out)
		}
		for want, n := range map[string]int{
			"hello from the gateway": 1, // read back by the role's session
			"AccessDenied":           2, // sts-user's listing, the role's write
		} {
			if got := strings.Count(string(out), want); got != n*pastes {
				t.Errorf("S3 quick start, %d pastes: %q %d times, want %d:\n%s", pastes, want, got, n*pastes, out)
			}
		}
		if !strings.Contains(string(out), " hello.txt") {
			t.Errorf("S3 quick start, %d pastes: the role's listing lacks hello.txt:\n%s", pastes, out)
		}
	}
	if ok, _, _ := inBackend(t, "walkthrough", "copy.txt"); ok {
		t.Error("the role's denied write reached the store")
	}
}
