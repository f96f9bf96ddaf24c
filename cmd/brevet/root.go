package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/node"
)

// exitCode is returned by a subcommand that has already reported its outcome
// and only needs the process to exit with a particular status (for example
// `brevet policy eval`, which exits 2 for a denied request).
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

func asExitCode(err error, code *exitCode) bool { return errors.As(err, code) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "brevet",
		Short: "Brevet: temporary, least-privilege, audited credentials over the AWS STS and IAM APIs",
		// Subcommands print their own errors in AWS terms; cobra's usage dump
		// on every error hides them.
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version prints what `brevet version` prints (version.go).
		Version: node.ReadBuild().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(subcommands()...)
	root.AddCommand(newVersionCmd())
	return root
}
