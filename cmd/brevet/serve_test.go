package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/config"
)

// serveInProcess runs serve on a fresh data directory until the test ends
// and returns its URL and output.
func serveInProcess(t *testing.T, dataDir string, env ...string) (url string, out *bytes.Buffer, stop func() error) {
	t.Helper()
	return serveInProcessLogging(t, dataDir, io.Discard, env...)
}

// serveInProcessLogging is serveInProcess with the server's log written
// to logOut; env adds settings (BREVET_...=...).
func serveInProcessLogging(t *testing.T, dataDir string, logOut io.Writer, env ...string) (url string, out *bytes.Buffer, stop func() error) {
	t.Helper()
	cfg, err := config.Load(config.LoadArgs{Env: append([]string{"BREVET_DATA_DIR=" + dataDir, "BREVET_LISTEN=127.0.0.1:0", "BREVET_ACCOUNT_ID=111122223333"}, env...)})
	if err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(t.TempDir(), "ready")
	ctx, cancel := context.WithCancel(context.Background())
	out = &bytes.Buffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, serveOptions{readyFile: ready, out: out, logOut: logOut}) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if data, err := os.ReadFile(ready); err == nil {
			url = strings.TrimSpace(string(data))
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve returned before it was ready: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("serve not ready after 20s")
		}
	}
	var stopped bool
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return url, out, stop
}
