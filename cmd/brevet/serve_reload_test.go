package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/brevet-dev/brevet/internal/server"
)

// TestOnHangup: each SIGHUP reloads once; on plain HTTP the log says the
// signal was ignored.
func TestOnHangup(t *testing.T) {
	for _, tt := range []struct {
		name    string
		err     error
		wantLog string
	}{
		{"tls", nil, "SIGHUP: reloading the TLS certificate"},
		{"plain http", server.ErrTLSDisabled, "SIGHUP ignored: the server speaks plain HTTP"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			var mu sync.Mutex
			calls := 0
			reloaded := make(chan struct{}, 2)
			reload := func(context.Context) error {
				mu.Lock()
				calls++
				mu.Unlock()
				reloaded <- struct{}{}
				return tt.err
			}
			sig := make(chan os.Signal)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { onHangup(ctx, sig, reload, slog.New(slog.NewTextHandler(&logs, nil))); close(done) }()
			sig <- syscall.SIGHUP
			<-reloaded
			sig <- syscall.SIGHUP
			<-reloaded
			cancel()
			<-done
			if calls != 2 {
				t.Errorf("%d reloads for two signals; want 2", calls)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, logs.String())
			}
		})
	}
}
