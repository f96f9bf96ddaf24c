package audit_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
)

// gatedFile is an event file whose fsync, once armed, waits for release.
type gatedFile struct {
	*os.File
	g *gate
}

type gate struct {
	mu      sync.Mutex
	armed   bool
	entered chan struct{}
	release chan struct{}
}

func (f *gatedFile) Sync() error {
	f.g.mu.Lock()
	armed := f.g.armed
	f.g.armed = false
	f.g.mu.Unlock()
	if armed {
		close(f.g.entered)
		<-f.g.release
	}
	return f.File.Sync()
}

func (g *gate) open(name string, flag int, perm os.FileMode) (audit.File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, ".jsonl") {
		return f, err
	}
	return &gatedFile{File: f, g: g}, nil
}

// TestAuditBufferNotReusedWhileCommitting: a request whose context ends
// while its event is being committed returns at once, but the writer
// still holds the event's bytes, and the stdout mirror reads them only
// after the file's fsync. The encoding buffer must not go back to the
// pool then, or the next request would overwrite the event the mirror
// writes.
func TestAuditBufferNotReusedWhileCommitting(t *testing.T) {
	g := &gate{armed: true, entered: make(chan struct{}), release: make(chan struct{})}
	var stdout bytes.Buffer
	dir := t.TempDir()
	a := openTest(t, dir, func(o *audit.Options) { o.OpenFile = g.open; o.Stdout = &stdout })

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	second := make(chan error, 1)
	go func() { // one goroutine, so that the second Audit would find the buffer the first put back
		first <- a.Audit(ctx, record(1, userPrincipal(), "GetCallerIdentity"))
		rec := assumeRoleRecord(2, "ASIAEXAMPLEISSUED002")
		rec.UserAgent = strings.Repeat("x", 200)
		second <- a.Audit(context.Background(), rec)
	}()
	<-g.entered // the first event is in the fsync
	cancel()
	if err := <-first; err == nil {
		t.Fatal("Audit returned nil after its context ended")
	}
	time.Sleep(50 * time.Millisecond) // let the second event be encoded
	close(g.release)
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	var stored [][]byte
	if err := audit.WalkRecords(dir, func(r audit.Record, _ audit.Position) error {
		stored = append(stored, r.Event)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	mirrored := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(stored) != 2 || len(mirrored) != 2 {
		t.Fatalf("%d events stored, %d mirrored, want 2 and 2", len(stored), len(mirrored))
	}
	for i := range stored {
		if got, want := mirrored[i], string(stored[i]); got != want {
			t.Errorf("event %d mirrored as\n%s\nstored as\n%s", i+1, got, want)
		}
	}
}
