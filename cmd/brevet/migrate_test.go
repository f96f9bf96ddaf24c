package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store/migrate"
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
