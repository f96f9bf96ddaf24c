package pgsink_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/pgsink"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

func signer(b byte) *audit.Signer {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = b
	return audit.NewSigner(ed25519.NewKeyFromSeed(seed))
}

// open opens an Auditor on the PostgreSQL sink for node.
func open(t *testing.T, dsn, node string, sg *audit.Signer) (*audit.Auditor, *pgsink.Sink) {
	t.Helper()
	s, err := pgsink.Open(context.Background(), pgsink.Config{DSN: dsn, Node: node, PublicKey: sg.Public()})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.Open(audit.Options{Dir: t.TempDir(), Signer: sg, Durable: s, DigestInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return a, s
}

func record(i int) *request.Record {
	key := fmt.Sprintf("AKIAEXAMPLE%09d", i%3)
	return &request.Record{
		RequestID: fmt.Sprintf("req-%04d", i), Service: "sts", Action: "GetCallerIdentity", Status: 200,
		Start: time.Date(2026, 11, 22, 8, 0, i, 0, time.UTC),
		Principal: &identity.Principal{Type: identity.IAMUser, Account: "123456789012",
			CallerARN: "arn:aws:iam::123456789012:user/alice", AccessKeyID: key, UserName: "alice"},
	}
}

// fill audits n records from 8 goroutines (group commit batches them).
func fill(t *testing.T, a *audit.Auditor, from, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := from; i < from+n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- a.Audit(context.Background(), record(i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func reader(t *testing.T, dsn string) *pgsink.Reader {
	t.Helper()
	r, err := pgsink.OpenReader(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func exec(t *testing.T, dsn, sql string, args ...any) {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Two nodes keep their own chains in one database; a restarted node
// continues its chain; both verify with their registered keys; search
// reads a node's events.
func TestTwoNodesRestartVerifySearch(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	a1, s1 := open(t, dsn, "node-a", signer(1))
	b1, _ := open(t, dsn, "node-b", signer(2))
	fill(t, a1, 0, 40)
	fill(t, b1, 100, 5)
	if s1.Node() != "node-a" {
		t.Errorf("Node() = %q", s1.Node())
	}
	for _, a := range []*audit.Auditor{a1, b1} {
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	a2, s2 := open(t, dsn, "node-a", signer(1))
	if s2.Reader() == nil {
		t.Fatal("no Reader")
	}
	if st := s2.State(); st.LastSeq != 40 || st.DigestLastSeq != 40 {
		t.Errorf("reopened state: %+v, want seq 40 and a digest up to 40", st)
	}
	fill(t, a2, 40, 10)
	if err := a2.Close(); err != nil {
		t.Fatal(err)
	}

	r := reader(t, dsn)
	nodes, err := r.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"node-a": 50, "node-b": 5}
	if len(nodes) != 2 {
		t.Fatalf("nodes = %+v", nodes)
	}
	for _, n := range nodes {
		rep, err := r.Verify(ctx, n.ID, n.PublicKey)
		if err != nil {
			t.Fatalf("verify %s: %v", n.ID, err)
		}
		if rep.Events != want[n.ID] || rep.Uncovered != 0 || rep.Digests != map[string]int{"node-a": 2, "node-b": 1}[n.ID] {
			t.Errorf("verify %s: %+v", n.ID, rep)
		}
	}
	var got int
	if err := r.Search(ctx, "node-a", audit.Filter{AccessKeyID: "AKIAEXAMPLE000000001"}, func(uint64, *audit.Event) error {
		got++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != 17 { // i%3 == 1 for i in 0..49
		t.Errorf("search by key: %d events, want 17", got)
	}

	// WalkAll reads every node's events in stored order, for LookupEvents.
	var all int
	var last uint64
	if err := r.WalkAll(ctx)(func(key uint64, event []byte) error {
		if key <= last || len(event) == 0 {
			t.Errorf("WalkAll: key %d after %d", key, last)
		}
		last = key
		all++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if all != 55 {
		t.Errorf("WalkAll: %d events, want 55", all)
	}

	// A node id reused with another key is refused.
	if _, err := pgsink.Open(ctx, pgsink.Config{DSN: dsn, Node: "node-a", PublicKey: signer(9).Public()}); err == nil {
		t.Error("node-a opened with another signing key")
	}
}

// Tampering with the rows is caught as it is in files.
func TestVerifyCatchesTampering(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	sg := signer(3)
	a, _ := open(t, dsn, "n1", sg)
	fill(t, a, 0, 10)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	r := reader(t, dsn)
	if _, err := r.Verify(ctx, "n1", sg.Public()); err != nil {
		t.Fatalf("intact: %v", err)
	}
	tests := []struct {
		name, sql string
		want      audit.Kind
	}{
		{"edited", `UPDATE brevet_audit_events SET event = replace(event, 'alice', 'mallory') WHERE node_id = 'n1' AND seq = 3`, audit.Edited},
		{"deleted", `DELETE FROM brevet_audit_events WHERE node_id = 'n1' AND seq = 5`, audit.Deleted},
		{"truncated", `DELETE FROM brevet_audit_events WHERE node_id = 'n1' AND seq > 8`, audit.Truncated},
		{"digest", `UPDATE brevet_audit_digests SET body = replace(body, '"firstSeq":1', '"firstSeq":2') WHERE node_id = 'n1'`, audit.DigestSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exec(t, dsn, `CREATE TABLE saved_events AS SELECT * FROM brevet_audit_events`)
			exec(t, dsn, `CREATE TABLE saved_digests AS SELECT * FROM brevet_audit_digests`)
			defer func() {
				exec(t, dsn, `DELETE FROM brevet_audit_events; INSERT INTO brevet_audit_events SELECT * FROM saved_events; DROP TABLE saved_events`)
				exec(t, dsn, `DELETE FROM brevet_audit_digests; INSERT INTO brevet_audit_digests SELECT * FROM saved_digests; DROP TABLE saved_digests`)
			}()
			exec(t, dsn, tt.sql)
			_, err := r.Verify(ctx, "n1", sg.Public())
			var inc *audit.Inconsistency
			if !errors.As(err, &inc) || inc.Kind != tt.want {
				t.Errorf("verify = %v, want a %s inconsistency", err, tt.want)
			}
		})
	}
}

// When the database refuses writes, Audit fails (the server answers
// ServiceUnavailable) and Ready reports it; it recovers when the
// database does, and the failed events were never recorded.
func TestFailsClosedAndRecovers(t *testing.T) {
	dsn := pgtest.DSN(t)
	sg := signer(4)
	a, _ := open(t, dsn, "n1", sg)
	fill(t, a, 0, 3)
	exec(t, dsn, `ALTER TABLE brevet_audit_events RENAME TO brevet_audit_events_away`)
	if err := a.Audit(context.Background(), record(50)); err == nil {
		t.Fatal("Audit succeeded while the table was gone")
	}
	if a.Ready() == nil {
		t.Error("Ready() = nil while writes fail")
	}
	exec(t, dsn, `ALTER TABLE brevet_audit_events_away RENAME TO brevet_audit_events`)
	deadline := time.Now().Add(10 * time.Second)
	for a.Ready() != nil {
		if time.Now().After(deadline) {
			t.Fatal("not ready after the database recovered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	fill(t, a, 3, 2)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := reader(t, dsn).Verify(context.Background(), "n1", sg.Public())
	if err != nil || rep.Events != 5 {
		t.Errorf("verify after recovery: %+v, %v; want 5 events", rep, err)
	}
}

func TestNodeID(t *testing.T) {
	dir := t.TempDir()
	id, err := pgsink.LoadOrCreateNodeID(dir)
	if err != nil || !pgsink.ValidNodeID(id) {
		t.Fatalf("LoadOrCreateNodeID = %q, %v", id, err)
	}
	again, err := pgsink.LoadOrCreateNodeID(dir)
	if err != nil || again != id {
		t.Errorf("second call = %q, %v; want %q", again, err, id)
	}
	for _, bad := range []string{"", "a b", "x;drop", string(make([]byte, 65))} {
		if pgsink.ValidNodeID(bad) {
			t.Errorf("ValidNodeID(%q) = true", bad)
		}
	}
}

// TestSearchUpstream: the PostgreSQL trail finds brokered events by
// upstream account and source identity, as the files do.
func TestSearchUpstream(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	a, _ := open(t, dsn, "node-up", signer(7))
	brokered := record(0)
	brokered.Action = "AssumeRole"
	brokered.Issued = &request.Issuance{Kind: "BrokeredAssumeRole", AccessKeyID: "ASIAUPSTREAM00000001", Account: "999988887777",
		PrincipalARN: "arn:aws:iam::999988887777:role/Deploy", Issued: brokered.Start, Expires: brokered.Start.Add(time.Hour),
		Upstream: &request.UpstreamSession{Account: "999988887777", Action: "AssumeRole", RequestID: "up-1",
			RoleARN: "arn:aws:iam::999988887777:role/Deploy", SessionARN: "arn:aws:sts::999988887777:assumed-role/Deploy/ci",
			SourceIdentity: "alice@123456789012", AccessKeyID: "ASIAUPSTREAM00000001", Expires: brokered.Start.Add(time.Hour)}}
	for _, rec := range []*request.Record{brokered, record(1), record(2)} {
		if err := a.Audit(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	r := reader(t, dsn)
	for _, tc := range []struct {
		name string
		f    audit.Filter
		want int
	}{
		{"any", audit.Filter{Upstream: audit.UpstreamAny}, 1},
		{"account", audit.Filter{Upstream: "999988887777"}, 1},
		{"other account", audit.Filter{Upstream: "111100002222"}, 0},
		{"source identity", audit.Filter{SourceIdentity: "alice@123456789012"}, 1},
	} {
		var got []string
		if err := r.Search(ctx, "node-up", tc.f, func(_ uint64, e *audit.Event) error {
			if e.AdditionalEventData == nil || e.AdditionalEventData.Upstream == nil || e.AdditionalEventData.IssuedCredential != nil {
				t.Errorf("%s: event %s has no upstream element, or an issuedCredential", tc.name, e.EventID)
			} else {
				got = append(got, e.AdditionalEventData.Upstream.RequestID)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.want {
			t.Errorf("%s: %v, want %d events", tc.name, got, tc.want)
		}
	}
}
