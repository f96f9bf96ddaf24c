package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/store"
)

var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func openAt(t *testing.T, path string) (*Store, error) {
	return Open(t.Context(), Config{Path: path, Now: func() time.Time { return testNow }})
}

func schemaVersions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.rdb.QueryContext(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestMigrationsApplyOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	s, err := openAt(t, path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	want := len(ms)
	if got := schemaVersions(t, s); len(got) != want {
		t.Errorf("versions after first open: got %v, want %d", got, want)
	}
	s.Close()
	s, err = openAt(t, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got := schemaVersions(t, s); len(got) != want {
		t.Errorf("versions after reopen: got %v, want %d", got, want)
	}
	var mode string
	if err := s.rdb.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := s.wdb.QueryRowContext(t.Context(), `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

// Several processes starting at once against a new file: simulated with
// independent Stores (separate connection pools) opening concurrently. All
// succeed and the schema is applied exactly once.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = openAt(t, path)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	ms, _ := loadMigrations()
	if got := schemaVersions(t, stores[0]); len(got) != len(ms) {
		t.Errorf("versions: got %v, want %d", got, len(ms))
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	s, err := openAt(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.wdb.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := openAt(t, path); err == nil {
		s.Close()
		t.Fatalf("Open of a newer schema: got nil error")
	}
}

func TestOpenConfig(t *testing.T) {
	if _, err := Open(t.Context(), Config{Now: time.Now}); err == nil {
		t.Errorf("no Path: got nil error")
	}
	if _, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "x.db")}); err == nil {
		t.Errorf("no Now: got nil error")
	}
}

// A database made at schema version 3, where sessions were unique by
// access key id, keeps its records through 0004: the same records, copied
// in order of issue, in a table without a key or index on the id, which
// then takes a second record of an id.
func TestMigrateSessionsToRowid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var v3 []migration
	for _, m := range ms {
		if m.version <= 3 {
			v3 = append(v3, m)
		}
	}
	db, err := sql.Open("sqlite", dsn(Config{Path: path, BusyTimeout: 5 * time.Second}, false))
	if err != nil {
		t.Fatal(err)
	}
	if err := apply(t.Context(), db, v3, testNow); err != nil {
		t.Fatal(err)
	}
	rec := func(id string, issued time.Duration) store.SessionRecord {
		return store.SessionRecord{
			AccessKeyID: id, SessionID: "s-" + id, Account: "123456789012", PrincipalARN: "arn:aws:iam::123456789012:role/r",
			SessionARN: "arn:aws:sts::123456789012:assumed-role/r/s", Kind: "AssumeRole", SessionName: "s", SourceIP: "192.0.2.1",
			ParentAccessKeyID: "AKIAROOT", RootAccessKeyID: "AKIAROOT",
			Issued: testNow.Add(issued), Expires: testNow.Add(issued + time.Hour),
		}
	}
	// Written out of order, as concurrent issuances may commit.
	want := []store.SessionRecord{rec("ASIAB", 0), rec("ASIAA", time.Minute), rec("ASIAC", time.Minute), rec("ASIAD", 2*time.Minute)}
	for _, r := range []store.SessionRecord{want[3], want[1], want[0], want[2]} {
		if _, err := db.ExecContext(t.Context(), insertSessionSQL, r.AccessKeyID, r.SessionID, r.Account, r.PrincipalARN,
			r.SessionARN, r.Kind, r.SessionName, r.SourceIP, r.ParentAccessKeyID, r.RootAccessKeyID,
			toMicros(r.Issued), toMicros(r.Expires)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := openAt(t, path)
	if err != nil {
		t.Fatalf("open a version 3 database: %v", err)
	}
	defer s.Close()
	if got := schemaVersions(t, s); len(got) != len(ms) {
		t.Errorf("versions after the upgrade: got %v, want %d", got, len(ms))
	}
	got, err := s.Sessions().List(t.Context(), store.SessionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("records after the upgrade (-want +got):\n%s", d)
	}
	rowOrder := query[string](t, s, `SELECT access_key_id FROM sessions ORDER BY rowid`)
	if d := cmp.Diff([]string{"ASIAB", "ASIAA", "ASIAC", "ASIAD"}, rowOrder); d != "" {
		t.Errorf("rows in rowid order (-want +got):\n%s", d)
	}
	indexes := query[string](t, s, `SELECT name FROM pragma_index_list('sessions') ORDER BY name`)
	// sessions_parent, made by version 4, is dropped by version 5.
	if d := cmp.Diff([]string{"sessions_expires", "sessions_principal"}, indexes); d != "" {
		t.Errorf("indexes of sessions (-want +got):\n%s", d)
	}
	if err := s.Sessions().Record(t.Context(), want[0]); err != nil {
		t.Errorf("Record of a recorded id after the upgrade: %v", err)
	}
}

// TestMigrateTrustBindings: version 7 leaves the roles of an older
// database unbound (nil TrustBindings, which the next start binds), and
// keeps them apart from roles bound to no one.
func TestMigrateTrustBindings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var v6 []migration
	for _, m := range ms {
		if m.version <= 6 {
			v6 = append(v6, m)
		}
	}
	db, err := sql.Open("sqlite", dsn(Config{Path: path, BusyTimeout: 5 * time.Second}, false))
	if err != nil {
		t.Fatal(err)
	}
	if err := apply(t.Context(), db, v6, testNow); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO accounts (id, created_at) VALUES ('123456789012', 0)`,
		`INSERT INTO roles (id, account_id, name, name_key, path, created_at, trust_policy, max_session)
			VALUES ('AROAOLDROLE0000000001', '123456789012', 'old', 'old', '/', 0, '{}', 3600)`,
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := openAt(t, path)
	if err != nil {
		t.Fatalf("open a version 6 database: %v", err)
	}
	defer s.Close()
	r, err := s.Roles().Get(t.Context(), "123456789012", "old")
	if err != nil {
		t.Fatal(err)
	}
	if r.TrustBindings != nil {
		t.Errorf("TrustBindings of a role saved by version 6 = %#v, want nil (never bound)", r.TrustBindings)
	}
}

// query returns the single column of a query's rows.
func query[T any](t *testing.T, s *Store, text string) []T {
	t.Helper()
	rows, err := s.rdb.QueryContext(t.Context(), text)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMigrateEventIndexBuckets: version 14 rebuilds the event index's
// indexes on the event id and the issued key as bucketed ones over the
// rows a version 13 database holds; every lookup by either finds the
// same rows as before (an event's two accounts, ids and keys of any last
// character, a key issued twice), through its index.
func TestMigrateEventIndexBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(Config{Path: path, BusyTimeout: 5 * time.Second}, false))
	if err != nil {
		t.Fatal(err)
	}
	if err := apply(t.Context(), db, ms[:13], testNow); err != nil {
		t.Fatal(err)
	}
	const a, b = "111122223333", "444455556666"
	row := func(key uint64, acct, id, issued string) store.EventRecord {
		return store.EventRecord{Key: key, Account: acct, Time: testNow.Add(time.Duration(key) * time.Second), EventID: id,
			Source: "sts.amazonaws.com", Name: "AssumeRole", IssuedKeyID: issued, Management: key != 4,
			Event: []byte(fmt.Sprintf(`{"k":%d}`, key))}
	}
	rows := []store.EventRecord{
		row(1, a, "0f8e3b9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "ASIAAAAAAAAAAAAAAAA1"),
		row(1, b, "0f8e3b9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "ASIAAAAAAAAAAAAAAAA1"), // the caller's account too
		row(2, a, "0f8e3b9a-1c2d-4e5f-8a9b-0c1d2e3f4a5c", ""),
		row(3, a, "0f8e3b9a-1c2d-4e5f-8a9b-0c1d2e3f4a53", "ASIAAAAAAAAAAAAAAAA9"), // in the buckets of row 2's 'c' and of '1'
		row(4, a, "événement-é", "ASIAAAAAAAAAAAAAAAAé"),
		row(5, a, "x", "ASIAAAAAAAAAAAAAAAA1"), // the same key issued again
	}
	var args []any
	for _, e := range rows {
		args = append(args, int64(e.Key), e.Account, e.Time.Unix(), e.EventID, e.Source, e.Name, e.PrincipalARN, e.IssuerARN,
			e.Username, e.AccessKeyID, e.IssuedKeyID, e.ErrorCode, e.ReadOnly, e.Management, string(e.Event))
	}
	if _, err := db.ExecContext(t.Context(), insertEvents(len(rows)), args...); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := openAt(t, path)
	if err != nil {
		t.Fatalf("open a version 13 database: %v", err)
	}
	defer s.Close()
	if got := schemaVersions(t, s); len(got) != len(ms) {
		t.Errorf("versions after the upgrade: got %v, want %d", got, len(ms))
	}
	mgmt := true
	for _, c := range []struct {
		f    store.EventFilter
		want []uint64
	}{
		{store.EventFilter{Account: a, EventID: "0f8e3b9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}, []uint64{1}},
		{store.EventFilter{Account: b, EventID: "0f8e3b9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}, []uint64{1}},
		{store.EventFilter{Account: a, EventID: "0f8e3b9a-1c2d-4e5f-8a9b-0c1d2e3f4a5c"}, []uint64{2}},
		{store.EventFilter{Account: a, EventID: "0f8e3b9a-1c2d-4e5f-8a9b-0c1d2e3f4a53"}, []uint64{3}},
		{store.EventFilter{Account: a, EventID: "événement-é"}, []uint64{4}},
		{store.EventFilter{Account: a, EventID: "événement-é", Management: mgmt}, nil},
		{store.EventFilter{Account: a, EventID: "0f8e3b9a-1c2d-4e5f-8a9b-0c1d2e3f4a5d"}, nil},
		{store.EventFilter{Account: a, IssuedKeyID: "ASIAAAAAAAAAAAAAAAA1"}, []uint64{5, 1}},
		{store.EventFilter{Account: a, IssuedKeyID: "ASIAAAAAAAAAAAAAAAA1", Before: 5}, []uint64{1}},
		{store.EventFilter{Account: b, IssuedKeyID: "ASIAAAAAAAAAAAAAAAA1", Management: mgmt}, []uint64{1}},
		{store.EventFilter{Account: a, IssuedKeyID: "ASIAAAAAAAAAAAAAAAA9"}, []uint64{3}},
		{store.EventFilter{Account: a, IssuedKeyID: "ASIAAAAAAAAAAAAAAAAé"}, []uint64{4}},
		{store.EventFilter{Account: a, IssuedKeyID: "ASIAAAAAAAAAAAAAAAA2"}, nil},
		{store.EventFilter{Account: a, EventID: "x", IssuedKeyID: "ASIAAAAAAAAAAAAAAAA1"}, []uint64{5}},
	} {
		got, err := s.FindEvents(t.Context(), c.f)
		if err != nil {
			t.Fatal(err)
		}
		var keys []uint64
		for _, e := range got {
			keys = append(keys, e.Key)
		}
		if d := cmp.Diff(c.want, keys); d != "" {
			t.Errorf("FindEvents(%+v) keys (-want +got):\n%s", c.f, d)
		}
	}
	// Each lookup reads its bucket of its index, not every row of the
	// account.
	for _, c := range []struct {
		f     store.EventFilter
		index string
	}{
		{store.EventFilter{Account: a, EventID: "0f8e3b9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}, "audit_events_event_id"},
		{store.EventFilter{Account: a, IssuedKeyID: "ASIAAAAAAAAAAAAAAAA1", Management: true}, "audit_events_issued_key"},
	} {
		q, args := findQuery(c.f, false)
		detail := strings.Join(queryPlan(t, s, q, args), "\n")
		if !strings.Contains(detail, "INDEX "+c.index+" (account_id=? AND <expr>=?)") {
			t.Errorf("plan of %+v: %q; want it to read a bucket of %s", c.f, detail, c.index)
		}
	}
}

// queryPlan is the detail column of EXPLAIN QUERY PLAN of q.
func queryPlan(t *testing.T, s *Store, q string, args []any) []string {
	t.Helper()
	rows, err := s.rdb.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
