package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
)

const crashEnv = "BREVET_AUDIT_CRASH_CHILD_DIR"

// TestCrashChild is the child half of TestCrashKeepsAcknowledgedEvents: it
// appends under concurrent load and prints "ack SEQ" for every event the
// trail acknowledged, until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("child process of TestCrashKeepsAcknowledgedEvents")
	}
	a, err := audit.Open(audit.Options{Dir: dir, Signer: testKey(), DigestInterval: 20 * time.Millisecond, MaxFileBytes: 256 << 10})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	out := os.Stdout
	for w := 0; w < 32; w++ {
		go func() {
			for i := 0; ; i++ {
				rec := record(i, userPrincipal(), "GetCallerIdentity")
				rec.RequestID = fmt.Sprintf("w%d-%d", w, i)
				if err := a.Audit(context.Background(), rec); err != nil {
					continue
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %s\n", rec.RequestID)
				mu.Unlock()
			}
		}()
	}
	select {} // until SIGKILL
}

func TestCrashKeepsAcknowledgedEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "ack "); ok {
			acked[id] = true
		} else if !killed {
			t.Logf("child: %s", line)
		}
		if len(acked) == 3000 && !killed {
			// Kill mid-load; acknowledgements already in the pipe are
			// still read below.
			_ = cmd.Process.Signal(syscall.SIGKILL)
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child exited on its own after %d acknowledgements", len(acked))
	}

	// Simulate the torn final record a power cut can leave.
	files, _ := filepath.Glob(filepath.Join(dir, "trail-*.jsonl"))
	active := files[len(files)-1]
	f, err := os.OpenFile(active, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"seq":999999999,"prevHash":"00`)
	f.Close()

	var logBuf bytes.Buffer
	a, err := audit.Open(audit.Options{Dir: dir, Signer: testKey(), DigestInterval: -1,
		Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	if !strings.Contains(logBuf.String(), "repaired a torn final record") {
		t.Errorf("reopen did not report the repair; log:\n%s", logBuf.String())
	}
	if err := a.Close(); err != nil { // signs the tail
		t.Fatal(err)
	}
	rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()})
	if err != nil {
		t.Fatalf("Verify after crash: %v", err)
	}
	present := map[string]bool{}
	err = audit.WalkEvents(dir, func(_ uint64, e *audit.Event) error {
		present[e.RequestID] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for id := range acked {
		if !present[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged events are missing after the crash", missing, len(acked))
	}
	t.Logf("acknowledged %d, trail holds %d events (seq %d..%d), %d digests", len(acked), rep.Events, rep.FirstSeq, rep.LastSeq, rep.Digests)
}
