package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsDescribeEverySetting keeps docs/configuration.md in step with the
// settings table: every file key, variable and flag is documented, and the
// example file loads as written.
func TestDocsDescribeEverySetting(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	// The file-only lists of mappings, which the settings table does not
	// hold, are named too.
	names := []string{"`" + EnvConfigFile + "`", "`--" + FlagConfigFile + "`", "`gateway.s3.backends`", "`tls.extra_certificates`"}
	for s := range numSettings {
		st := settings[s]
		if st.key != "" {
			names = append(names, "`"+st.key+"`")
		}
		if st.env != "" {
			names = append(names, "`"+st.env+"`")
		}
		if st.flag != "" {
			names = append(names, "`--"+st.flag+"`")
		}
	}
	for _, n := range names {
		if !strings.Contains(doc, n) {
			t.Errorf("docs/configuration.md does not mention %s", n)
		}
	}

	m := regexp.MustCompile("(?s)## Example.*?```yaml\n(.*?)```").FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("docs/configuration.md has no ```yaml block under ## Example")
	}
	// The master key from the environment outranks the example's
	// master_key_file, so the example's key file need not exist here.
	cfg, err := load(t, m[1], []string{keyEnv})
	if err != nil {
		t.Fatalf("the example in docs/configuration.md does not load: %v", err)
	}
	if cfg.Listen != "0.0.0.0:8443" || !cfg.TLS.Enabled() || len(cfg.Regions) != 2 {
		t.Errorf("the example loaded as %v; want listen 0.0.0.0:8443 with TLS and two regions", cfg)
	}
}
