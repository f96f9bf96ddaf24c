package main

import (
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func TestDebugListenerServesTheProfiler(t *testing.T) {
	url, stop, err := startDebug(t.Context(), "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"", "heap?debug=1", "goroutine?debug=1", "cmdline"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("GET %s: %d, %d bytes; want 200 with a body", path, resp.StatusCode, len(body))
		}
	}
	stop()
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("GET after stop: %d; want the connection refused", resp.StatusCode)
	}
}

// The API listener never serves the profiler, with or without
// debug_listen.
func TestAPIListenerHasNoProfiler(t *testing.T) {
	base, _, _ := serveInProcess(t, filepath.Join(t.TempDir(), "data"))
	resp, err := http.Get(base + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || strings.Contains(string(body), "goroutine") {
		t.Errorf("GET /debug/pprof/ on the API listener: %d %.80q; want no profiler", resp.StatusCode, body)
	}
}
