package logbuf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe to read while the Writer's flusher
// writes to it, counting the writes it receives.
type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *lockedBuffer) snapshot() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.writes
}

func TestWriterBatchesUntilFlush(t *testing.T) {
	var out lockedBuffer
	w := New(&out, time.Hour, 0)
	defer w.Close()
	for i := range 100 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if got, n := out.snapshot(); got != "" || n != 0 {
		t.Fatalf("before Flush: %d writes, %q; want nothing written yet", n, got)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, n := out.snapshot()
	if n != 1 {
		t.Errorf("Flush made %d writes; want 1", n)
	}
	if lines := strings.Count(got, "\n"); lines != 100 || !strings.HasPrefix(got, "line 0\n") || !strings.HasSuffix(got, "line 99\n") {
		t.Errorf("flushed %d lines: %.40q…; want lines 0 to 99 in order", lines, got)
	}
}

func TestWriterFlushesOnInterval(t *testing.T) {
	var out lockedBuffer
	w := New(&out, 5*time.Millisecond, 0)
	defer w.Close()
	w.Write([]byte("hello\n"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _ := out.snapshot(); got == "hello\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the line was not flushed by the interval within 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWriterFlushesWhenFull(t *testing.T) {
	var out lockedBuffer
	w := New(&out, time.Hour, 16)
	defer w.Close()
	w.Write([]byte("0123456789\n")) // 11 bytes: kept
	w.Write([]byte("abcdefghij\n")) // would exceed 16: the first is written
	if got, _ := out.snapshot(); got != "0123456789\n" {
		t.Fatalf("after overflow: %q; want the first line only", got)
	}
	big := strings.Repeat("x", 40) + "\n" // larger than the buffer: written through, after what waits
	w.Write([]byte(big))
	if got, _ := out.snapshot(); got != "0123456789\nabcdefghij\n"+big {
		t.Fatalf("after a large line: %q", got)
	}
}

func TestWriterCloseFlushesAndWritesThrough(t *testing.T) {
	var out lockedBuffer
	w := New(&out, time.Hour, 0)
	w.Write([]byte("a\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := out.snapshot(); got != "a\n" {
		t.Fatalf("after Close: %q; want a", got)
	}
	w.Write([]byte("b\n"))
	if got, _ := out.snapshot(); got != "a\nb\n" {
		t.Fatalf("a write after Close: %q; want it written through", got)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterKeepsTheFirstError(t *testing.T) {
	w := New(failingWriter{}, time.Hour, 0)
	if n, err := w.Write([]byte("x\n")); n != 2 || err != nil {
		t.Fatalf("Write = %d, %v; want 2, nil (errors surface on Flush)", n, err)
	}
	if err := w.Flush(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Flush = %v; want disk full", err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close = nil; want the kept error")
	}
}

func TestWriterConcurrentLinesStayWhole(t *testing.T) {
	var out lockedBuffer
	w := New(&out, time.Millisecond, 256)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				fmt.Fprintf(w, "g%d-%03d %s\n", g, i, strings.Repeat("y", 30))
			}
		})
	}
	wg.Wait()
	w.Close()
	got, _ := out.snapshot()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines; want 1600", len(lines))
	}
	for _, l := range lines {
		if len(l) != len("g0-000 ")+30 {
			t.Fatalf("torn line %q", l)
		}
	}
}

// BenchmarkWrite is the cost a log line adds to a request: a copy under a
// lock, against a write system call per line unbuffered.
func BenchmarkWrite(b *testing.B) {
	line := []byte(`{"time":"2026-12-03T23:59:59.123456Z","level":"INFO","msg":"request","method":"POST","path":"/","status":200,"duration_ms":1.234,"request_id":"0f8fad5b-d9cb-469f-a165-70867728950e"}` + "\n")
	w := New(discard{}, 0, 0)
	defer w.Close()
	b.SetBytes(int64(len(line)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Write(line)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
