package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseFile checks that no config file makes the strict parser panic,
// that everything it accepts the settings table knows, and that what it
// rejects it rejects with a message. Seeds are in testdata/fuzz.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte("listen: 127.0.0.1:8787\nregions: [us-east-1]\n"))
	f.Add([]byte("tls:\n  cert: a\n  key: b\nlog: {level: debug, format: text}\n"))
	f.Add([]byte("base: &b /x\ndata_dir: *b\n"))
	known := map[string]bool{}
	for s := range numSettings {
		known[settings[s].key] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fc, lines, err := parseFile("f.yaml", data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			var ce *Error
			if errors.As(err, &ce) && !strings.HasPrefix(ce.Source, "f.yaml:") {
				t.Fatalf("error source %q does not point into the file", ce.Source)
			}
			return
		}
		if fc == nil {
			t.Fatal("nil fileConfig without an error")
		}
		for k := range lines {
			if !known[k] && k != "tls" && k != "log" {
				t.Fatalf("accepted unknown key %q", k)
			}
		}
	})
}
