package main

import "github.com/spf13/cobra"

// subcommands lists every subcommand of brevet, one constructor each, so
// that adding a command is one line here and one file beside it.
func subcommands() []*cobra.Command {
	return []*cobra.Command{
		newPolicyCmd(),
		newAuditCmd(),
		newServeCmd(),
		newKeysCmd(),
		newBenchCmd(),
		newMigrateCmd(),
		newImportCmd(),
		newSessionsCmd(),
		newHostsCmd(),
		newSSOCmd(),
		newUpstreamCmd(),
		newBackupCmd(),
		newRestoreCmd(),
		newAgentCmd(),
		newCredentialProcessCmd(),
	}
}
