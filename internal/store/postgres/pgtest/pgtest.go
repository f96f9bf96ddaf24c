// Package pgtest gives each test its own PostgreSQL schema, so that test
// runs (parallel packages, parallel CI jobs, a developer's own data) never
// see each other's tables. Tests run against the server named by
// BREVET_TEST_POSTGRES_DSN; without it they skip, except under CI=true,
// where a missing DSN fails the test so PostgreSQL is never silently left
// untested.
//
// It is test support only; production code never imports it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable holding the test server's DSN.
const EnvDSN = "BREVET_TEST_POSTGRES_DSN"

// DSN creates a fresh schema brevet_test_<random>, drops it (CASCADE) when
// the test ends, and returns the server's DSN with search_path set to it.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDSN)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is unset under CI=true: the PostgreSQL tests must run in CI", EnvDSN)
		}
		t.Skipf("%s is unset; set it (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL tests", EnvDSN)
	}
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		t.Fatalf("%s must be a postgres:// URL", EnvDSN)
	}
	var b [8]byte
	rand.Read(b[:])
	schema := "brevet_test_" + hex.EncodeToString(b[:])
	exec(t, base, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { exec(t, base, `DROP SCHEMA `+schema+` CASCADE`) })

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s does not parse", EnvDSN)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}
