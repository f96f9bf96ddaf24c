package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/config"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The access log line of an API request reaches the log (written directly
// in slog's JSON form, server.WithJSONAccessLog), with the request id the
// response carried, by the time serve returns.
func TestServeWritesTheAccessLog(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	cfg, err := config.Load(config.LoadArgs{Env: []string{"BREVET_DATA_DIR=" + dataDir, "BREVET_LISTEN=127.0.0.1:0", "BREVET_ACCOUNT_ID=111122223333"}})
	if err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(t.TempDir(), "ready")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs lockedBuffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, serveOptions{readyFile: ready, out: &bytes.Buffer{}, logOut: &logs}) }()
	var url string
	for deadline := time.Now().Add(20 * time.Second); url == ""; time.Sleep(10 * time.Millisecond) {
		if data, err := os.ReadFile(ready); err == nil {
			url = strings.TrimSpace(string(data))
		} else if time.Now().After(deadline) {
			t.Fatal("serve not ready after 20s")
		}
	}
	resp, err := http.Post(url+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("x-amzn-RequestId")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, line)
		}
		if rec["msg"] == "request" && rec["request_id"] == id {
			found = true
			if rec["level"] != "INFO" || rec["method"] != "POST" || rec["status"] != float64(resp.StatusCode) || rec["action"] != "GetCallerIdentity" {
				t.Errorf("access log line %s; want INFO POST %d GetCallerIdentity", line, resp.StatusCode)
			}
		}
	}
	if id == "" || !found {
		t.Errorf("no access log line for request %q in:\n%s", id, logs.String())
	}
}
