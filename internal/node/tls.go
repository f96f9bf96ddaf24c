package node

import (
	"context"

	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/server"
)

// ReloadTLS reads the TLS certificate, key and client CA files again and
// serves them from the next handshake on, on the API's listener and the
// metrics'. brevet serve calls it on SIGHUP; the node also reloads by
// itself when the files change. When the new files do not load, the
// previous certificate stays in service and the error is returned (it is
// also logged and counted in brevet_tls_reload_errors_total).
// server.ErrTLSDisabled when the node speaks plain HTTP.
func (n *Node) ReloadTLS(ctx context.Context) error { return n.srv.ReloadTLS(ctx) }

// serverTLS is the server's view of the TLS and CORS settings.
func serverTLS(cfg *config.Config, sc *server.Config) {
	sc.TLSCertFile, sc.TLSKeyFile, sc.TLSClientCAFile = cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.ClientCAFile
	for _, p := range cfg.TLS.ExtraCertificates {
		sc.TLSExtraCertificates = append(sc.TLSExtraCertificates, server.CertFiles{CertFile: p.CertFile, KeyFile: p.KeyFile})
	}
	switch cfg.TLS.ClientAuth {
	case config.ClientAuthVerifyIfGiven:
		sc.TLSClientAuth = server.ClientAuthVerifyIfGiven
	case config.ClientAuthRequire:
		sc.TLSClientAuth = server.ClientAuthRequire
	default:
		sc.TLSClientAuth = server.ClientAuthNone
	}
	sc.CORSAllowedOrigins = cfg.CORS.AllowedOrigins
}
