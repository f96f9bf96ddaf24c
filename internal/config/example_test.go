package config_test

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/config"
)

// Wiring `brevet serve`: bind the flags on the command, then load once the
// command line is parsed. In the real command Env is os.Environ().
func Example() {
	serve := &cobra.Command{
		Use: "serve",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(config.LoadArgs{
				Env:   []string{"BREVET_MASTER_KEY=pWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWk=", "BREVET_REGION=us-west-2"},
				Flags: cmd.Flags(),
			})
			if err != nil {
				return err
			}
			fmt.Println(cfg.Listen, cfg.Regions, cfg.Store, cfg.MasterKey)
			return nil
		},
	}
	config.BindFlags(serve.Flags())
	serve.SetArgs([]string{"--listen", "127.0.0.1:9000", "--region", "eu-west-1,eu-central-1"})
	if err := serve.Execute(); err != nil {
		fmt.Println(err)
	}
	// Output: 127.0.0.1:9000 [eu-west-1 eu-central-1] sqlite:brevet-data/brevet.db [redacted, from BREVET_MASTER_KEY]
}
