package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
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
	var logs lockedBuffer
	url, _, stop := serveInProcessLogging(t, filepath.Join(t.TempDir(), "data"), &logs)
	resp, err := http.Post(url+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("x-amzn-RequestId")
	if err := stop(); err != nil {
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
