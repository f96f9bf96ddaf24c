package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/broker"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/node"
	"github.com/brevet-dev/brevet/internal/store"
)

// newKeysCmd groups the rotation of the keys behind brevet serve's
// secrets. The subcommands read the same settings as serve (data
// directory, store, master key), so they act on the same state.
func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Rotate the session-token keys and the master key",
	}
	cmd.AddCommand(newRotateTokenKeyCmd(), newRotateMasterKeyCmd(), newRotateOIDCKeyCmd())
	return cmd
}

func newRotateTokenKeyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate-token-key",
		Short: "Make a new session-token key active",
		Long: `Make a new key active for sealing session tokens. Tokens sealed by the previous
key stay valid until they expire (at most 36 hours); the key is dropped after
that. A running brevet serve picks the new key up within a fraction of a
second, so rotation needs no restart. Rotate daily or so.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, func(ctx context.Context, st store.Store, master *masterkey.Keyring, _ *config.Config) error {
				id, err := bootstrap.RotateTokenKey(ctx, st, master, rand.Reader, time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "new session-token key:", id)
				return nil
			})
		},
	}
	bindStateFlags(cmd.Flags())
	return cmd
}

func newRotateMasterKeyCmd() *cobra.Command {
	var keepOld bool
	cmd := &cobra.Command{
		Use:   "rotate-master-key",
		Short: "Generate a new master key and re-encrypt every stored secret under it",
		Long: `Generate a new master key, add it to the key file as the active key, re-encrypt
every stored secret under it (access keys, MFA seeds, session-token keys, the
authorization-message key), then remove the old keys from the file unless
--keep-old is given.

Stop brevet serve first and start it again afterwards: a running server holds
the old key ring and cannot read secrets sealed under the new key. The command
refuses to run while a server holds the data directory (DATA_DIR/.lock); in a
PostgreSQL cluster, stop every node, since each locks only its own. The master
key must come from a key file (DATA_DIR/master.key or --master-key-file); a key
given in BREVET_MASTER_KEY is rotated by moving it into a key file first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, func(ctx context.Context, st store.Store, master *masterkey.Keyring, cfg *config.Config) error {
				lock, err := lockForMasterKeyRotation(cfg.DataDir) // keys_lock.go
				if err != nil {
					return err
				}
				defer lock.Release()
				path, err := masterKeyFile(cfg)
				if err != nil {
					return err
				}
				rotated, err := master.Rotate(rand.Reader, time.Now())
				if err != nil {
					return err
				}
				// The new key is saved before anything is sealed under it.
				if err := masterkey.WriteKeyFile(path, rotated); err != nil {
					return err
				}
				rep, err := bootstrap.Rewrap(ctx, st, rotated)
				if err != nil {
					return fmt.Errorf("%w; the key file keeps the old keys, so nothing is lost: run the command again", err)
				}
				upstreamKeys, err := rewrapUpstreamKeys(ctx, st, rotated)
				if err != nil {
					return fmt.Errorf("%w; the key file keeps the old keys, so nothing is lost: run the command again", err)
				}
				final := rotated
				if !keepOld {
					for _, id := range master.IDs() {
						if final, err = final.Without(id); err != nil {
							return err
						}
					}
					if err := masterkey.WriteKeyFile(path, final); err != nil {
						return err
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "new master key %s in %s; re-encrypted %d access keys, %d MFA seeds, %d key records, %d upstream keys; keys in the file: %v\n",
					rotated.ActiveID(), path, rep.AccessKeys, rep.MFADevices, rep.KeyRecords, upstreamKeys, final.IDs())
				return nil
			})
		},
	}
	bindStateFlags(cmd.Flags())
	cmd.Flags().BoolVar(&keepOld, "keep-old", false, "keep the old keys in the key file as decrypt-only")
	return cmd
}

// rewrapUpstreamKeys seals the broker's upstream keys (issue 18) under
// the new master key, in one transaction.
func rewrapUpstreamKeys(ctx context.Context, st store.Store, master *masterkey.Keyring) (int, error) {
	var n int
	err := st.Tx(ctx, func(r store.Repos) error {
		accounts, err := r.Accounts().List(ctx)
		if err != nil {
			return err
		}
		ids := make([]string, len(accounts))
		for i, a := range accounts {
			ids[i] = a.ID
		}
		n, err = broker.Rewrap(ctx, r.Objects(), ids, master, master)
		return err
	})
	return n, err
}

// masterKeyFile is the key file to rotate.
func masterKeyFile(cfg *config.Config) (string, error) {
	if f := cfg.MasterKey.File(); f != "" {
		return f, nil
	}
	if cfg.MasterKey.Configured() {
		return "", errors.New("the master key comes from BREVET_MASTER_KEY; to rotate it, move it into a key file " +
			"(--master-key-file) first, see docs/credentials.md")
	}
	return filepath.Join(cfg.DataDir, masterkey.DataDirKeyFile), nil
}

// withStore loads the configuration, the existing master key and the store,
// and runs fn. It refuses to generate a master key: a key command on a
// data directory that was never served has nothing to rotate.
func withStore(cmd *cobra.Command, fn func(context.Context, store.Store, *masterkey.Keyring, *config.Config) error) (err error) {
	cfg, err := config.Load(config.LoadArgs{Env: os.Environ(), Flags: cmd.Flags()})
	if err != nil {
		return err
	}
	if !cfg.MasterKey.Configured() {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, masterkey.DataDirKeyFile)); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s has no master key: run brevet serve first", cfg.DataDir)
		}
	}
	master, _, err := cfg.MasterKey.Load(cfg.DataDir)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	st, err := node.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	return fn(ctx, st, master, cfg)
}
