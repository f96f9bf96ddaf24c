package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
	"github.com/brevet-dev/brevet/internal/store/storetest"
	"github.com/jackc/pgx/v5"
)

func clock() time.Time { return storetest.Now }

func openDSN(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{Now: clock})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openTest(t testing.TB) *postgres.Store { return openDSN(t, pgtest.DSN(t)) }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}

func TestOpenRequiresNow(t *testing.T) {
	if _, err := postgres.Open(t.Context(), "postgres://127.0.0.1/x", postgres.Options{}); err == nil {
		t.Errorf("Open without Now: got nil error")
	}
}

// TestConcurrentOpen: nodes starting at once against a new schema all
// succeed, and the migrations are applied exactly once.
func TestConcurrentOpen(t *testing.T) {
	dsn := pgtest.DSN(t)
	const nodes = 8
	var wg sync.WaitGroup
	stores := make([]*postgres.Store, nodes)
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = postgres.Open(t.Context(), dsn, postgres.Options{Now: clock, MaxConns: 2})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: Open: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var rows, versions int
	if err := c.QueryRow(t.Context(), `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&rows, &versions); err != nil {
		t.Fatal(err)
	}
	if rows != versions || rows == 0 {
		t.Errorf("schema_migrations: got %d rows for %d versions, want one row per version", rows, versions)
	}
	// Every node works on the one schema.
	if err := stores[0].Accounts().Create(t.Context(), iam.Account{ID: storetest.Account, Created: storetest.Now}); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[nodes-1].Accounts().Get(t.Context(), storetest.Account); err != nil {
		t.Errorf("another node: %v", err)
	}
}

// TestTxRetries: two transactions that each read what the other writes
// cannot both commit under SERIALIZABLE; the loser's fn runs again and then
// sees the winner's write.
func TestTxRetries(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	mustDo(t, s.Accounts().Create(ctx, iam.Account{ID: storetest.Account, Created: storetest.Now}))
	mustDo(t, s.Users().Create(ctx, iam.User{Account: storetest.Account, ID: "AIDAALICEXXXXXXXXXXXX", Name: "alice", Path: "/", Created: storetest.Now}))

	var attempts atomic.Int32
	var barrier sync.WaitGroup
	barrier.Add(2)
	errLimit := errors.New("limit")
	run := func(id string) error {
		first := true
		return s.Tx(ctx, func(tx store.Repos) error {
			attempts.Add(1)
			keys, err := tx.AccessKeys().ListForUser(ctx, storetest.Account, "alice")
			if err != nil {
				return err
			}
			if first { // both have read before either writes
				first = false
				barrier.Done()
				barrier.Wait()
			}
			if len(keys) > 0 {
				return errLimit // a quota of one key
			}
			return tx.AccessKeys().Create(ctx, iam.AccessKey{Account: storetest.Account, UserName: "alice", ID: id,
				Status: iam.AccessKeyActive, Created: storetest.Now, SecretCiphertext: []byte{1}})
		})
	}
	errs := make(chan error, 2)
	for _, id := range []string{"AKIAAAAAAAAAAAAAAAA1", "AKIAAAAAAAAAAAAAAAA2"} {
		go func() { errs <- run(id) }()
	}
	var got []error
	for range 2 {
		got = append(got, <-errs)
	}
	nilCount, limitCount := 0, 0
	for _, err := range got {
		switch {
		case err == nil:
			nilCount++
		case errors.Is(err, errLimit):
			limitCount++
		default:
			t.Errorf("Tx: %v", err)
		}
	}
	if nilCount != 1 || limitCount != 1 {
		t.Errorf("got %d commits and %d limit errors, want 1 and 1", nilCount, limitCount)
	}
	if n := attempts.Load(); n < 3 {
		t.Errorf("fn ran %d times, want at least 3 (the loser retried)", n)
	}
}

// TestListen: a change committed through one Store is announced to another
// Store on the same database within a second.
func TestListen(t *testing.T) {
	dsn := pgtest.DSN(t)
	writer, listener := openDSN(t, dsn), openDSN(t, dsn)
	ctx, cancel := context.WithCancel(t.Context())
	seqs := make(chan int64, 100)
	done := make(chan error, 1)
	go func() { done <- listener.Listen(ctx, func(seq int64) { seqs <- seq }) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Listen returned %v, want context.Canceled", err)
		}
	}()

	// The first call, once LISTEN is in place, carries Latest.
	select {
	case seq := <-seqs:
		if seq != 0 {
			t.Errorf("first callback: got seq %d, want Latest = 0 on an empty store", seq)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Listen never connected")
	}

	mustDo(t, writer.Accounts().Create(ctx, iam.Account{ID: storetest.Account, Created: storetest.Now}))
	want, err := writer.Changes().Latest(ctx)
	mustDo(t, err)
	deadline := time.After(time.Second)
	for {
		select {
		case seq := <-seqs:
			if seq == want {
				return
			}
		case <-deadline:
			t.Fatalf("no notification of seq %d within 1s", want)
		}
	}
}

// TestTxUsableAfterFailedWrite: a write that fails inside Tx (here a name
// conflict) leaves the transaction usable, as in SQLite.
func TestTxUsableAfterFailedWrite(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	mustDo(t, s.Accounts().Create(ctx, iam.Account{ID: storetest.Account, Created: storetest.Now}))
	user := func(name string) iam.User {
		return iam.User{Account: storetest.Account, ID: fmt.Sprintf("AIDA%-17s", name), Name: name, Path: "/", Created: storetest.Now}
	}
	mustDo(t, s.Users().Create(ctx, user("alice")))
	err := s.Tx(ctx, func(tx store.Repos) error {
		if err := tx.Users().Create(ctx, user("ALICE")); !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("duplicate: got %v, want ErrConflict", err)
		}
		return tx.Users().Create(ctx, user("bob"))
	})
	mustDo(t, err)
	if _, err := s.Users().Get(ctx, storetest.Account, "bob"); err != nil {
		t.Errorf("bob after Tx: %v", err)
	}
}

func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// TestListenReconnects: when the listening connection dies, Listen
// reconnects and reports Latest, so a change made meanwhile is not missed.
func TestListenReconnects(t *testing.T) {
	dsn := pgtest.DSN(t)
	app := fmt.Sprintf("brevet-listen-test-%d", time.Now().UnixNano())
	writer, listener := openDSN(t, dsn), openDSN(t, dsn+"&application_name="+app)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	seqs := make(chan int64, 100)
	go listener.Listen(ctx, func(seq int64) { seqs <- seq })
	select {
	case <-seqs:
	case <-time.After(10 * time.Second):
		t.Fatal("Listen never connected")
	}

	c, err := pgx.Connect(ctx, dsn)
	mustDo(t, err)
	defer c.Close(context.Background())
	var killed int
	mustDo(t, c.QueryRow(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1`, app).Scan(&killed))
	if killed == 0 {
		t.Fatal("found no listening backend to terminate")
	}
	mustDo(t, writer.Accounts().Create(ctx, iam.Account{ID: storetest.Account, Created: storetest.Now}))
	want, err := writer.Changes().Latest(ctx)
	mustDo(t, err)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case seq := <-seqs:
			if seq >= want {
				return
			}
		case <-deadline:
			t.Fatalf("no callback with seq >= %d after the connection was killed", want)
		}
	}
}
