package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/backup"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/datadir"
	"github.com/brevet-dev/brevet/internal/node"
)

// restoreLockHolder is how restore names itself in the data directory's
// lock file.
const restoreLockHolder = "brevet restore"

// postgresBackupHelp is what backup and restore say for a PostgreSQL
// store, whose data PostgreSQL's own tools copy.
const postgresBackupHelp = `the store is PostgreSQL: back it up with PostgreSQL's tools, not brevet backup:
  1. the database:   pg_dump --format=custom --file=brevet.dump "$BREVET_STORE"
     (restore: pg_restore --dbname=NEW_DATABASE brevet.dump; or continuous archiving / PITR)
  2. the audit trail: in a cluster it is in the same database (dumped with it); copy each
     node's DATA_DIR/audit (signing-key.pem, node-id, and its spool if it has one)
  3. the master key: DATA_DIR/master.key or the --master-key-file of the nodes,
     kept apart from the dump
see docs/operations.md`

func newBackupCmd() *cobra.Command {
	var out string
	var withKey bool
	cmd := &cobra.Command{
		Use:   "backup --out DIR [--include-master-key]",
		Short: "Copy the store, the audit trail and (on request) the master key, while the server runs",
		Long: `Backup copies a data directory's state into a new directory DIR while brevet
serve keeps running on it:

  brevet.db        the SQLite store, through SQLite's online backup API: the
                   database as of one committed transaction
  audit/           the audit trail: signed digests, event files (the active one up
                   to its last complete record), the trail's signing key
  master.key       only with --include-master-key
  manifest.json    every file with its size and SHA-256, written last

The master key is left out unless --include-master-key is given: the secrets in
brevet.db (access keys, MFA seeds, token keys) are sealed under it, so a backup
holding both gives whoever reads it every secret. Keep the key somewhere else,
or include it and protect the backup accordingly.

Restore with ` + "`brevet restore --from DIR --data-dir NEW`" + `. For a PostgreSQL
store, backup prints what to copy instead; see docs/operations.md.

  brevet backup --data-dir ./brevet-data --out ./backup-$(date +%Y%m%d)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(config.LoadArgs{Env: os.Environ(), Flags: cmd.Flags()})
			if err != nil {
				return err
			}
			if cfg.Store.Driver == config.StorePostgres {
				return errors.New(postgresBackupHelp)
			}
			src := backup.Source{
				StorePath: cfg.Store.Path,
				AuditDir:  filepath.Join(cfg.DataDir, "audit"),
				Now:       time.Now(),
				Version:   node.ReadBuild().Version,
			}
			if _, err := os.Stat(src.StorePath); err != nil {
				return fmt.Errorf("no store to back up at %s (run brevet serve first, or give --data-dir or --store)", src.StorePath)
			}
			if withKey {
				if src.MasterKeyFile, err = backupKeyFile(cfg); err != nil {
					return err
				}
			}
			m, err := backup.Create(cmd.Context(), src, out)
			if err != nil {
				return err
			}
			printBackup(cmd.OutOrStdout(), out, m)
			return nil
		},
	}
	bindStateFlags(cmd.Flags())
	cmd.Flags().StringVar(&out, "out", "", "the backup directory to create (must not exist, or be empty)")
	cmd.Flags().BoolVar(&withKey, "include-master-key", false, "also copy the master key into the backup (read the note this prints)")
	cmd.MarkFlagRequired("out")
	return cmd
}

// backupKeyFile is the master key file to include in a backup.
func backupKeyFile(cfg *config.Config) (string, error) {
	if f := cfg.MasterKey.File(); f != "" {
		return f, nil
	}
	if cfg.MasterKey.Configured() {
		return "", errors.New("--include-master-key: the master key comes from BREVET_MASTER_KEY, not a file; " +
			"keep it where that variable's value is kept, and back up without --include-master-key")
	}
	p := filepath.Join(cfg.DataDir, masterkey.DataDirKeyFile)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("--include-master-key: %w", err)
	}
	return p, nil
}

func printBackup(w io.Writer, dir string, m *backup.Manifest) {
	var size int64
	audits := 0
	for _, f := range m.Files {
		size += f.Size
		if f.Kind == backup.KindAudit {
			audits++
		}
	}
	fmt.Fprintf(w, "backup in %s: %d files, %d bytes (the store, %d audit trail files); manifest %s\n",
		dir, len(m.Files), size, audits, filepath.Join(dir, backup.ManifestFile))
	if m.MasterKey {
		fmt.Fprintln(w, "WARNING: this backup holds the master key: whoever reads it can open every secret in the store.\n"+
			"Encrypt it and restrict who can read it.")
		return
	}
	fmt.Fprintln(w, "NOTE: this backup does NOT hold the master key. The secrets in the store are sealed under it:\n"+
		"without it a restored server cannot open them. Keep a copy of the key apart from this backup\n"+
		"(DATA_DIR/master.key, or your --master-key-file), or back up with --include-master-key.")
}

func newRestoreCmd() *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "restore --from DIR --data-dir NEW",
		Short: "Restore a backup into a new, empty data directory",
		Long: `Restore checks a backup made by ` + "`brevet backup`" + ` (every file against the
manifest's checksums, the database's integrity, the audit trail's hash chain and
signed digests) and, only if all of that holds, copies it into the data directory
NEW, which must not exist or be empty. It refuses a data directory a server is
running on. Then start the server on it:

  brevet restore --from ./backup-20261206 --data-dir ./brevet-data-restored
  brevet serve --data-dir ./brevet-data-restored

When the backup does not hold the master key, put the key at NEW/master.key (or
give --master-key-file to brevet serve) before starting the server.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(config.LoadArgs{Env: os.Environ(), Flags: cmd.Flags()})
			if err != nil {
				return err
			}
			if cfg.Store.Driver == config.StorePostgres {
				return errors.New(postgresBackupHelp)
			}
			r, err := backup.Restore(cmd.Context(), from, backup.Target{DataDir: cfg.DataDir, StorePath: cfg.Store.Path, Holder: restoreLockHolder})
			var locked *datadir.LockedError
			if errors.As(err, &locked) {
				return fmt.Errorf("a server is running on %s; restore into a new data directory (%w)", cfg.DataDir, err)
			}
			if err != nil {
				return err
			}
			printRestore(cmd.OutOrStdout(), cfg, r)
			return nil
		},
	}
	bindStateFlags(cmd.Flags())
	cmd.Flags().StringVar(&from, "from", "", "the backup directory (made by brevet backup)")
	cmd.MarkFlagRequired("from")
	return cmd
}

func printRestore(w io.Writer, cfg *config.Config, r *backup.Restored) {
	m := r.Manifest
	fmt.Fprintf(w, "restored the backup of %s (brevet %s) into %s: %d files\n",
		m.Created.Format(time.RFC3339), m.Brevet, cfg.DataDir, len(m.Files))
	if a := r.Audit; a != nil {
		fmt.Fprintf(w, "audit trail verified: %d events (seq %d..%d), %d signed digests\n", a.Events, a.FirstSeq, a.LastSeq, a.Digests)
	}
	if m.MasterKey {
		fmt.Fprintf(w, "master key restored to %s\n", filepath.Join(cfg.DataDir, masterkey.DataDirKeyFile))
		return
	}
	fmt.Fprintf(w, "NOTE: the backup holds no master key: put the key the store was sealed under at %s\n"+
		"(or give brevet serve --master-key-file) before starting the server\n", filepath.Join(cfg.DataDir, masterkey.DataDirKeyFile))
}
