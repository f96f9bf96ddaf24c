package main

import "github.com/spf13/cobra"

// newPolicyCmd groups the offline tools for IAM policy documents. They use
// the same internal/policy code as the server, so what they say is what
// Brevet will do.
func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Work with IAM policy documents offline",
	}
	cmd.AddCommand(newPolicyValidateCmd())
	cmd.AddCommand(newPolicyEvalCmd())
	return cmd
}
