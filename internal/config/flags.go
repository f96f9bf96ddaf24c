package config

import (
	"time"

	"github.com/spf13/pflag"
)

// BindFlags defines every setting's flag, and --config, on fs (for cobra,
// cmd.Flags()). The defaults shown in help are the real defaults, but Load
// only uses flags given on the command line, so a default never overrides
// the file or the environment.
func BindFlags(fs *pflag.FlagSet) {
	fs.String(FlagConfigFile, "", "YAML config file (env "+EnvConfigFile+")")
	for s := range numSettings {
		st := settings[s]
		if st.flag == "" {
			continue
		}
		usage := st.usage + " (env " + st.env + ")"
		switch st.kind {
		case kindBool:
			fs.Bool(st.flag, false, usage)
		case kindList:
			fs.StringSlice(st.flag, splitList(st.def), usage)
		case kindDuration:
			d, _ := time.ParseDuration(st.def) // the table's defaults are tested to parse
			fs.Duration(st.flag, d, usage)
		default:
			fs.String(st.flag, st.def, usage)
		}
	}
}
