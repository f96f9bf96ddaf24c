package server_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/server"
)

// How `brevet serve` wires the server: the runtime config gives the limits
// and TLS files, the caller gives the API handler (the awsquery Dispatcher,
// whose pipeline has server.Observe among its observers), the logger, the
// registry and the ready checks, and a signal context drives the graceful
// shutdown.
func Example() {
	cfg, err := config.Load(config.LoadArgs{Env: os.Environ()})
	if err != nil {
		slog.Error("config", "err", err)
		return
	}
	var dispatcher http.Handler // awsquery.New(awsquery.Config{Pipeline: &request.Pipeline{Observers: []request.Observer{request.ObserveFunc(server.Observe)}, ...}})
	storePing := func(ctx context.Context) error { return nil }

	srv, err := server.New(server.Config{
		MaxRequestBody: cfg.MaxRequestBody,
		ShutdownGrace:  cfg.ShutdownGrace,
		TLSCertFile:    cfg.TLS.CertFile,
		TLSKeyFile:     cfg.TLS.KeyFile,
	},
		server.WithAPI(dispatcher),
		server.WithLogger(slog.Default()),
		server.WithRegistry(prometheus.NewRegistry()),
		server.WithReadyCheck("store", storePing),
	)
	if err != nil {
		slog.Error("server", "err", err)
		return
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		slog.Error("listen", "err", err)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Run(ctx, ln); err != nil {
		slog.Error("serve", "err", err)
	}
}
