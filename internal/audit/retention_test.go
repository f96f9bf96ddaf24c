package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
)

// trailFiles lists the event files of dir, oldest first.
func trailFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "trail-*"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// rotatedTrail writes n events in files of about three events each,
// signs a digest, and waits until every rotated file is compressed.
func rotatedTrail(t *testing.T, dir string, mod func(*audit.Options)) *audit.Auditor {
	t.Helper()
	a := openTest(t, dir, func(o *audit.Options) {
		o.MaxFileBytes = 2000
		if mod != nil {
			mod(o)
		}
	})
	fill(t, a, 20)
	if err := a.Trail().WriteDigest(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		plain := 0
		for _, f := range trailFiles(t, dir) {
			if strings.HasSuffix(f, ".jsonl") {
				plain++
			}
		}
		if plain == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rotated files not compressed: %v", trailFiles(t, dir))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return a
}

// TestRetentionPrunesBySize: over the size bound, the oldest rotated
// files are deleted, but only past what the issuance index has read; the
// pruning is an event in the trail; verify starts at the first kept event
// and says so; the active file is kept.
func TestRetentionPrunesBySize(t *testing.T) {
	dir := t.TempDir()
	var indexed atomic.Uint64
	a := rotatedTrail(t, dir, func(o *audit.Options) {
		o.Retention = audit.RetentionConfig{MaxBytes: 1, Delete: true, Interval: time.Hour}
		o.Followed = func(context.Context) (uint64, error) { return indexed.Load(), nil }
	})
	defer a.Close()
	before := trailFiles(t, dir)
	if len(before) < 4 {
		t.Fatalf("want several rotated files, got %v", before)
	}
	ctx := context.Background()

	// The index has read nothing: nothing may go.
	res, err := a.Prune(ctx)
	if err != nil || len(res.Files) != 0 || res.WaitedOn == "" {
		t.Fatalf("Prune with the index at 0 = %+v, %v; want nothing pruned, waiting on the index", res, err)
	}

	indexed.Store(20)
	if res, err = a.Prune(ctx); err != nil {
		t.Fatalf("Prune: %v", err)
	}
	// The pruning event may itself rotate the active file.
	after := trailFiles(t, dir)
	active := before[len(before)-1]
	if len(res.Files) != len(before)-1 || strings.TrimSuffix(after[0], ".gz") != active {
		t.Fatalf("pruned %d files, kept %v; want all %d rotated files pruned and the active %s kept", len(res.Files), after, len(before)-1, active)
	}
	if got := a.Stats().Pruned; got != uint64(len(before)-1) {
		t.Errorf("Stats().Pruned = %d; want %d", got, len(before)-1)
	}
	if err := a.Trail().WriteDigest(); err != nil {
		t.Fatal(err)
	}
	evs := events(t, dir)
	last := evs[len(evs)-1]
	if last.EventName != audit.TrailFilesPrunedEvent || last.AdditionalEventData.TrailPruned.Action != "deleted" ||
		last.AdditionalEventData.TrailPruned.LastSeq != res.LastSeq || last.AdditionalEventData.TrailPruned.Reason != "maxBytes" {
		t.Errorf("last event = %s %+v; want the pruning record through seq %d", last.EventName, last.AdditionalEventData, res.LastSeq)
	}
	rep := verify(t, dir)
	if rep.PrunedThrough != res.LastSeq || rep.FirstSeq != res.LastSeq+1 || !strings.Contains(rep.PrunedBy, after[0]) {
		t.Errorf("Verify = %+v; want it to start at seq %d, pruned through %d by the event in %s", rep, res.LastSeq+1, res.LastSeq, after[0])
	}
}

// TestPrunedTrailStillCatchesDeletion: a trail whose first files were
// removed without a pruning event, or beyond what one recorded, fails.
func TestPrunedTrailStillCatchesDeletion(t *testing.T) {
	for _, tt := range []struct {
		name  string
		prune bool
	}{{"no pruning event", false}, {"more removed than pruned", true}} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := rotatedTrail(t, dir, func(o *audit.Options) {
				o.Retention = audit.RetentionConfig{MaxBytes: 1, Delete: true, Interval: time.Hour}
				o.Followed = func(context.Context) (uint64, error) { return 3, nil } // only the first file may go
			})
			if tt.prune {
				if res, err := a.Prune(context.Background()); err != nil || len(res.Files) != 1 {
					t.Fatalf("Prune = %+v, %v; want one file", res, err)
				}
			}
			a.Close()
			if err := os.Remove(filepath.Join(dir, trailFiles(t, dir)[0])); err != nil {
				t.Fatal(err)
			}
			_, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()})
			var inc *audit.Inconsistency
			if !errors.As(err, &inc) || inc.Kind != audit.Deleted {
				t.Errorf("Verify = %v; want a deleted-events inconsistency", err)
			}
		})
	}
}

// TestRetentionArchivesByAge: files older than MaxAge move to the archive
// directory, intact (their SHA-256 is in the pruning event).
func TestRetentionArchivesByAge(t *testing.T) {
	dir, archive := t.TempDir(), filepath.Join(t.TempDir(), "archive")
	var now atomic.Pointer[time.Time]
	start := time.Now()
	now.Store(&start)
	a := rotatedTrail(t, dir, func(o *audit.Options) {
		o.Now = func() time.Time { return *now.Load() }
		o.Retention = audit.RetentionConfig{MaxAge: 24 * time.Hour, ArchiveDir: archive, Interval: time.Hour}
	})
	defer a.Close()
	ctx := context.Background()
	if res, err := a.Prune(ctx); err != nil || len(res.Files) != 0 {
		t.Fatalf("Prune of fresh files = %+v, %v; want nothing", res, err)
	}
	later := start.Add(25 * time.Hour)
	now.Store(&later)
	res, err := a.Prune(ctx)
	if err != nil || len(res.Files) == 0 {
		t.Fatalf("Prune = %+v, %v; want the old files archived", res, err)
	}
	for _, f := range res.Files {
		data, err := os.ReadFile(filepath.Join(archive, f.Name))
		if err != nil {
			t.Fatalf("archived file: %v", err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s: archived bytes do not match the recorded SHA-256", f.Name)
		}
		if _, err := os.Stat(filepath.Join(dir, f.Name)); !os.IsNotExist(err) {
			t.Errorf("%s is still in the trail directory", f.Name)
		}
	}
	if err := a.Trail().WriteDigest(); err != nil {
		t.Fatal(err)
	}
	verify(t, dir)
}

// TestRetentionOffByDefault: without an action nothing is pruned, however
// old or large.
func TestRetentionOffByDefault(t *testing.T) {
	dir := t.TempDir()
	a := rotatedTrail(t, dir, func(o *audit.Options) { o.Retention = audit.RetentionConfig{MaxBytes: 1} })
	defer a.Close()
	before := trailFiles(t, dir)
	if res, err := a.Prune(context.Background()); err != nil || len(res.Files) != 0 {
		t.Fatalf("Prune = %+v, %v; want nothing", res, err)
	}
	if got := trailFiles(t, dir); len(got) != len(before) {
		t.Errorf("files %v; want %v", got, before)
	}
}
