package node

import (
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/brevet-dev/brevet/internal/store"
)

// TestEventIndexBackfillsAnUpgradedPostgreSQLTrail: a PostgreSQL store
// upgraded from before the event index (its trail holds events, the
// index has no rows for them) indexes them at the next start, so that
// LookupEvents, which answers from the index, still finds them, as the
// scan of the trail it replaced did.
func TestEventIndexBackfillsAnUpgradedPostgreSQLTrail(t *testing.T) {
	env, dsn := postgresStoreEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	n, stop := startNode(t, dir, Options{}, env...)
	creds := adminCreds(t, dir)
	for range 3 {
		if code, body := signedPost(t, n.URL(), creds, "Action=GetCallerIdentity&Version=2011-06-15"); code != 200 {
			t.Fatalf("GetCallerIdentity: %d %s", code, body)
		}
	}
	indexed := func(n *Node) int {
		t.Helper()
		rs, err := n.st.(store.EventIndex).FindEvents(t.Context(), store.EventFilter{Account: testAccount, Name: "GetCallerIdentity"})
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	if got := indexed(n); got != 3 {
		t.Fatalf("%d GetCallerIdentity events indexed, want 3", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// The store as it was before the index: the trail, no index.
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE audit_events`, `DROP TABLE IF EXISTS audit_event_index_position`,
		`DELETE FROM schema_migrations WHERE version >= 12`} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(t.Context())

	n, _ = startNode(t, dir, Options{}, env...)
	if got := indexed(n); got != 3 {
		t.Errorf("after the upgrade %d GetCallerIdentity events indexed, want the trail's 3", got)
	}
}
