package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBenchOptionsCheck(t *testing.T) {
	good := func() benchOptions {
		return benchOptions{spawn: true, actions: []string{"GetCallerIdentity", "AssumeRole"}, concurrency: []int{1, 8, 64},
			duration: 5 * time.Second, warmup: time.Second, output: "table"}
	}
	tests := []struct {
		name    string
		mutate  func(*benchOptions)
		wantErr string
	}{
		{"spawn", func(*benchOptions) {}, ""},
		{"endpoint", func(o *benchOptions) { o.spawn, o.endpoint, o.credentials = false, "http://127.0.0.1:8787", "creds" }, ""},
		{"neither", func(o *benchOptions) { o.spawn = false }, "exactly one of --spawn and --endpoint"},
		{"both", func(o *benchOptions) { o.endpoint, o.credentials = "http://x", "creds" }, "exactly one of --spawn and --endpoint"},
		{"endpoint without credentials", func(o *benchOptions) { o.spawn, o.endpoint = false, "http://x" }, "--endpoint needs --credentials"},
		{"unknown action", func(o *benchOptions) { o.actions = []string{"GetSessionToken"} }, `unknown action "GetSessionToken"`},
		{"zero concurrency", func(o *benchOptions) { o.concurrency = []int{0} }, "--concurrency: 0"},
		{"no duration", func(o *benchOptions) { o.duration = 0 }, "--duration must be positive"},
		{"bad output", func(o *benchOptions) { o.output = "yaml" }, `"yaml" is not table or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good()
			tt.mutate(&o)
			err := o.check()
			if tt.wantErr == "" && err != nil {
				t.Errorf("check() = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("check() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestWriteBenchReady(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ready")
	if err := writeBenchReady(path, "http://127.0.0.1:1234"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://127.0.0.1:1234\n"; string(got) != want {
		t.Errorf("ready file = %q, want %q", got, want)
	}
}
