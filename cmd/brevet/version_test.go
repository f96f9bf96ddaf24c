package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/node"
)

// TestVersion: `brevet version` and `brevet --version` print the same
// line, the build's.
func TestVersion(t *testing.T) {
	want := node.ReadBuild().String() + "\n"
	if !strings.HasPrefix(want, "brevet ") || !strings.Contains(want, runtime.Version()) {
		t.Fatalf("the build line %q lacks the name or %s", want, runtime.Version())
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		root := newRootCmd()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("brevet %s: %v", args[0], err)
		}
		if got := out.String(); got != want {
			t.Errorf("brevet %s printed %q; want %q", args[0], got, want)
		}
	}
}
