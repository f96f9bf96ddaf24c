package node

import (
	"crypto/ed25519"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
)

// failingDisk wraps the trail's files; while full is set, writes store
// half their bytes and fail with ENOSPC, as on a full disk.
type failingDisk struct{ full atomic.Bool }

type diskFile struct {
	*os.File
	d *failingDisk
}

func (f *diskFile) Write(p []byte) (int, error) {
	if f.d.full.Load() {
		n, _ := f.File.Write(p[:len(p)/2])
		return n, syscall.ENOSPC
	}
	return f.File.Write(p)
}

func (f *diskFile) Truncate(size int64) error {
	if f.d.full.Load() {
		return syscall.ENOSPC
	}
	return f.File.Truncate(size)
}

func (d *failingDisk) open(name string, flag int, perm os.FileMode) (audit.File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &diskFile{File: f, d: d}, nil
}

// TestFailsClosedWhenTheTrailCannotBeWritten: with the audit disk full,
// the real server (all of a node's wiring, in process) answers
// ServiceUnavailable and /readyz turns 503; when the disk recovers, so
// does the server, and the trail verifies with no event of the refused
// requests.
func TestFailsClosedWhenTheTrailCannotBeWritten(t *testing.T) {
	disk := &failingDisk{}
	dataDir := filepath.Join(t.TempDir(), "data")
	n, stop := startNode(t, dataDir, Options{AuditOpenFile: disk.open})
	base := n.URL()
	creds := adminCreds(t, dataDir)
	const gci = "Action=GetCallerIdentity&Version=2011-06-15"
	if code, body := signedPost(t, base, creds, gci); code != 200 {
		t.Fatalf("before the fault: %d %s", code, body)
	}

	disk.full.Store(true)
	code, body := signedPost(t, base, creds, gci)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "<Code>ServiceUnavailable</Code>") {
		t.Errorf("with the audit disk full: %d %s; want 503 ServiceUnavailable", code, body)
	}
	if got := readyz(t, base); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the audit disk full: %d, want 503", got)
	}
	if code, _ := signedPost(t, base, creds, gci); code != http.StatusServiceUnavailable {
		t.Errorf("second request with the disk full: %d, want 503", code)
	}

	disk.full.Store(false)
	deadline := time.Now().Add(15 * time.Second)
	for readyz(t, base) != 200 {
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not recover after the disk did")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, body := signedPost(t, base, creds, gci); code != 200 {
		t.Errorf("after recovery: %d %s", code, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(dataDir, "audit")
	signer, err := audit.LoadOrCreateKey(filepath.Join(dir, audit.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: ed25519.PublicKey(signer.Public())})
	if err != nil {
		t.Fatalf("verify after recovery: %v", err)
	}
	var events int
	if err := audit.WalkEvents(dir, func(_ uint64, e *audit.Event) error {
		if e.EventName == "GetCallerIdentity" {
			events++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if events != 2 || rep.Uncovered != 0 {
		t.Errorf("GetCallerIdentity events = %d (want 2: the refused ones were never acknowledged); report %+v", events, rep)
	}
}
