package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/loadgen"
)

// TestBenchDurableRecords checks that the records are audit events of
// the sizes a trail written by `brevet bench` holds (AssumeRole 1,300–
// 1,307 bytes with session names bench-0-0 to bench-0-843, 6 more for
// bench-31-4999; GetCallerIdentity 787).
func TestBenchDurableRecords(t *testing.T) {
	recs, err := benchDurableRecords()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		rec        []byte
		event      string
		minN, maxN int
	}{
		{"AssumeRole", recs.AssumeRole, "AssumeRole", 1300, 1320},
		{"Other", recs.Other, "GetCallerIdentity", 780, 800},
	}
	for _, tt := range tests {
		var e audit.Event
		if err := json.Unmarshal(tt.rec, &e); err != nil {
			t.Errorf("%s: not an event: %v", tt.name, err)
		}
		if e.EventName != tt.event {
			t.Errorf("%s: eventName %q, want %q", tt.name, e.EventName, tt.event)
		}
		if n := len(tt.rec); n < tt.minN || n > tt.maxN {
			t.Errorf("%s: %d bytes, want %d to %d", tt.name, n, tt.minN, tt.maxN)
		}
	}
}

// countingFile counts the writes and fsyncs of a real file.
type countingFile struct {
	*os.File
	writes, syncs *atomic.Int64
}

func (f countingFile) Write(b []byte) (int, error) { f.writes.Add(1); return f.File.Write(b) }
func (f countingFile) Sync() error                 { f.syncs.Add(1); return f.File.Sync() }

func TestBenchDurableSink(t *testing.T) {
	dir := t.TempDir()
	var writes, syncs atomic.Int64
	open := func(name string, flag int, perm os.FileMode) (audit.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		if err != nil {
			return nil, err
		}
		return countingFile{f, &writes, &syncs}, nil
	}
	event := []byte(`{"eventName":"AssumeRole"}`)
	// A batch of 3 is 3 lines of 174 bytes plus the event; the file is
	// replaced once it holds 1,000 bytes, after the second batch.
	s, err := openBenchDurableSink(dir, open, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var head [32]byte
	for b := range 3 {
		var batch []audit.Record
		for i := range 3 {
			seq := uint64(3*b + i + 1)
			h := audit.ChainHash(head, seq, event)
			batch = append(batch, audit.Record{Seq: seq, PrevHash: head, Hash: h, Event: event})
			head = h
		}
		if err := s.Write(batch); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if writes.Load() != 3 || syncs.Load() != 3 {
		t.Errorf("%d writes and %d fsyncs, want 3 and 3: one of each per batch", writes.Load(), syncs.Load())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 || filepath.Base(files[0]) != "durable-2.jsonl" {
		t.Fatalf("files %v, want only durable-2.jsonl (the first one replaced and deleted)", files)
	}
	// The lines are the trail's: audit's own reader reads them.
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var seqs []uint64
	err = audit.ReadRecords(f, func(r audit.Record, _ int64) error {
		if string(r.Event) != string(event) || r.Hash != audit.ChainHash(r.PrevHash, r.Seq, r.Event) {
			t.Errorf("record %d = %+v, want the event and its chain hash", r.Seq, r)
		}
		seqs = append(seqs, r.Seq)
		return nil
	})
	if err != nil || len(seqs) != 3 || seqs[0] != 7 {
		t.Errorf("ReadRecords: %v, sequence numbers %v; want 7, 8, 9", err, seqs)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Errorf("after Close: files %v, want none", files)
	}
}

// gatedLog holds every Append until release is closed, so that a test
// can have all its requests in flight before the first record arrives.
type gatedLog struct {
	next    loadgen.Appender
	arrived *sync.WaitGroup
	release chan struct{}
}

func (g gatedLog) Append(ctx context.Context, rec []byte) (uint64, error) {
	g.arrived.Done()
	<-g.release
	return g.next.Append(ctx, rec)
}

// TestBenchDurableServer drives the durable trivial server with
// concurrent requests: each one's record is appended to the file (in the
// trail's format, of the intended size), and the group commit gathers
// the records of the requests in flight into few fsyncs.
func TestBenchDurableServer(t *testing.T) {
	dir := t.TempDir()
	h, trail, closeTrail, err := newBenchDurable(dir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 64
	var arrived sync.WaitGroup
	arrived.Add(n)
	release := make(chan struct{})
	h.Log = gatedLog{next: trail, arrived: &arrived, release: release}
	srv := httptest.NewServer(withBenchDurableStats(trail, h))
	defer srv.Close()

	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			body := "Action=GetCallerIdentity&Version=2011-06-15"
			if i%2 == 0 {
				body = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=x"
			}
			resp, err := http.Post(srv.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	arrived.Wait()
	if got := h.InFlight(); got != n {
		t.Errorf("InFlight = %d with every request waiting, want %d", got, n)
	}
	close(release)
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("request %d: status %d, want 200", i, c)
		}
	}

	resp, err := http.Get(srv.URL + benchDurableStatsPath)
	if err != nil {
		t.Fatal(err)
	}
	var st benchDurableStats
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	// All 64 were in flight, so the writer waits for them (at most 1 ms
	// a batch): one fsync on an idle machine; a few on a loaded one.
	if st.Records != n || st.Fsyncs == 0 || st.Fsyncs > n/8 {
		t.Errorf("stats = %+v, want %d records in 1 to %d fsyncs", st, n, n/8)
	}

	recs, _ := benchDurableRecords()
	files, _ := filepath.Glob(filepath.Join(dir, "brevet-bench-durable-*", "durable-*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("files %v, want one", files)
	}
	sizes := map[int]int{}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct{ Event json.RawMessage }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %q: %v", sc.Bytes(), err)
		}
		sizes[len(line.Event)]++
	}
	f.Close()
	want := map[int]int{len(recs.AssumeRole): n / 2, len(recs.Other): n / 2}
	if len(sizes) != 2 || sizes[len(recs.AssumeRole)] != n/2 || sizes[len(recs.Other)] != n/2 {
		t.Errorf("events by size %v, want %v", sizes, want)
	}

	if err := closeTrail(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("after close: %v left, want nothing", left)
	}
}
