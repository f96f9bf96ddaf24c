package eventindex_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/eventindex"
	"github.com/brevet-dev/brevet/internal/cputime"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

// benchEvents are n events as the trail holds them: a user's AssumeRole issuing
// credentials (responseElements, issuedCredential), the
// hot path's kind of event.
func benchEvents(b *testing.B, n int) []audit.Record {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "trail")
	a := openTrail(&testing.T{}, dir, nil)
	p := &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/alice",
		PrincipalID: "AIDAALICE", AccessKeyID: "AKIAALICE00000000001", UserName: "alice"}
	for i := range n {
		rec := &request.Record{RequestID: fmt.Sprint("req-", i), Service: "STS", Action: "AssumeRole",
			Effect: request.IssuesCredentials, Principal: p, SourceIP: "192.0.2.1", UserAgent: "bench",
			Start: t0.Add(time.Duration(i) * time.Millisecond), Status: 200,
			RequestParameters: map[string]any{"roleArn": "arn:aws:iam::123456789012:role/target", "roleSessionName": fmt.Sprint("s", i)},
			ResponseElements:  map[string]any{"credentials": map[string]any{"accessKeyId": fmt.Sprintf("ASIA%016d", i), "expiration": "2026-11-22T09:00:00Z"}},
			Issued: &request.Issuance{Kind: "AssumeRole", AccessKeyID: fmt.Sprintf("ASIA%016d", i), Account: "123456789012",
				PrincipalARN: "arn:aws:iam::123456789012:role/target", SessionName: fmt.Sprint("s", i), Issued: t0, Expires: t0.Add(time.Hour)}}
		if err := a.Audit(context.Background(), rec); err != nil {
			b.Fatal(err)
		}
	}
	a.Close()
	var recs []audit.Record
	if err := audit.WalkRecordsAfter(dir, 0, 0, func(r audit.Record, _ audit.Position) error {
		r.Event = append([]byte(nil), r.Event...)
		recs = append(recs, r)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	return recs
}

// BenchmarkRows is turning one event into its index rows.
func BenchmarkRows(b *testing.B) {
	recs := benchEvents(b, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := recs[i%len(recs)]
		if _, err := eventindex.Rows(r.Seq, r.Event); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndexEvents is the SQLite store writing batches of 64 events'
// rows with their position, as the indexer's writer does; per event.
func BenchmarkIndexEvents(b *testing.B) {
	recs := benchEvents(b, 64)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(b.TempDir(), "brevet.db"), Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Start()
	seq := uint64(0)
	for b.Loop() {
		var rows []store.EventRecord
		for _, r := range recs {
			seq++
			rs, err := eventindex.Rows(seq, r.Event)
			if err != nil {
				b.Fatal(err)
			}
			rows = append(rows, rs...)
		}
		if err := st.IndexEvents(ctx, rows, seq); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(seq), "µs/event")
	// The process's CPU time an event: the wall time also counts the
	// checkpoints' fsyncs, which wait on the disk and on other work.
	cpu.Report(b, int(seq), "cpu-µs/event")
}
