package main

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store/migrate"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

func TestMigrateCmd(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "data")
	if err := os.Mkdir(src, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(src, "brevet.db"), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Accounts().Create(t.Context(), iam.Account{ID: "111122223333", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	run := func(args ...string) (string, error) {
		root := newRootCmd()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs(append([]string{"migrate"}, args...))
		err := root.Execute()
		return out.String(), err
	}
	dst := "sqlite:" + filepath.Join(dir, "copy")
	out, err := run("--from", "sqlite:"+src, "--to", dst)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if !strings.Contains(out, "accounts 1,") {
		t.Errorf("output %q does not count the account", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "copy", "brevet.db")); err != nil {
		t.Errorf("destination database: %v", err)
	}
	if _, err := run("--from", "sqlite:"+src, "--to", dst); !errors.Is(err, migrate.ErrNotEmpty) {
		t.Errorf("second migrate: got %v, want ErrNotEmpty", err)
	}
	if _, err := run("--from", "sqlite:"+filepath.Join(dir, "missing"), "--to", "sqlite:"+filepath.Join(dir, "x")); err == nil {
		t.Errorf("missing source: got nil error")
	}
}

// A store as a server leaves it (first start, OIDC issuer keys, an OIDC
// and a SAML provider) goes SQLite → PostgreSQL → SQLite with every row of
// every table but the change feed and the schema's own bookkeeping.
func TestMigrateCopiesServerKeys(t *testing.T) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	dir := t.TempDir()
	src := filepath.Join(dir, "data")
	if err := os.Mkdir(src, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(src, "brevet.db"), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	master, err := masterkey.Generate(rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	const acct = "111122223333"
	if _, err := bootstrap.Run(ctx, bootstrap.Config{Store: s, Master: master, AccountID: acct, DataDir: src, Now: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := bootstrap.LoadIssuerKeys(ctx, s, master, now); err != nil {
		t.Fatal(err)
	}
	for _, p := range []iam.Provider{
		{Kind: iam.ProviderOIDC, Account: acct, Name: "token.actions.example.com", URL: "https://token.actions.example.com",
			ClientIDs: []string{"sts.amazonaws.com"}, Created: now, Updated: now},
		{Kind: iam.ProviderSAML, Account: acct, Name: "corp", Metadata: "<EntityDescriptor/>", UUID: "u-1",
			ValidUntil: now.AddDate(100, 0, 0), Created: now, Updated: now},
	} {
		if err := s.Providers().Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	pg := pgtest.DSN(t)
	back := filepath.Join(dir, "back")
	for _, args := range [][]string{{"--from", "sqlite:" + src, "--to", pg}, {"--from", pg, "--to", "sqlite:" + back}} {
		root := newRootCmd()
		root.SetOut(new(bytes.Buffer))
		root.SetArgs(append([]string{"migrate"}, args...))
		if err := root.Execute(); err != nil {
			t.Fatalf("migrate %s: %v", strings.Join(args, " "), err)
		}
	}
	want, got := tableContents(t, filepath.Join(src, "brevet.db")), tableContents(t, filepath.Join(back, "brevet.db"))
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tables after SQLite → PostgreSQL → SQLite (-want +got):\n%s", d)
	}
	for _, table := range []string{"key_material", "identity_providers"} {
		if len(want[table]) < 2 {
			t.Errorf("the source's %s: %q, want at least two rows", table, want[table])
		}
	}
}

// tableContents reads every table of a SQLite store but the change feed
// and the schema's bookkeeping, each row as one string, rows sorted.
func tableContents(t *testing.T, path string) map[string][]string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables []string
	rows, err := db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT IN ('changes', 'schema_migrations', 'sqlite_sequence') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]string)
	for _, table := range tables {
		rows, err := db.QueryContext(t.Context(), `SELECT * FROM "`+table+`"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		out[table] = []string{}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], fmt.Sprintf("%q", vals))
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(out[table])
	}
	return out
}

func TestSQLitePath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "state.sqlite")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{dir, filepath.Join(dir, "brevet.db")},
		{file, file},
		{filepath.Join(dir, "new"), filepath.Join(dir, "new", "brevet.db")},
		{filepath.Join(dir, "new.db"), filepath.Join(dir, "new.db")},
	} {
		if got, err := sqlitePath(tc.in); err != nil || got != tc.want {
			t.Errorf("sqlitePath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestDescribeStoreHidesPassword(t *testing.T) {
	got := describeStore("postgres://brevet:s3cret@db:5432/brevet")
	if strings.Contains(got, "s3cret") {
		t.Errorf("describeStore shows the password: %q", got)
	}
}
