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

// defaultAuditDir is where `brevet serve` keeps the trail with the
// default data directory (DATA_DIR/audit).
const defaultAuditDir = "brevet-data/audit"

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
	var dir, out string
	cmd := &cobra.Command{
		Use:   "export-key",
		Short: "Print the public key that verifies the trail's signed digests",
		Long: `Export-key prints the PEM public key of the trail's signing key
(DIR/signing-key.pem), for ` + "`brevet audit verify --public-key`" + `. Keep a copy
away from the server: verification with a key taken from the same machine
as the trail proves less.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pub, err := dirPublicKey(dir)
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
	cmd.Flags().StringVar(&dir, "dir", defaultAuditDir, "audit directory")
	cmd.Flags().StringVar(&out, "out", "", "write the key to this file instead of standard output")
	return cmd
}

// dirPublicKey reads the signing key of an audit directory, without ever
// creating one.
func dirPublicKey(dir string) (ed25519.PublicKey, error) {
	path := filepath.Join(dir, audit.KeyFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no signing key at %s (is --dir the audit directory?)", path)
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
