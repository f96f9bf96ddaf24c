package x509test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// SigningHelperModule is AWS's IAM Roles Anywhere client, the real
// SigV4-X509 signer that tests run against Brevet.
const (
	SigningHelperModule  = "github.com/aws/rolesanywhere-credential-helper"
	SigningHelperVersion = "v1.4.0"
)

var helperBuild struct {
	sync.Mutex
	path string
}

// SigningHelper returns the path of AWS's aws_signing_helper binary
// (SigningHelperModule at SigningHelperVersion), built from the Go
// module cache into the user cache directory once and reused. When the
// module cannot be downloaded or built it skips the test, or fails it
// when CI=true, where it must run.
func SigningHelper(tb testing.TB) string {
	tb.Helper()
	helperBuild.Lock()
	defer helperBuild.Unlock()
	if helperBuild.path != "" {
		return helperBuild.path
	}
	unavailable := func(format string, args ...any) {
		tb.Helper()
		if os.Getenv("CI") == "true" {
			tb.Fatalf("aws_signing_helper: "+format, args...)
		}
		tb.Skipf("aws_signing_helper unavailable (set CI=true to fail instead): "+format, args...)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "brevet-test", "aws_signing_helper-"+SigningHelperVersion)
	bin := filepath.Join(dir, "aws_signing_helper")
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		helperBuild.path = bin
		return bin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", SigningHelperModule+"@"+SigningHelperVersion)
	cmd.Dir = os.TempDir() // outside any module
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		unavailable("go mod download: %v", err)
		return ""
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		unavailable("go mod download: %s %v", mod.Error, err)
		return ""
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		unavailable("%v", err)
		return ""
	}
	tmp := filepath.Join(dir, "aws_signing_helper.tmp"+time.Now().Format("150405.000000000"))
	cmd = exec.CommandContext(ctx, "go", "build", "-o", tmp, ".")
	cmd.Dir = mod.Dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		unavailable("go build: %v\n%s", err, out)
		return ""
	}
	if err := os.Rename(tmp, bin); err != nil {
		unavailable("%v", err)
		return ""
	}
	helperBuild.path = bin
	return bin
}
