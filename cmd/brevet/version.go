package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/node"
)

// newVersionCmd is `brevet version`, which prints what `brevet --version`
// prints: the module version, the commit and the Go toolchain, from the
// build information the Go toolchain stamps into the binary.
func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Brevet's version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), node.ReadBuild())
			return err
		},
	}
}
