package audit_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
)

// faultyFile wraps the real trail file and fails on demand, as a full
// disk or failing device would: a failing write may still have written
// part of its data.
type faultyFile struct {
	*os.File
	faults *faults
}

type faults struct {
	write atomic.Bool // writes store half their bytes, then fail with ENOSPC
	sync  atomic.Bool // fsync fails with EIO
}

func (f *faultyFile) Write(p []byte) (int, error) {
	if f.faults.write.Load() {
		n, _ := f.File.Write(p[:len(p)/2])
		return n, syscall.ENOSPC
	}
	return f.File.Write(p)
}

func (f *faultyFile) Sync() error {
	if f.faults.sync.Load() {
		return syscall.EIO
	}
	return f.File.Sync()
}

func (f *faultyFile) Truncate(size int64) error {
	if f.faults.write.Load() {
		return syscall.ENOSPC // still failing: recovery must wait
	}
	return f.File.Truncate(size)
}

func (fs *faults) open(name string, flag int, perm os.FileMode) (audit.File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: f, faults: fs}, nil
}

func TestFailsClosedAndRecovers(t *testing.T) {
	for _, kind := range []string{"write", "fsync"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			fs := &faults{}
			a := openTest(t, dir, func(o *audit.Options) { o.OpenFile = fs.open })
			fill(t, a, 3)
			flag := &fs.write
			if kind == "fsync" {
				flag = &fs.sync
			}
			flag.Store(true)

			err := a.Audit(context.Background(), record(100, userPrincipal(), "GetCallerIdentity"))
			if err == nil {
				t.Fatal("Audit succeeded on a failing disk; want an error (fail closed)")
			}
			if a.Ready() == nil {
				t.Error("Ready() = nil while the disk fails")
			}
			var ue *audit.UnavailableError
			if err := a.Audit(context.Background(), record(101, userPrincipal(), "GetCallerIdentity")); !errors.As(err, &ue) {
				t.Errorf("second Audit = %v, want *UnavailableError", err)
			}
			time.Sleep(50 * time.Millisecond) // a few failed repair attempts
			if a.Ready() == nil {
				t.Error("Ready() = nil while the disk still fails")
			}

			flag.Store(false)
			waitReady(t, a)
			fill(t, a, 2)
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()})
			if err != nil {
				t.Fatalf("Verify after recovery: %v", err)
			}
			if rep.Events != 5 {
				t.Errorf("events = %d, want 5 (the failed ones were never acknowledged)", rep.Events)
			}
			b, _ := os.ReadFile(dir + "/" + firstFile)
			if strings.Contains(string(b), "req-0100") {
				t.Error("the failed event is in the trail")
			}
		})
	}
}

func waitReady(t *testing.T, a *audit.Auditor) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for a.Ready() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("trail did not recover: %v", a.Ready())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
