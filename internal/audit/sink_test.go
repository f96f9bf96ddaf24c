package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
)

// brokenWriter is a standard output whose reader went away.
type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestStdoutMirror(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	a := openTest(t, dir, func(o *audit.Options) { o.Stdout = &out })
	fill(t, a, 3)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("stdout has %d lines, want 3:\n%s", len(lines), out.String())
	}
	var e audit.Event
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil || e.EventVersion != audit.EventVersion || e.EventName != "GetCallerIdentity" {
		t.Errorf("first stdout line = %s (%v), want a CloudTrail event", lines[0], err)
	}

	// A failing mirror does not fail requests: the file trail decides.
	dir = t.TempDir()
	a = openTest(t, dir, func(o *audit.Options) { o.Stdout = brokenWriter{} })
	fill(t, a, 2)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()}); err != nil || rep.Events != 2 {
		t.Errorf("Verify = %+v, %v; want 2 events", rep, err)
	}
}

func TestDigestTicker(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, func(o *audit.Options) { o.DigestInterval = 10 * time.Millisecond })
	fill(t, a, 2)
	// The ticker may sign between the two events: wait for a digest that
	// covers both.
	deadline := time.Now().Add(5 * time.Second)
	signed := 0
	for {
		ds, err := audit.ReadDigestFile(dir)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(ds); n > 0 {
			if d, err := ds[n-1].Decode(); err == nil && d.LastSeq == 2 {
				signed = n
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no digest of both events signed by the ticker")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	ds, _ := audit.ReadDigestFile(dir)
	if len(ds) != signed {
		t.Errorf("%d digests after Close, want %d: Close signs nothing when nothing is new", len(ds), signed)
	}
}

func TestSigningKeyFile(t *testing.T) {
	dir := t.TempDir()
	a, err := audit.Open(audit.Options{Dir: dir, DigestInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	pub := a.PublicKey()
	a.Close()
	path := filepath.Join(dir, audit.KeyFile)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	s, err := audit.LoadOrCreateKey(path)
	if err != nil || !s.Public().Equal(pub) {
		t.Fatalf("reloaded key differs (%v)", err)
	}
	pemBytes, _ := audit.MarshalPublicKey(pub)
	if got, err := audit.ParsePublicKey(pemBytes); err != nil || !got.Equal(pub) {
		t.Errorf("public key PEM round trip: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.LoadOrCreateKey(path); err == nil {
		t.Error("a signing key readable by others was accepted")
	}
}

func TestVerifyFrom(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, func(o *audit.Options) { o.MaxFileBytes = 4096 })
	for i := 0; i < 40; i++ {
		if err := a.Audit(t.Context(), record(i, userPrincipal(), "GetCallerIdentity")); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "trail-*.jsonl.gz"))
	if err := os.Remove(files[0]); err != nil { // archived away
		t.Fatal(err)
	}
	pub := testKey().Public()
	var inc *audit.Inconsistency
	if _, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: pub}); !errors.As(err, &inc) || inc.Kind != audit.Deleted {
		t.Errorf("Verify of the whole trail = %v, want %s", err, audit.Deleted)
	}
	rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: pub, From: t0.Add(35 * time.Second)})
	if err != nil {
		t.Fatalf("Verify --from: %v", err)
	}
	if rep.LastSeq != 40 || rep.FirstSeq <= 1 {
		t.Errorf("Verify --from report = %+v, want a later anchor and seq up to 40", rep)
	}
}

func TestRotationByAge(t *testing.T) {
	dir := t.TempDir()
	var now atomic.Int64
	now.Store(t0.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	a := openTest(t, dir, func(o *audit.Options) { o.MaxFileAge = time.Hour; o.Now = clock })
	fill(t, a, 2)
	now.Add(int64(2 * time.Hour))
	fill(t, a, 1) // written to the old file, which then rotates
	fill(t, a, 1)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "trail-*"))
	want := []string{"trail-00000000000000000001.jsonl.gz", "trail-00000000000000000004.jsonl"}
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files = %v, want %v", got, want)
	}
	if _, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()}); err != nil {
		t.Error(err)
	}
}
