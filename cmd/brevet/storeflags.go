package main

import (
	"github.com/spf13/pflag"

	"github.com/brevet-dev/brevet/internal/config"
)

// bindStateFlags defines, on fs, the settings of a command that works on
// Brevet's state without serving it (keys, backup, restore): where the
// state is (--config, --data-dir, --store) and the master key file. The
// serving settings (listen, TLS, logs, ...) are left out, so that the
// command's help shows only flags that change what it does. config.Load
// reads whichever settings' flags the set holds.
func bindStateFlags(fs *pflag.FlagSet) {
	all := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	config.BindFlags(all)
	for _, name := range []string{config.FlagConfigFile, "data-dir", "store", "master-key-file"} {
		fs.AddFlag(all.Lookup(name))
	}
}
