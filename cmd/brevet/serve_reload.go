package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/brevet-dev/brevet/internal/server"
)

// reloadOnHangup reloads the TLS certificate (reload, the node's
// ReloadTLS) on every SIGHUP until ctx ends or the returned stop is
// called. Without it SIGHUP would end the process.
func reloadOnHangup(ctx context.Context, reload func(context.Context) error, log *slog.Logger) (stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		onHangup(ctx, sig, reload, log)
	}()
	return func() {
		signal.Stop(sig)
		cancel()
		<-done
	}
}

// onHangup calls reload for every signal on sig until ctx ends. The
// reload logs its own outcome; only a server without TLS is said here.
func onHangup(ctx context.Context, sig <-chan os.Signal, reload func(context.Context) error, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			log.InfoContext(ctx, "SIGHUP: reloading the TLS certificate")
			if err := reload(ctx); errors.Is(err, server.ErrTLSDisabled) {
				log.InfoContext(ctx, "SIGHUP ignored: the server speaks plain HTTP, there is no certificate to reload")
			}
		}
	}
}
