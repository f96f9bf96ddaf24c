package node

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// postgresStoreEnv is the environment of a node on a fresh PostgreSQL
// store (the test is skipped where pgtest has none) with its master key
// in a file, so that nodes started with the same env share both and each
// can read what another sealed; dsn is the store's.
func postgresStoreEnv(tb testing.TB) (env []string, dsn string) {
	tb.Helper()
	dsn = pgtest.DSN(tb)
	key := make([]byte, 32)
	rand.Read(key)
	keyFile := filepath.Join(tb.TempDir(), "master.key")
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		tb.Fatal(err)
	}
	return []string{"BREVET_STORE=" + dsn, "BREVET_MASTER_KEY_FILE=" + keyFile}, dsn
}

// startTwoNodes starts two nodes on one PostgreSQL store and master key (postgresStoreEnv);
// dir1 is the first's data directory, where its administrator's
// credentials are.
func startTwoNodes(tb testing.TB) (n1, n2 *Node, dir1 string) {
	tb.Helper()
	env, _ := postgresStoreEnv(tb)
	dir1, dir2 := filepath.Join(tb.TempDir(), "n1"), filepath.Join(tb.TempDir(), "n2")
	n1, _ = startNode(tb, dir1, Options{}, env...)
	n2, _ = startNode(tb, dir2, Options{}, env...)
	return n1, n2, dir1
}
