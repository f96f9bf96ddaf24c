package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

const identityPoolsGuestMarker = "<!-- identity-pools-guest: e2e/identitypool_docs_test.go runs this block with bash -->"

// TestIdentityPoolsDocs: docs/identity-pools.md's guest walkthrough,
// pasted into bash beside a fresh server (as `go run ./cmd/brevet serve`
// runs it, on loopback), makes a pool and a guest role, gets a guest
// identity and its credentials unsigned, and those credentials are the
// guest role's session.
func TestIdentityPoolsDocs(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	block := docBlock(t, "../docs/identity-pools.md", identityPoolsGuestMarker)
	b := startBrevet(t)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", strings.ReplaceAll(block, "http://127.0.0.1:8787", b.URL))
	cmd.Dir = b.Dir
	cmd.Env = append(cleanEnv(), "HOME="+b.Dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docs/identity-pools.md's guest block: %v\n%s", err, out)
	}
	want := "arn:aws:sts::" + b.Account + ":assumed-role/docs_guest/CognitoIdentityCredentials"
	if !strings.Contains(string(out), want) {
		t.Errorf("the guest's caller identity: want %s in\n%s", want, out)
	}
}
