package node

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Build says which build of Brevet is running, from what the Go toolchain
// stamps into the binary (runtime/debug.ReadBuildInfo). `go build` in a
// git checkout records the module version (a tag, or a pseudo-version
// naming the commit) and the commit; `go run` and `go test` record
// neither.
type Build struct {
	// Version is the main module's version, "(devel)" when not stamped.
	Version string
	// Revision is the commit built from (vcs.revision), "" when not
	// stamped.
	Revision string
	// Modified says the tree had uncommitted changes (vcs.modified).
	Modified bool
	// GoVersion is the toolchain that built the binary.
	GoVersion string
}

// ReadBuild reads the running binary's build information.
func ReadBuild() Build {
	b := Build{Version: "(devel)", GoVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	return buildFrom(info)
}

// buildFrom reads Build from a binary's build information.
func buildFrom(info *debug.BuildInfo) Build {
	b := Build{Version: info.Main.Version, GoVersion: info.GoVersion}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the build on one line, as `brevet version` prints it:
// "brevet v1.2.0 (commit 0123abc…, modified) go1.26.8".
func (b Build) String() string {
	var s strings.Builder
	s.WriteString("brevet " + b.Version)
	if b.Revision != "" {
		s.WriteString(" (commit " + b.Revision)
		if b.Modified {
			s.WriteString(", modified")
		}
		s.WriteString(")")
	}
	s.WriteString(" " + b.GoVersion)
	return s.String()
}
