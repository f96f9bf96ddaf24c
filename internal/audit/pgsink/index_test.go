package pgsink_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/pgsink"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// TestIndexesIssuancesWithTheEvents: with IndexIssued, the issuance
// records of a batch's events are written in the transaction that inserts
// the events, and those of events spooled during an outage when they are
// shipped: every issued key is indexed exactly once, and nothing else.
func TestIndexesIssuancesWithTheEvents(t *testing.T) {
	dsn := pgtest.DSN(t)
	st, err := postgres.Open(t.Context(), dsn, postgres.Options{Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, proxied := viaProxy(t, dsn)
	sg := signer(21)
	s, err := pgsink.Open(context.Background(), pgsink.Config{
		DSN: proxied, Node: "index-a", PublicKey: sg.Public(), SpoolDir: t.TempDir(), SpoolAfter: 500 * time.Millisecond,
		IndexIssued: postgres.RecordSessionsTx,
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.Open(audit.Options{Dir: t.TempDir(), Signer: sg, Durable: s, DigestInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(i int) string {
		rec := record(i)
		key := fmt.Sprintf("ASIAISSUED%010d", i)
		rec.Action, rec.Effect = "AssumeRole", request.IssuesCredentials
		rec.Issued = &request.Issuance{Kind: "AssumeRole", AccessKeyID: key, Account: "123456789012",
			PrincipalARN: "arn:aws:iam::123456789012:role/r", SessionARN: "arn:aws:sts::123456789012:assumed-role/r/s",
			Issued: rec.Start, Expires: rec.Start.Add(time.Hour)}
		if err := a.Audit(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		return key
	}
	var keys []string
	for i := range 6 {
		keys = append(keys, issue(i))
	}
	fill(t, a, 6, 10) // events that issue nothing
	p.setCut(true)
	for i := 16; i < 20; i++ {
		keys = append(keys, issue(i)) // spooled
	}
	if st := s.Stats(); st.Spooled != 4 {
		t.Errorf("%d events spooled during the outage, want 4", st.Spooled)
	}
	p.setCut(false)
	waitFor(t, "the spool to be shipped", func() bool { st := s.Stats(); return !st.Spooling && st.Pending == 0 })
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := st.Sessions().List(t.Context(), store.SessionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range recs {
		got[r.AccessKeyID]++
	}
	if len(got) != len(keys) {
		t.Errorf("%d keys indexed, want %d: %v", len(got), len(keys), got)
	}
	for _, k := range keys {
		if got[k] != 1 {
			t.Errorf("%s indexed %d times, want once", k, got[k])
		}
	}
}
