package server

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"slices"
)

// certListener is a listener whose clients authenticate with a
// certificate in the TLS handshake (the IoT credentials provider): it
// asks every client for one and verifies none (the handler decides, from
// r.TLS.PeerCertificates, against what it has registered). The server's
// connection and in-flight limits, request ids, recovery, access log and
// metrics apply as on the API's listener.
type certListener struct {
	name    string
	h       http.Handler
	errw    ErrorWriter
	tls     *tls.Config
	handler http.Handler
}

// WithClientCertListener adds a listener served by RunClientCert: h over
// TLS with cfg's certificate (nil: the API's, reloaded with it),
// requesting a client certificate without verifying it. Its session
// tickets let devices resume TLS sessions, which keep their peer
// certificates. name names the listener in the log.
func WithClientCertListener(name string, h http.Handler, errw ErrorWriter, cfg *tls.Config) Option {
	return func(s *Server) { s.certLn = &certListener{name: name, h: h, errw: errw, tls: cfg} }
}

func (s *Server) newCertListener() error {
	l := s.certLn
	if l == nil {
		return nil
	}
	cfg := l.tls.Clone()
	if cfg == nil {
		if s.tls == nil {
			return errors.New("server: the client-certificate listener needs a certificate of its own or the API's TLS")
		}
		cfg = s.tls.Clone()
		cfg.GetConfigForClient = nil // the API's client CAs do not apply here
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if cfg.CipherSuites == nil {
		cfg.CipherSuites = aeadSuites()
	}
	if cfg.CurvePreferences == nil {
		cfg.CurvePreferences = classicCurves
	}
	cfg.ClientAuth, cfg.ClientCAs = tls.RequestClientCert, nil
	l.tls = cfg
	l.handler = s.instrument(l.wrap(s.limitInFlight(l.h)))
	return nil
}

// classicCurves are the key exchanges of the client-certificate
// listener: X25519 and the NIST curves, without the hybrid post-quantum
// X25519MLKEM768 that Go prefers. What this listener sends is
// credentials that expire within hours, so a recording decrypted years
// from now by a quantum computer yields nothing usable, while the hybrid
// exchange took nearly half the server's CPU in a handshake (devices
// resume a TLS session on a new connection for each fetch). Clients that
// offer it also offer X25519 (Go's and OpenSSL's do), so none needs a
// second round trip.
var classicCurves = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}

// ClientCertCurves are the key exchanges the client-certificate listener
// negotiates, for a reference server that must do the same TLS work
// (brevet bench x509's trivial server).
func ClientCertCurves() []tls.CurveID { return slices.Clone(classicCurves) }

func (l *certListener) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := infoFrom(r.Context()); info != nil {
			info.errw, info.api = l.errw, true
		}
		next.ServeHTTP(w, r)
	})
}

// RunClientCert serves the client-certificate listener's handler on ln
// with the API's timeouts and connection limits, as Run serves the API.
// It can be called once.
func (s *Server) RunClientCert(ctx context.Context, ln net.Listener) error {
	if s.certLn == nil {
		return errors.New("server: RunClientCert without WithClientCertListener")
	}
	if !s.certLnStarted.CompareAndSwap(false, true) {
		return errors.New("server: RunClientCert called twice")
	}
	return s.serve(ctx, s.limitConnections(ln), s.certLn.handler, s.certLn.name, s.apiTimeouts(), s.certLn.tls)
}
