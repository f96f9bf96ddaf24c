package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/audit"
)

const firstFile = "trail-00000000000000000001.jsonl"

// tamperable builds a closed trail of 10 events covered by one digest.
func tamperable(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	a := openTest(t, dir, nil)
	fill(t, a, 10)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(b, []byte("\n"))[:bytes.Count(b, []byte("\n"))]
}

func writeLines(t *testing.T, path string, lines [][]byte) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}

// rechain rewrites every record from index from on with hashes
// recomputed, as an attacker without the signing key could.
func rechain(t *testing.T, lines [][]byte, from int) {
	t.Helper()
	var prev [32]byte
	for i, l := range lines {
		var rec audit.Record
		err := audit.ReadRecords(bytes.NewReader(l), func(r audit.Record, _ int64) error { rec = r; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if i >= from {
			rec.PrevHash = prev
			rec.Hash = audit.ChainHash(prev, rec.Seq, rec.Event)
			lines[i] = rec.AppendLine(nil)
		}
		prev = rec.Hash
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name      string
		tamper    func(t *testing.T, dir string)
		wantKind  audit.Kind
		wantWhere string
		wantSeq   uint64
	}{
		{"intact", func(*testing.T, string) {}, "", "", 0},
		{"edited event", func(t *testing.T, dir string) {
			p := filepath.Join(dir, firstFile)
			l := readLines(t, p)
			l[2] = bytes.Replace(l[2], []byte("192.0.2.10"), []byte("192.0.2.66"), 1)
			writeLines(t, p, l)
		}, audit.Edited, firstFile + ":3", 3},
		{"edited event, chain recomputed", func(t *testing.T, dir string) {
			p := filepath.Join(dir, firstFile)
			l := readLines(t, p)
			l[2] = bytes.Replace(l[2], []byte("192.0.2.10"), []byte("192.0.2.66"), 1)
			rechain(t, l, 2)
			writeLines(t, p, l)
		}, audit.DigestHead, firstFile + ":10", 10},
		{"edited event, own hash recomputed", func(t *testing.T, dir string) {
			p := filepath.Join(dir, firstFile)
			l := readLines(t, p)
			l[2] = bytes.Replace(l[2], []byte("192.0.2.10"), []byte("192.0.2.66"), 1)
			rechain(t, l[:3], 2)
			writeLines(t, p, l)
		}, audit.BrokenLink, firstFile + ":4", 4},
		{"deleted event", func(t *testing.T, dir string) {
			p := filepath.Join(dir, firstFile)
			l := readLines(t, p)
			writeLines(t, p, append(l[:4:4], l[5:]...))
		}, audit.Deleted, firstFile + ":5", 6},
		{"deleted first event", func(t *testing.T, dir string) {
			p := filepath.Join(dir, firstFile)
			writeLines(t, p, readLines(t, p)[1:])
		}, audit.Deleted, firstFile + ":1", 2},
		{"inserted event", func(t *testing.T, dir string) {
			p := filepath.Join(dir, firstFile)
			l := readLines(t, p)
			out := append([][]byte{}, l[:4]...)
			out = append(out, l[3])
			writeLines(t, p, append(out, l[4:]...))
		}, audit.Inserted, firstFile + ":5", 4},
		{"reordered events", func(t *testing.T, dir string) {
			p := filepath.Join(dir, firstFile)
			l := readLines(t, p)
			l[3], l[4] = l[4], l[3]
			writeLines(t, p, l)
		}, audit.Reordered, firstFile + ":4", 5},
		{"truncated events", func(t *testing.T, dir string) {
			p := filepath.Join(dir, firstFile)
			writeLines(t, p, readLines(t, p)[:7])
		}, audit.Truncated, audit.DigestFile + ":1", 10},
		{"truncated mid-record", func(t *testing.T, dir string) {
			p := filepath.Join(dir, firstFile)
			b, _ := os.ReadFile(p)
			if err := os.WriteFile(p, b[:len(b)-40], 0o600); err != nil {
				t.Fatal(err)
			}
		}, audit.Truncated, audit.DigestFile + ":1", 10},
		{"tampered digest", func(t *testing.T, dir string) {
			p := filepath.Join(dir, audit.DigestFile)
			l := readLines(t, p)
			l[0] = bytes.Replace(l[0], []byte(`"lastSeq":10`), []byte(`"lastSeq":9`), 1)
			writeLines(t, p, l)
		}, audit.DigestSignature, audit.DigestFile + ":1", 0},
		{"deleted digest", func(t *testing.T, dir string) {
			a := openTest(t, dir, nil)
			fill(t, a, 2)
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, audit.DigestFile)
			writeLines(t, p, readLines(t, p)[1:])
		}, audit.DigestChain, audit.DigestFile + ":1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tamperable(t)
			tt.tamper(t, dir)
			_, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()})
			if tt.wantKind == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			var inc *audit.Inconsistency
			if !errors.As(err, &inc) {
				t.Fatalf("Verify = %v, want an *Inconsistency", err)
			}
			if inc.Kind != tt.wantKind || inc.Where != tt.wantWhere || inc.Seq != tt.wantSeq {
				t.Errorf("Verify = %v\nwant kind %s at %s seq %d", err, tt.wantKind, tt.wantWhere, tt.wantSeq)
			}
		})
	}
}

