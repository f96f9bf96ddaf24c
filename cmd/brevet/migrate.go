package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/migrate"
	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

// newMigrateCmd is `brevet migrate`: copy a whole store to another backend.
func newMigrateCmd() *cobra.Command {
	var from, to string
	var force bool
	cmd := &cobra.Command{
		Use:   "migrate --from STORE --to STORE",
		Short: "Copy every IAM entity and key from one store to another (SQLite ↔ PostgreSQL)",
		Long: `Migrate copies a whole Brevet store into another: accounts, users, groups and
their members, roles, managed policies with every version, inline policies,
attachments, access keys, MFA devices, OIDC and SAML identity providers, key
material (the session-token keys, the authorization-message key and the OIDC
issuer's signing keys), issuance records and revocations, keeping ids, dates
and encrypted secrets as they are (the same master key opens them). The copy
is one transaction on the destination: all or nothing. The change feed is not
copied: the destination starts its own.

A STORE is sqlite:DATA_DIR (the database DATA_DIR/brevet.db), sqlite:FILE.db,
or a postgres://user@host:port/db URL. Stop Brevet before migrating; the
destination must be empty unless --force is given.

  brevet migrate --from sqlite:./brevet-data --to postgres://brevet@db:5432/brevet
  brevet migrate --from postgres://brevet@db:5432/brevet --to sqlite:./restored`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			counts, err := runMigrate(cmd.Context(), from, to, force)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "migrated %s to %s: %s\n", describeStore(from), describeStore(to), counts)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "source store: sqlite:DATA_DIR, sqlite:FILE.db or postgres://...")
	f.StringVar(&to, "to", "", "destination store: sqlite:DATA_DIR, sqlite:FILE.db or postgres://...")
	f.BoolVar(&force, "force", false, "copy into a destination that already holds data")
	cmd.MarkFlagRequired("from")
	cmd.MarkFlagRequired("to")
	return cmd
}

func runMigrate(ctx context.Context, from, to string, force bool) (migrate.Counts, error) {
	if from == to {
		return migrate.Counts{}, errors.New("--from and --to name the same store")
	}
	src, err := openMigrateStore(ctx, from, true)
	if err != nil {
		return migrate.Counts{}, fmt.Errorf("--from: %w", err)
	}
	defer src.Close()
	dst, err := openMigrateStore(ctx, to, false)
	if err != nil {
		return migrate.Counts{}, fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()
	counts, err := migrate.Copy(ctx, src, dst, migrate.Options{
		// Every purpose of key material Brevet keeps (see bootstrap): the
		// store cannot list them. TestMigrateCopiesServerKeys checks them
		// against what a server creates.
		KeyPurposes: []string{bootstrap.TokenRingPurpose, bootstrap.MessageKeyPurpose, bootstrap.OIDCKeysPurpose, bootstrap.S3BackendPurpose},
		Force:       force,
	})
	if errors.Is(err, migrate.ErrNotEmpty) {
		return counts, fmt.Errorf("%w: %s already holds accounts or keys; give --force to copy into it anyway", err, describeStore(to))
	}
	return counts, err
}

// openMigrateStore opens a store named as --from or --to take it. A source
// must exist: opening a missing SQLite file would create an empty one and
// copy nothing.
func openMigrateStore(ctx context.Context, spec string, source bool) (store.Store, error) {
	switch {
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return postgres.Open(ctx, spec, postgres.Options{Now: time.Now})
	case strings.HasPrefix(spec, "sqlite:"):
		path, err := sqlitePath(strings.TrimPrefix(spec, "sqlite:"))
		if err != nil {
			return nil, err
		}
		if source {
			if _, err := os.Stat(path); err != nil {
				return nil, fmt.Errorf("no SQLite store at %s: %w", path, err)
			}
		} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		return sqlite.Open(ctx, sqlite.Config{Path: path, Now: time.Now})
	}
	return nil, fmt.Errorf("%q is not a store; use sqlite:DATA_DIR, sqlite:FILE.db or postgres://user@host/db", describeStore(spec))
}

// sqlitePath resolves sqlite:X: a directory (existing, or any name not
// ending in .db) holds brevet.db, as in `brevet serve --data-dir`; anything
// else is the database file itself.
func sqlitePath(p string) (string, error) {
	if p == "" {
		return "", errors.New("sqlite: needs a data directory or a database file, for example sqlite:./brevet-data")
	}
	fi, err := os.Stat(p)
	switch {
	case err == nil && fi.IsDir():
		return filepath.Join(p, "brevet.db"), nil
	case err == nil:
		return p, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", err
	case strings.HasSuffix(p, ".db"):
		return p, nil
	}
	return filepath.Join(p, "brevet.db"), nil
}

// describeStore names a store for messages without its password.
func describeStore(spec string) string {
	if u, err := url.Parse(spec); err == nil && u.User != nil {
		return u.Redacted()
	}
	if strings.Contains(spec, "://") {
		if _, err := url.Parse(spec); err != nil {
			return "(a URL that does not parse)"
		}
	}
	return spec
}
