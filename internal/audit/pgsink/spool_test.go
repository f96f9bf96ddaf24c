package pgsink_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/pgsink"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// proxy forwards TCP connections to PostgreSQL; cutting it closes every
// connection and refuses new ones, which is how the tests make the
// database unreachable without stopping the machine's server (other
// packages' tests use it meanwhile).
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

// viaProxy starts a proxy to dsn's server and returns the DSN through it.
func viaProxy(t testing.TB, dsn string) (*proxy, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *proxy) pipe(c net.Conn) {
	defer c.Close()
	if !p.track(c) {
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	if !p.track(up) {
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// openSpooled opens an Auditor on a sink spooling in dir.
func openSpooled(t *testing.T, dsn, node, dir string, sg *audit.Signer) (*audit.Auditor, *pgsink.Sink) {
	t.Helper()
	s, err := pgsink.Open(context.Background(), pgsink.Config{
		DSN: dsn, Node: node, PublicKey: sg.Public(), SpoolDir: dir, SpoolAfter: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.Open(audit.Options{Dir: t.TempDir(), Signer: sg, Durable: s, DigestInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return a, s
}

// waitFor polls cond every 10 ms for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// count is how many of node's events are in PostgreSQL.
func count(t *testing.T, r *pgsink.Reader, node string) int {
	t.Helper()
	n := 0
	if err := r.Walk(context.Background(), node)(func(audit.Record, string) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// verify checks node's trail: events in PostgreSQL, chained with no gap,
// all covered by digests.
func verify(t *testing.T, r *pgsink.Reader, node string, sg *audit.Signer, events int) {
	t.Helper()
	rep, err := r.Verify(context.Background(), node, sg.Public())
	if err != nil {
		t.Fatalf("verify %s: %v", node, err)
	}
	if rep.Events != events || rep.FirstSeq != 1 || rep.LastSeq != uint64(events) || rep.Uncovered != 0 {
		t.Errorf("verify %s: %+v, want %d events from 1, all covered", node, rep, events)
	}
}

func TestOutageSpoolsAndShipsInOrder(t *testing.T) {
	dsn := pgtest.DSN(t)
	p, proxied := viaProxy(t, dsn)
	sg := signer(11)
	a, s := openSpooled(t, proxied, "spool-a", t.TempDir(), sg)
	r := reader(t, dsn)
	fill(t, a, 0, 20)

	p.setCut(true)
	fill(t, a, 20, 50) // acknowledged: in the spool
	if err := a.Trail().WriteDigest(); err != nil {
		t.Fatalf("digest during the outage: %v", err)
	}
	if err := a.Ready(); err != nil {
		t.Errorf("Ready() during the outage = %v, want nil while spooling works", err)
	}
	if st := s.Stats(); !st.Spooling || st.Pending != 50 || st.Spooled != 50 {
		t.Errorf("stats during the outage: %+v, want spooling 50 pending", st)
	}
	if got := count(t, r, "spool-a"); got != 20 {
		t.Errorf("%d events in PostgreSQL during the outage, want 20", got)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collector())
	if got := gather(t, reg); !cmp.Equal(got, map[string]float64{
		"brevet_audit_spooling": 1, "brevet_audit_spool_pending_events": 50,
		"brevet_audit_spooled_events_total": 50, "brevet_audit_shipped_events_total": 0,
	}) {
		t.Errorf("metrics during the outage: %v", got)
	}

	p.setCut(false)
	waitFor(t, "the spool to be shipped", func() bool { st := s.Stats(); return !st.Spooling && st.Pending == 0 })
	if got, want := gather(t, reg), map[string]float64{
		"brevet_audit_spooling": 0, "brevet_audit_spool_pending_events": 0,
		"brevet_audit_spooled_events_total": 50, "brevet_audit_shipped_events_total": 50,
	}; !cmp.Equal(got, want) {
		t.Errorf("metrics after shipping: %s", cmp.Diff(want, got))
	}
	fill(t, a, 70, 10)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	verify(t, r, "spool-a", sg, 80)
	// Stored order (LookupEvents') is sequence order: the spool was
	// shipped before anything newer was written.
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT seq FROM brevet_audit_events WHERE node_id = 'spool-a' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("stored order: seq %d at position %d", seq, i+1)
		}
	}
}

func TestUnshippedSpoolShipsOnReopen(t *testing.T) {
	dsn := pgtest.DSN(t)
	p, proxied := viaProxy(t, dsn)
	sg, dir := signer(12), t.TempDir()
	a, _ := openSpooled(t, proxied, "spool-b", dir, sg)
	fill(t, a, 0, 10)
	p.setCut(true)
	fill(t, a, 10, 15)
	// Closing writes the final digest, to the spool; nothing is shipped.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	r := reader(t, dsn)
	if got := count(t, r, "spool-b"); got != 10 {
		t.Fatalf("%d events in PostgreSQL before the reopen, want 10", got)
	}
	p.setCut(false)

	a, s := openSpooled(t, dsn, "spool-b", dir, sg)
	if got := count(t, r, "spool-b"); got != 25 {
		t.Errorf("%d events in PostgreSQL after the reopen, want the 25 shipped by Open", got)
	}
	if st := s.State(); st.LastSeq != 25 || st.DigestLastSeq != 25 {
		t.Errorf("state after the reopen: %+v, want seq 25 and a digest up to 25", st)
	}
	fill(t, a, 25, 5)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	verify(t, r, "spool-b", sg, 30)
	if fi, err := os.Stat(filepath.Join(dir, pgsink.SpoolFile)); err != nil || fi.Size() != 0 {
		t.Errorf("spool after shipping: %v, %v; want empty", fi, err)
	}
}

// A reopen while PostgreSQL is still unreachable after Open's connect
// cannot be arranged (Open needs the database), but a node whose spool
// could not be shipped keeps spooling, its chain continuing from the
// spool: covered by the shipper path in TestOutageSpoolsAndShipsInOrder.

func TestCrashMidShipDoesNotDuplicate(t *testing.T) {
	dsn := pgtest.DSN(t)
	p, proxied := viaProxy(t, dsn)
	sg, dir := signer(13), t.TempDir()
	var chunks atomic.Int32
	a, s := openSpooled(t, proxied, "spool-c", dir, sg)
	s.SetShipChunk(4)
	s.SetShipHook(func() error {
		chunks.Add(1)
		return errors.New("simulated crash after a shipping transaction")
	})
	fill(t, a, 0, 3)
	p.setCut(true)
	for i := 3; i < 15; i++ { // one event per batch: 12 spooled batches
		if err := a.Audit(context.Background(), record(i)); err != nil {
			t.Fatal(err)
		}
	}
	p.setCut(false)
	waitFor(t, "a shipping transaction", func() bool { return chunks.Load() > 0 })
	// "Crash": stop without shipping the rest or emptying the spool.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := reader(t, dsn)
	shipped := count(t, r, "spool-c")
	if shipped < 7 || shipped == 15 {
		t.Fatalf("%d events in PostgreSQL after the crash, want the 3 written directly, a chunk of 4 and not all", shipped)
	}
	spooled, err := os.ReadFile(filepath.Join(dir, pgsink.SpoolFile))
	if err != nil {
		t.Fatal(err)
	}

	a, s = openSpooled(t, dsn, "spool-c", dir, sg)
	if st := s.State(); st.LastSeq != 15 {
		t.Errorf("state after the reopen: %+v, want seq 15", st)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	verify(t, r, "spool-c", sg, 15)

	// A crash after the last shipping transaction but before the spool
	// was emptied: the whole spool is back, and shipping it again adds
	// nothing.
	if err := os.WriteFile(filepath.Join(dir, pgsink.SpoolFile), spooled, 0o600); err != nil {
		t.Fatal(err)
	}
	a, _ = openSpooled(t, dsn, "spool-c", dir, sg)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	verify(t, r, "spool-c", sg, 15)
}

func TestTornSpoolTailIsCut(t *testing.T) {
	dsn := pgtest.DSN(t)
	p, proxied := viaProxy(t, dsn)
	sg, dir := signer(14), t.TempDir()
	a, _ := openSpooled(t, proxied, "spool-d", dir, sg)
	p.setCut(true)
	fill(t, a, 0, 6)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// A torn append: never acknowledged, so dropped.
	f, err := os.OpenFile(filepath.Join(dir, pgsink.SpoolFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"seq":7,"prev":"AAAA`); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p.setCut(false)
	a, _ = openSpooled(t, dsn, "spool-d", dir, sg)
	fill(t, a, 6, 2)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	verify(t, reader(t, dsn), "spool-d", sg, 8)
}

func TestFailsClosedWhenTheSpoolFailsToo(t *testing.T) {
	dsn := pgtest.DSN(t)
	p, proxied := viaProxy(t, dsn)
	sg := signer(15)
	a, s := openSpooled(t, proxied, "spool-e", t.TempDir(), sg)
	fill(t, a, 0, 2)
	p.setCut(true)
	s.BreakSpool()
	if err := a.Audit(context.Background(), record(2)); err == nil {
		t.Fatal("Audit succeeded with PostgreSQL unreachable and the spool failing")
	}
	if a.Ready() == nil {
		t.Error("Ready() = nil with PostgreSQL unreachable and the spool failing")
	}
	_ = a.Close() // the spool's file is already closed
	p.setCut(false)
	// The refused event is nowhere; the chain before it is intact (its
	// last digest could not be written either).
	rep, err := reader(t, dsn).Verify(context.Background(), "spool-e", sg.Public())
	if err != nil || rep.Events != 2 || rep.LastSeq != 2 {
		t.Errorf("verify: %+v, %v; want the 2 events written before the outage", rep, err)
	}
}

// An event edited in the spool no longer matches its hash: the node
// refuses to start rather than ship it.
func TestCorruptSpoolIsRefused(t *testing.T) {
	dsn := pgtest.DSN(t)
	p, proxied := viaProxy(t, dsn)
	sg, dir := signer(16), t.TempDir()
	a, _ := openSpooled(t, proxied, "spool-f", dir, sg)
	p.setCut(true)
	for i := range 3 {
		if err := a.Audit(context.Background(), record(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, pgsink.SpoolFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), "req-0001", "req-9999", 1)
	if edited == string(b) {
		t.Fatal("req-0001 not in the spool")
	}
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	p.setCut(false)
	if _, err := pgsink.Open(context.Background(), pgsink.Config{DSN: dsn, Node: "spool-f", PublicKey: sg.Public(), SpoolDir: dir}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("Open with an edited spool: %v, want an error saying it is corrupt", err)
	}
}

// gather reads reg's metrics by name.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetGauge() != nil:
				got[mf.GetName()] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				got[mf.GetName()] = m.GetCounter().GetValue()
			}
		}
	}
	return got
}
