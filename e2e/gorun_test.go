package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/datadir"
)

// TestGoRunServeStopsOnSIGTERM: `go run ./cmd/brevet serve` (the README's
// command) stops the server when the go command gets SIGTERM. The go
// command dies of SIGTERM without passing it on; the server notices its
// parent is gone and shuts down as it would on SIGTERM, releasing its data
// directory. It reuses the build cache TestMain filled with `go build`,
// so `go run` only links.
func TestGoRunServeStopsOnSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	dataDir, ready := t.TempDir(), filepath.Join(t.TempDir(), "ready")
	logFile := filepath.Join(t.TempDir(), "log")
	logs, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	cmd := exec.Command("go", "run", "./cmd/brevet", "serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--ready-file", ready)
	cmd.Dir = ".."
	for _, kv := range os.Environ() { // HOME stays: it locates the build cache
		if !strings.HasPrefix(kv, "BREVET_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killLockHolder(t, dataDir) })
	deadline := time.Now().Add(90 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			b, _ := os.ReadFile(logFile)
			t.Fatalf("go run: not ready after 90s\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() // the go command exits at once, of the signal
	deadline = time.Now().Add(10 * time.Second)
	for {
		l, err := datadir.Acquire(dataDir, "test")
		if err == nil {
			l.Release()
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logFile)
			t.Fatalf("the server still holds %s 10s after the go command got SIGTERM: %v\n%s", dataDir, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(logFile)
	if !strings.Contains(string(b), `"msg":"stopped"`) {
		t.Errorf("the server's log shows no clean stop:\n%s", b)
	}
}

// killLockHolder kills a server left running on dataDir (the pid is in
// its lock file), so that a failing test leaves nothing behind.
func killLockHolder(t *testing.T, dataDir string) {
	b, err := os.ReadFile(filepath.Join(dataDir, datadir.LockFile))
	if err != nil {
		return
	}
	_, pid, ok := strings.Cut(strings.TrimSpace(string(b)), ", pid ")
	n, err := strconv.Atoi(pid)
	if !ok || err != nil {
		return
	}
	if l, err := datadir.Acquire(dataDir, "test"); err == nil {
		l.Release()
		return
	}
	if p, err := os.FindProcess(n); err == nil {
		t.Logf("killing the server left running (pid %d)", n)
		p.Kill()
	}
}
