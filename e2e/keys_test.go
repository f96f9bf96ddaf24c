package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// brevetCmd runs a brevet subcommand against b's data directory.
func (b *brevet) brevetCmd(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(brevetBin, append(args, "--data-dir", b.DataDir)...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("brevet %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// tokenKeyID is the id of the token key that sealed a session token (it
// travels in clear in the token's header).
func tokenKeyID(t *testing.T, token string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) < 2 || len(raw) < 2+int(raw[1]) {
		t.Fatalf("session token does not decode: %v", err)
	}
	return string(raw[2 : 2+int(raw[1])])
}

// Rotating the session-token key while the server runs: new sessions are
// sealed by the new key at once, sessions issued before stay valid.
func TestRotateTokenKeyWhileServing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := startBrevet(t)
	sc := sts.NewFromConfig(b.goAdmin(t))
	before, err := sc.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	out := b.brevetCmd(t, "keys", "rotate-token-key")
	newID := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(out), "new session-token key:"))
	if newID == "" || newID == tokenKeyID(t, aws.ToString(before.Credentials.SessionToken)) {
		t.Fatalf("rotate-token-key: %q", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		after, err := sc.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		if tokenKeyID(t, aws.ToString(after.Credentials.SessionToken)) == newID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server still seals with the old token key 10s after rotation")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := sts.NewFromConfig(fromSTS(b, before.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("a session issued before the rotation: %v", err)
	}
}

// Rotating the master key with the server stopped re-encrypts everything:
// after a restart the admin key still works and the key file holds only
// the new key.
func TestRotateMasterKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := startBrevet(t)
	keyFile := filepath.Join(b.DataDir, "master.key")
	var before struct{ Keys []struct{ ID string } }
	data, _ := os.ReadFile(keyFile)
	if err := json.Unmarshal(data, &before); err != nil || len(before.Keys) != 1 {
		t.Fatalf("master.key: %v %s", err, data)
	}
	b.stop(t)
	out := b.brevetCmd(t, "keys", "rotate-master-key")
	if !strings.Contains(out, "re-encrypted 1 access keys") {
		t.Errorf("rotate-master-key: %s", out)
	}
	var after struct{ Keys []struct{ ID string } }
	data, _ = os.ReadFile(keyFile)
	if err := json.Unmarshal(data, &after); err != nil || len(after.Keys) != 1 || after.Keys[0].ID == before.Keys[0].ID {
		t.Fatalf("master.key after rotation: %v %s", err, data)
	}
	b2 := startBrevetIn(t, b.Dir)
	if _, err := sts.NewFromConfig(b2.goAdmin(t)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("admin after master key rotation: %v", err)
	}
}
