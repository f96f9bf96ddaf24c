package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// helpOf returns `brevet ARGS --help`.
func helpOf(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runCLI(t, append(args, "--help")...)
	if err != nil {
		t.Fatalf("brevet %v --help: %v", args, err)
	}
	return out
}

// TestKeysHelpShowsOnlyItsFlags: the key commands take the state's
// settings, not serve's listeners, TLS and logs.
func TestKeysHelpShowsOnlyItsFlags(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{"rotate-token-key", []string{"--data-dir string", "--store string", "--master-key-file string", "--config string"}},
		{"rotate-oidc-key", []string{"--data-dir string", "--store string", "--master-key-file string", "--config string"}},
		{"rotate-master-key", []string{"--data-dir string", "--keep-old", "--master-key-file string"}},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			got := helpOf(t, "keys", tc.cmd)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("help lacks %q:\n%s", w, got)
				}
			}
			for _, leak := range []string{"--listen", "--tls-cert", "--log-level", "--region", "--metrics-listen", "--shutdown-grace", "--account-id"} {
				if strings.Contains(got, leak) {
					t.Errorf("help shows serve's %s:\n%s", leak, got)
				}
			}
		})
	}
}

func TestAuditVerifyHelpRendersFlags(t *testing.T) {
	got := helpOf(t, "audit", "verify")
	for _, w := range []string{"--data-dir string", "--public-key string", "--dir string", "--from string", "--store string", "--node string"} {
		if !strings.Contains(got, w) {
			t.Errorf("help lacks %q:\n%s", w, got)
		}
	}
}

// TestFlagUsagesHaveNoBackquotes: pflag takes a `quoted` word in a
// flag's usage as the name of its value, so help would print
// "--data-dir brevet serve" instead of "--data-dir string".
func TestFlagUsagesHaveNoBackquotes(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Usage, "`") {
				t.Errorf("%s --%s: usage %q has a backquote", c.CommandPath(), f.Name, f.Usage)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
}