func TestVerifyWrongKey(t *testing.T) {
	dir := tamperable(t)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)).Public().(ed25519.PublicKey)
	_, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: other})
	var inc *audit.Inconsistency
	if !errors.As(err, &inc) || inc.Kind != audit.DigestKey {
		t.Fatalf("Verify with another key = %v, want %s", err, audit.DigestKey)
	}
}

func TestRotationCompressesAndVerifies(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, func(o *audit.Options) { o.MaxFileBytes = 4096 })
	fill(t, a, 60)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var gz, plain int
	for _, e := range ents {
		switch {
		case strings.HasSuffix(e.Name(), ".jsonl.gz"):
			gz++
		case strings.HasPrefix(e.Name(), "trail-"):
			plain++
		}
	}
	if gz < 2 || plain != 1 {
		t.Fatalf("files: %d compressed, %d plain; want ≥ 2 compressed and 1 active", gz, plain)
	}
	rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()})
	if err != nil || rep.Events != 60 {
		t.Fatalf("Verify = %+v, %v; want 60 events", rep, err)
	}
	// Reopen continues the chain in a new file after the compressed ones.
	a = openTest(t, dir, func(o *audit.Options) { o.MaxFileBytes = 4096 })
	fill(t, a, 3)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()}); err != nil || rep.Events != 63 {
		t.Fatalf("Verify after reopen = %+v, %v; want 63 events", rep, err)
	}
	// Removing a whole rotated file is caught.
	files, _ := filepath.Glob(filepath.Join(dir, "trail-*.jsonl.gz"))
	if err := os.Remove(files[1]); err != nil {
		t.Fatal(err)
	}
	_, err = audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()})
	var inc *audit.Inconsistency
	if !errors.As(err, &inc) || inc.Kind != audit.Deleted {
		t.Fatalf("Verify without %s = %v, want %s", filepath.Base(files[1]), err, audit.Deleted)
	}
}

func TestVerifyToleratesAnAppendInProgress(t *testing.T) {
	dir := tamperable(t)
	a := openTest(t, dir, nil)
	fill(t, a, 2)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, audit.DigestFile)
	writeLines(t, p, readLines(t, p)[:1]) // as if the last digest were not yet written
	f, err := os.OpenFile(filepath.Join(dir, firstFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"seq":13,"prevHash":"ab`)
	f.Close()
	rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !rep.TornTail || rep.Uncovered != 2 || rep.LastSeq != 12 {
		t.Errorf("report = %+v, want a torn tail after seq 12 and 2 uncovered events", rep)
	}
}
