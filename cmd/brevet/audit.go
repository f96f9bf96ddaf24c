package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/spf13/cobra"
)

// defaultDataDir is `brevet serve`'s default data directory.
const defaultDataDir = "./brevet-data"

// auditDir names the file trail as the audit commands take it: --data-dir,
// the directory given to `brevet serve` (the trail is DATA_DIR/audit), or
// --dir, the audit directory itself (a copy shipped elsewhere, say).
type auditDir struct {
	dataDir, dir string
}

// register adds --data-dir and --dir to cmd.
func (a *auditDir) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&a.dataDir, "data-dir", defaultDataDir, "Brevet's data directory, as given to brevet serve; the trail is DATA_DIR/audit")
	f.StringVar(&a.dir, "dir", "", "the audit directory itself, instead of --data-dir")
}

// path returns the audit directory the flags name; giving both is an
// error.
func (a *auditDir) path(cmd *cobra.Command) (string, error) {
	f := cmd.Flags()
	if f.Changed("data-dir") && f.Changed("dir") {
		return "", errors.New("--data-dir and --dir both name the trail (--dir is DATA_DIR/audit itself): give one")
	}
	if f.Changed("dir") {
		if a.dir == "" {
			return "", errors.New("--dir is empty")
		}
		return a.dir, nil
	}
	if a.dataDir == "" {
		return "", errors.New("--data-dir is empty")
	}
	return filepath.Join(a.dataDir, "audit"), nil
}

// newAuditCmd groups the offline tools for the audit trail. They read the
// files directly, so they work while the server runs and on a copy
// shipped elsewhere.
func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify, search and export the key of the audit trail",
	}
	cmd.AddCommand(newAuditVerifyCmd())
	cmd.AddCommand(newAuditSearchCmd())
	cmd.AddCommand(newAuditExportKeyCmd())
	return cmd
}

func newAuditExportKeyCmd() *cobra.Command {
	var dir auditDir
	var out string
	cmd := &cobra.Command{
		Use:   "export-key",
		Short: "Print the public key that verifies the trail's signed digests",
		Long: `Export-key prints the PEM public key of the trail's signing key
(DATA_DIR/audit/signing-key.pem), for ` + "`brevet audit verify --public-key`" + `. Keep a copy
away from the server: verification with a key taken from the same machine
as the trail proves less.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := dir.path(cmd)
			if err != nil {
				return err
			}
			pub, err := dirPublicKey(path)
			if err != nil {
				return err
			}
			pemBytes, err := audit.MarshalPublicKey(pub)
			if err != nil {
				return err
			}
			if out != "" {
				return os.WriteFile(out, pemBytes, 0o644)
			}
			_, err = cmd.OutOrStdout().Write(pemBytes)
			return err
		},
	}
	dir.register(cmd)
	cmd.Flags().StringVar(&out, "out", "", "write the key to this file instead of standard output")
	return cmd
}

// dirPublicKey reads the signing key of an audit directory, without ever
// creating one.
func dirPublicKey(dir string) (ed25519.PublicKey, error) {
	path := filepath.Join(dir, audit.KeyFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no signing key at %s (--data-dir names Brevet's data directory, --dir the audit directory itself)", path)
	}
	s, err := audit.LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	return s.Public(), nil
}

// parseTime reads --from and --to: RFC 3339, a date (midnight UTC), or a
// duration meaning that long ago ("24h").
func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2026-11-22T08:00:00Z), a date (2026-11-22) or a duration ago (24h)", s)
}
