package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/store"
)

// newRotateOIDCKeyCmd is `brevet keys rotate-oidc-key`.
func newRotateOIDCKeyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate-oidc-key",
		Short: "Make new signing keys active for GetWebIdentityToken",
		Long: `Make a new RS256 and a new ES384 key active for the tokens GetWebIdentityToken
signs. The previous keys sign nothing more but stay in the published JWKS until
every token they signed has expired (at most an hour and five minutes); keys
past that are dropped. A running brevet serve picks the new keys up within a
fraction of a second.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, func(ctx context.Context, st store.Store, master *masterkey.Keyring, _ *config.Config) error {
				ids, err := bootstrap.RotateIssuerKeys(ctx, st, master, time.Now())
				if err != nil {
					return err
				}
				for _, id := range ids {
					fmt.Fprintln(cmd.OutOrStdout(), "new OIDC signing key:", id)
				}
				return nil
			})
		},
	}
	bindStateFlags(cmd.Flags())
	return cmd
}
